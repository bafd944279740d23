/**
 * Lists that stay small and can be walked: pve_list_guests and pve_cluster_resources on the simulator's large
 * cluster (50 nodes, 10,000 guests) through a real MCP client; filters, sort, fields, cursors; and cluster-wide
 * tools answering while a node is offline.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { guestName } from "../../sim/model.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import type { ToolResult } from "../support/mcpClient.js"
import { errorOf } from "../support/observed.js"

/** What the client receives of an answer: text and structuredContent together, as JSON. */
const answerBytes = (r: ToolResult) =>
  Buffer.byteLength(JSON.stringify({ content: r.content, structuredContent: r.structuredContent }), "utf8")

const textOf = (r: ToolResult) => r.content.map((c) => c.text ?? "").join("\n")

type Row = Record<string, unknown>
const rowsOf = (r: ToolResult, key: string) => (r.structuredContent?.[key] ?? []) as ReadonlyArray<Row>

/** Calls the tool page after page until no nextCursor; between pages, `between` may change the cluster. */
const walk = async (
  server: InProcessServer,
  tool: string,
  args: Record<string, unknown>,
  key: string,
  between: (page: number) => void = () => {}
) => {
  const rows: Row[] = []
  let cursor: string | undefined
  let pages = 0
  let last: ToolResult | undefined
  do {
    const result = await server.callTool(tool, { ...args, ...(cursor === undefined ? {} : { cursor }) })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(answerBytes(result)).toBeLessThan(100_000)
    rows.push(...rowsOf(result, key))
    cursor = result.structuredContent?.nextCursor as string | undefined
    last = result
    pages++
    between(pages)
  } while (cursor !== undefined && pages < 1000)
  return { rows, pages, last: last! }
}

