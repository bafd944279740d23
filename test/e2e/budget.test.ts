/**
 * The answer budget (PVE_MAX_ANSWER_BYTES) through real MCP clients on the large simulated cluster: no answer, text
 * and structuredContent together, is over it; a cut answer says what was cut and how to narrow the request in both
 * parts, and its structuredContent still matches the tool's output schema (the clients check it).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { DEFAULT_MAX_ANSWER_BYTES } from "../../src/config/PveConfig.js"
import { allTools } from "../../src/tools/index.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { GENERATIONS, type ToolResult, textOf } from "../support/mcpClient.js"
import { TOUR } from "../support/tour.js"

const answerBytes = (result: ToolResult) =>
  Buffer.byteLength(textOf(result), "utf8") + Buffer.byteLength(JSON.stringify(result.structuredContent ?? {}), "utf8")

/** Every read tool with the arguments of its tour entries that need no earlier result. */
const readCalls = allTools
  .filter((t) => t.kind === "read")
  .flatMap((t) =>
    (TOUR[t.name] ?? [])
      .filter((args) => typeof args !== "function")
      .map((args) => [t.name, args as Record<string, unknown>] as const)
  )

describe.each(GENERATIONS)("answer budget (%s client, large cluster)", (generation) => {
  describe("default budget", () => {
    let server: InProcessServer
    beforeAll(async () => {
      server = await inProcess(generation, { sim: { size: "large" } })
    })
    afterAll(async () => {
      await server?.close()
    })

    it("pve_api_get /cluster/resources is cut to the budget in both parts and says how to narrow", async () => {
      const result = await server.callTool("pve_api_get", { path: "/cluster/resources" })
      expect(result.isError).toBeFalsy()
      expect(answerBytes(result)).toBeLessThanOrEqual(DEFAULT_MAX_ANSWER_BYTES)
      const note = result.structuredContent?.truncated
      expect(note).toMatch(
        /^Answer cut to PVE_MAX_ANSWER_BYTES \(100000 bytes; the whole answer had \d+\): data: \d+ of \d+ items kept\. To see the rest, read a narrower path/
      )
      expect(note).toContain("type: vm, storage, node or sdn")
      expect(textOf(result)).toContain(note as string)
      const data = result.structuredContent?.data as ReadonlyArray<unknown>
      expect(data.length).toBeGreaterThan(10)
    })

    it("a narrower request is answered whole", async () => {
      const result = await server.callTool("pve_api_get", { path: "/cluster/resources", params: { type: "node" } })
      expect(result.structuredContent?.truncated).toBeUndefined()
      expect(textOf(result)).not.toContain("PVE_MAX_ANSWER_BYTES")
    })
  })

  describe("a small budget (PVE_MAX_ANSWER_BYTES=20000)", () => {
    const budget = 20_000
    let server: InProcessServer
    beforeAll(async () => {
      server = await inProcess(generation, { sim: { size: "large" }, config: { maxAnswerBytes: budget } })
    })
    afterAll(async () => {
      await server?.close()
    })

    // a page as large as the lists allow (they stop a page at about 80 KB themselves), over this small budget
    it.each([
      ["pve_list_guests", { limit: 500 }],
      ["pve_cluster_resources", { limit: 500 }],
      ["pve_api_get", { path: "/cluster/resources" }]
    ] as const)("%s is cut, still matches its output schema, and names how to narrow", async (name, args) => {
      const result = await server.callTool(name, args)
      expect(result.isError).toBeFalsy()
      expect(answerBytes(result)).toBeLessThanOrEqual(budget)
      const note = String(result.structuredContent?.truncated)
      expect(note).toMatch(/items kept\. To see the rest, /)
      expect(textOf(result)).toContain(note)
    })

    // every read tool of this build (list tools of other areas have their own paging and stay under anyway)
    it.each(readCalls)("%s %j stays within the budget", async (name, args) => {
      const result = await server.callTool(name, args)
      expect(answerBytes(result)).toBeLessThanOrEqual(budget)
      if (result.isError) expect(textOf(result)).not.toContain("Internal error")
      if (result.structuredContent?.truncated !== undefined) expect(textOf(result)).toContain("To see the rest")
    })
  })
})
