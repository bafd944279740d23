import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import type { ListedTool } from "../support/mcpClient.js"

// What the model sees of every tool (name, description, schemas, annotations) is reviewed on purpose: a change here
// fails until the snapshot in test/__toolsnaps__ is updated (`npx vitest run -u test/unit/toolSnapshots.test.ts`).
describe("tool snapshots", () => {
  let server: InProcessServer
  let tools: ReadonlyArray<ListedTool>

  beforeAll(async () => {
    server = await inProcess("v2", { env: { PVE_READONLY: "false" } })
    tools = await server.listTools()
  })
  afterAll(async () => {
    await server?.close()
  })

  it("lists every tool once", () => {
    const names = tools.map((t) => t.name)
    expect(new Set(names).size).toBe(names.length)
    expect(names.length).toBeGreaterThanOrEqual(14)
  })

  it("matches the reviewed snapshot of each tool", async () => {
    for (const tool of tools) {
      await expect(`${JSON.stringify(tool, null, 2)}\n`).toMatchFileSnapshot(`../__toolsnaps__/${tool.name}.json`)
    }
  })
})