describe("lists on the large simulated cluster (50 nodes, 10,000 guests)", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess("v2", { sim: { size: "large" } })
  }, 300_000)
  afterAll(async () => {
    await server?.close()
  })

  it("the first page of each list, with default arguments, is under 16 KB of text and structuredContent", async () => {
    for (const tool of ["pve_list_guests", "pve_cluster_resources"]) {
      const result = await server.callTool(tool, {})
      expect(result.isError, textOf(result)).toBeFalsy()
      const bytes = answerBytes(result)
      console.log(`${tool} {}: first page ${bytes} bytes`)
      expect(bytes, tool).toBeLessThan(16 * 1024)
      expect(result.structuredContent?.count).toBe(50)
      expect(result.structuredContent?.nextCursor).toEqual(expect.any(String))
      // the text says how many in all and how to go on
      expect(textOf(result)).toContain(`50 of ${result.structuredContent?.total} shown`)
      expect(textOf(result)).toContain(`cursor "${result.structuredContent?.nextCursor}"`)
    }
    const guests = await server.callTool("pve_list_guests", {})
    expect(guests.structuredContent?.total).toBe(10_000)
  })

  it("walking pve_list_guests by cursors reaches the last page and sees every guest exactly once, while usage changes", async () => {
    const model = server.sim.model
    const { rows, pages, last } = await walk(server, "pve_list_guests", { limit: 500 }, "guests", (page) => {
      // guests start and stop between pages: their cpu, memory and uptime change under the walk
      for (let vmid = 100 + page * 7; vmid < 10_100; vmid += 97) {
        const guest = model.guest(vmid) as { status: string }
        guest.status = guest.status === "running" ? "stopped" : "running"
      }
    })
    const seen = rows.map((r) => r.vmid as number)
    expect(new Set(seen).size).toBe(seen.length)
    expect([...seen].sort((a, b) => a - b)).toEqual([...model.guests.keys()].sort((a, b) => a - b))
    // 500 rows would pass 100 KB: pages are cut short by size, so more than 10,000 / 500
    expect(pages).toBeGreaterThan(20)
    expect(last.structuredContent?.nextCursor).toBeUndefined()
    expect(textOf(last)).toContain("last page")
  }, 300_000)

  it("walking sorted by name with a filter sees every matching guest once", async () => {
    const expected = [...server.sim.model.guests.values()].filter((g) => g.type === "lxc").map((g) => g.vmid)
    const { rows } = await walk(server, "pve_list_guests", { type: "lxc", sort: "-name", limit: 300 }, "guests")
    const seen = rows.map((r) => r.vmid as number)
    expect(new Set(seen).size).toBe(seen.length)
    expect([...seen].sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b))
    const names = rows.map((r) => String(r.name).toLowerCase())
    expect(names).toEqual([...names].sort().reverse())
  }, 300_000)

  it("walking pve_cluster_resources by cursors sees every guest and node once", async () => {
    const { rows } = await walk(server, "pve_cluster_resources", { limit: 500 }, "resources")
    const ids = rows.map((r) => r.id as string)
    expect(new Set(ids).size).toBe(ids.length)
    const vmids = rows.filter((r) => r.vmid !== undefined).map((r) => r.vmid as number)
    expect(vmids.sort((a, b) => a - b)).toEqual([...server.sim.model.guests.keys()].sort((a, b) => a - b))
    expect(rows.filter((r) => r.type === "node")).toHaveLength(50)
  }, 300_000)

  it("no answer is over 100 KB: the largest page with every column is cut short and says so", async () => {
    const all = ["disk", "netin", "netout", "diskread", "diskwrite", "hastate", "tags", "pool"]
    const guests = await server.callTool("pve_list_guests", { limit: 500, fields: all })
    expect(answerBytes(guests)).toBeLessThan(100_000)
    const resources = await server.callTool("pve_cluster_resources", {
      limit: 500,
      fields: ["pool", "tags", "hastate", "netin", "netout", "diskread", "diskwrite", "content", "plugintype"]
    })
    expect(answerBytes(resources)).toBeLessThan(100_000)
    console.log(
      `limit 500 with every field: pve_list_guests ${answerBytes(guests)} bytes (${guests.structuredContent?.count} rows), pve_cluster_resources ${answerBytes(resources)} bytes (${resources.structuredContent?.count} rows)`
    )
    for (const r of [guests, resources]) {
      if (r.structuredContent?.cutShort === true) expect(textOf(r)).toContain("page cut short")
      expect(r.structuredContent?.nextCursor).toEqual(expect.any(String))
    }
  })

  it("sorts by memory use, descending, ties by vmid; fields adds columns", async () => {
    const result = await server.callTool("pve_list_guests", { sort: "-mem", limit: 20, fields: ["tags", "netin"] })
    const rows = rowsOf(result, "guests")
    const mems = rows.map((r) => r.mem as number)
    expect(mems).toEqual([...mems].sort((a, b) => b - a))
    expect(rows.every((r) => "netin" in r)).toBe(true)
    expect(Object.keys(rowsOf(await server.callTool("pve_list_guests", { limit: 1 }), "guests")[0]!)).not.toContain(
      "netin"
    )
    // the text carries the figures: cpu %, memory used/total, disk, uptime
    expect(textOf(result)).toMatch(
      /: running, cpu [\d.]+ % of \d+, mem [\d.]+\/[\d.]+ GiB \(\d+ %\), disk \d+ GiB, up /
    )
  })

  it("filters by type, node, status, tag, pool and name (glob or substring)", async () => {
    const model = [...server.sim.model.guests.values()]
    const count = async (args: Record<string, unknown>) =>
      (await server.callTool("pve_list_guests", { ...args, limit: 1 })).structuredContent?.total
    expect(await count({ type: "lxc", node: "pve07", status: "running" })).toBe(
      model.filter((g) => g.type === "lxc" && g.node === "pve07" && g.status === "running").length
    )
    expect(await count({ pool: "production" })).toBe(model.filter((g) => g.pool === "production").length)
    const withTag = model.filter((g) =>
      String(g.config.tags ?? "")
        .split(";")
        .includes("staging")
    ).length
    expect(withTag).toBeGreaterThan(0)
    expect(await count({ tag: "staging" })).toBe(withTag)
    // names are role-00001 … role-10000
    expect(await count({ name: "*-0001?" })).toBe(10)
    expect(await count({ name: "*-0001*" })).toBe(10)
    expect(await count({ name: "WEB-*" })).toBe(model.filter((g) => guestName(g).startsWith("web-")).length)
    expect(await count({ name: "-0001" })).toBe(10)
    const none = await server.callTool("pve_list_guests", { name: "nothing-like-this" })
    expect(none.structuredContent).toMatchObject({ total: 0, count: 0 })
    expect(textOf(none)).toBe("no guests match")
  })

  it("cluster resources: storage rows show used, total and %, nodes cpu and memory; filters apply", async () => {
    const storage = await server.callTool("pve_cluster_resources", { type: "storage", limit: 3 })
    expect(textOf(storage)).toMatch(/storage \S+ on pve\d+: available, used [\d.]+ ?\S*\/[\d.]+ \S+ \([\d.]+ %\), /)
    const nodes = await server.callTool("pve_cluster_resources", { type: "node", sort: "-cpu", limit: 5 })
    expect(textOf(nodes)).toMatch(/node pve\d+: online, cpu [\d.]+ % of \d+, mem [\d.]+\/\d+ GiB/)
    expect(nodes.structuredContent).toMatchObject({ total: 50, count: 5, byType: { node: 50 } })
    const onNode = await server.callTool("pve_cluster_resources", { node: "pve03", type: "vm", limit: 1 })
    expect(onNode.structuredContent?.total).toBe(200)
  })

  it("refuses a malformed cursor and a cursor of another filter or sort, saying what to do", async () => {
    const first = await server.callTool("pve_list_guests", { limit: 5 })
    const cursor = first.structuredContent?.nextCursor as string
    for (const args of [
      { cursor: "not-a-cursor" },
      { cursor: Buffer.from('{"q":1}').toString("base64url") },
      { cursor, sort: "-mem" },
      { cursor, type: "lxc" }
    ]) {
      const result = await server.callTool("pve_list_guests", { limit: 5, ...args })
      expect(result.isError, JSON.stringify(args)).toBe(true)
      expect(errorOf(result)).toMatchObject({ _tag: "InvalidInput", field: "cursor" })
      expect(textOf(result)).toContain("leave cursor out to start from the first page")
    }
    // another list's cursor, even with the same filters and sort
    const fromResources = (await server.callTool("pve_cluster_resources", { limit: 5, sort: "name" })).structuredContent
      ?.nextCursor as string
    const mixed = await server.callTool("pve_list_guests", { limit: 5, sort: "name", cursor: fromResources })
    expect(mixed.isError).toBe(true)
    expect(errorOf(mixed)).toMatchObject({ field: "cursor" })
    // the same arguments go on, with another limit too
    const next = await server.callTool("pve_list_guests", { limit: 7, cursor })
    expect(rowsOf(next, "guests")[0]?.vmid).toBe(105)
  })
})

describe("an offline node does not fail the cluster-wide tools", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess("v2", { sim: { offlineNodes: ["pve2"] } })
  })
  afterAll(async () => {
    await server?.close()
  })

  it("each lists pve2 as unreachable and answers for the rest", async () => {
    for (const tool of ["pve_list_nodes", "pve_cluster_status", "pve_list_guests", "pve_cluster_resources"]) {
      const result = await server.callTool(tool, {})
      expect(result.isError, `${tool}: ${textOf(result)}`).toBeFalsy()
      expect(result.structuredContent?.unreachableNodes, tool).toEqual(["pve2"])
      expect(textOf(result), tool).toMatch(/pve2.*unreachable|unreachable.*pve2/)
    }
    const guests = await server.callTool("pve_list_guests", {})
    const rows = rowsOf(guests, "guests")
    // PVE still lists the offline node's guests, with status unknown and no figures
    const onPve2 = rows.filter((r) => r.node === "pve2")
    expect(onPve2.length).toBeGreaterThan(0)
    expect(onPve2.every((r) => r.status === "unknown" && r.mem === undefined)).toBe(true)
    expect(rows.some((r) => r.node === "pve1" && r.status === "running" && typeof r.mem === "number")).toBe(true)
    expect(textOf(guests)).toContain("unknown (node unreachable)")
    const nodes = await server.callTool("pve_list_nodes", {})
    expect(textOf(nodes)).toMatch(/pve1: online, cpu/)
  })

  it("a call to the offline node itself fails with the node named and a hint", async () => {
    const result = await server.callTool("pve_node_status", { node: "pve2" })
    expect(result.isError).toBe(true)
    expect(errorOf(result)).toMatchObject({ _tag: "PveUpstreamError", status: 595 })
    expect(textOf(result)).toMatch(/offline/)
  })

  it("a node taken offline during the session is marked too; once back, nothing is", async () => {
    server.sim.faults.setNodeOnline("pve3", false)
    const down = await server.callTool("pve_cluster_resources", { type: "node" })
    expect(down.structuredContent?.unreachableNodes).toEqual(["pve2", "pve3"])
    expect(textOf(down)).toContain("node pve3: offline (unreachable)")
    server.sim.faults.setNodeOnline("pve3", true)
    server.sim.faults.setNodeOnline("pve2", true)
    const result = await server.callTool("pve_list_guests", {})
    expect(result.structuredContent?.unreachableNodes).toEqual([])
    expect(textOf(result)).not.toContain("unreachable")
  })
})
