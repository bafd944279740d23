/**
 * Tasks, metrics, logs and network through a real MCP client, the whole server and the simulator: the seeded task
 * history answers "what failed last night?", pages of pve_list_tasks reach every task (node and cluster) and a task
 * log is read page by page; rrd series are summarised; the syslog is paged newest first; a bridge is staged, shown
 * pending, applied and gone from pending; apply with nothing pending and a bad bridge name send nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { GENERATIONS, type ToolResult, textOf } from "../support/mcpClient.js"
import { errorOf, writesSeen } from "../support/observed.js"

interface TaskRow {
  readonly upid: string
  readonly node: string
  readonly type: string
  readonly id: string
  readonly status: string
  readonly exitStatus?: string
  readonly started: string
}
interface TaskPage {
  readonly tasks: ReadonlyArray<TaskRow>
  readonly total: number
  readonly nextCursor?: string
}
interface Metric {
  readonly name: string
  readonly unit: string
  readonly min: number
  readonly avg: number
  readonly max: number
  readonly last: number
  readonly total?: number
}

const structured = <T>(result: ToolResult) => result.structuredContent as T

/** Every page of pve_list_tasks with these arguments, in order. */
const allPages = async (server: InProcessServer, args: Record<string, unknown>) => {
  const pages: TaskPage[] = []
  let cursor: string | undefined
  do {
    const result = await server.callTool("pve_list_tasks", { ...args, ...(cursor === undefined ? {} : { cursor }) })
    expect(result.isError, textOf(result)).toBeFalsy()
    const page = structured<TaskPage>(result)
    pages.push(page)
    cursor = page.nextCursor
  } while (cursor !== undefined && pages.length < 1000)
  return pages
}

describe.each(GENERATIONS)("tasks, metrics, logs and network (%s client)", (generation) => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { taskDurationMs: 30 }
    })
  })
  afterAll(() => server.close())

  const call = async (name: string, args: Record<string, unknown>) => {
    server.sim.clearRequests()
    return server.callTool(name, args)
  }

  it("answers what failed last night on a fresh cluster", async () => {
    const since = Math.floor(Date.now() / 1000) - 36 * 3600
    const result = await call("pve_list_tasks", { failed: true, since })
    expect(result.isError, textOf(result)).toBeFalsy()
    const { tasks, total } = structured<TaskPage>(result)
    expect(total).toBeGreaterThan(0)
    for (const t of tasks) {
      expect(t.status).toBe("failed")
      expect(Date.parse(t.started) / 1000).toBeGreaterThanOrEqual(since)
    }
    expect(tasks.some((t) => t.type === "vzdump" && t.node === "pve1" && t.exitStatus === "job errors")).toBe(true)
    expect(textOf(result)).toMatch(
      /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC pve1 vzdump 100 root@pam FAILED: job errors (\d+m|\d+m \d+s|\d+s)/
    )
    // newest first
    const times = tasks.map((t) => Date.parse(t.started))
    expect([...times].sort((a, b) => b - a)).toEqual(times)
    // the history has warnings and successes too
    const all = structured<TaskPage>(await call("pve_list_tasks", { limit: 200 })).tasks
    expect(new Set(all.map((t) => t.status))).toEqual(new Set(["ok", "warnings", "failed"]))
    expect(new Set(all.map((t) => t.node))).toEqual(new Set(["pve1", "pve2", "pve3"]))
  })

  it("pages the cluster's tasks and one node's tasks to the end", async () => {
    const cluster = await allPages(server, { limit: 7 })
    const upids = cluster.flatMap((p) => p.tasks.map((t) => t.upid))
    expect(cluster.length).toBeGreaterThan(3)
    expect(upids.length).toBe(cluster[0]!.total)
    expect(new Set(upids).size).toBe(upids.length)
    const node = await allPages(server, { node: "pve2", limit: 4 })
    const nodeUpids = node.flatMap((p) => p.tasks.map((t) => t.upid))
    expect(nodeUpids.length).toBe(node[0]!.total)
    expect(new Set(nodeUpids).size).toBe(nodeUpids.length)
    for (const upid of nodeUpids) expect(upid.startsWith("UPID:pve2:")).toBe(true)
    expect(new Set(nodeUpids)).toEqual(new Set(upids.filter((u) => u.startsWith("UPID:pve2:"))))
  })

  it("filters by type, vmid, user and a time window, on a node and in the cluster", async () => {
    for (const node of [undefined, "pve1"]) {
      const result = await call("pve_list_tasks", {
        ...(node === undefined ? {} : { node }),
        type: "vzdump",
        vmid: 100,
        user: "root@pam",
        until: new Date(Date.now()).toISOString()
      })
      const { tasks } = structured<TaskPage>(result)
      expect(tasks.length).toBeGreaterThan(0)
      for (const t of tasks) expect([t.type, t.id, t.node]).toEqual(["vzdump", "100", "pve1"])
    }
    const none = await call("pve_list_tasks", { since: "2099-01-01T00:00:00Z" })
    expect(structured<TaskPage>(none).total).toBe(0)
  })

  it("reads a task log a page at a time to its last line", async () => {
    const started = await call("pve_storage_download", {
      node: "pve1",
      storage: "local",
      url: "https://example.org/pages.iso",
      content: "iso"
    })
    const upid = structured<{ upid: string }>(started).upid
    const first = await call("pve_task_log", { upid, limit: 4 })
    expect(first.isError, textOf(first)).toBeFalsy()
    const page = structured<{ lines: ReadonlyArray<string>; total: number; nextStart?: number }>(first)
    expect(page.lines).toHaveLength(4)
    expect(page.lines[0]).toBe("downloading https://example.org/pages.iso to /var/lib/vz/template/iso/pages.iso")
    expect(textOf(first)).toContain(`lines 1–4 of ${page.total}; next page: start 4`)
    const lines: string[] = [...page.lines]
    let start = page.nextStart
    while (start !== undefined) {
      const next = structured<{ lines: ReadonlyArray<string>; nextStart?: number }>(
        await call("pve_task_log", { upid, start, limit: 4 })
      )
      lines.push(...next.lines)
      start = next.nextStart
    }
    expect(lines).toHaveLength(page.total)
    expect(lines.at(-1)).toBe("TASK OK")
  })

  it("summarises a node's rrd series as min/avg/max/last with readable figures", async () => {
    const result = await call("pve_node_metrics", { node: "pve1" })
    expect(result.isError, textOf(result)).toBeFalsy()
    const r = structured<{ stepSeconds: number; points: number; metrics: ReadonlyArray<Metric>; raw?: unknown }>(result)
    expect(r.stepSeconds).toBe(60)
    expect(r.points).toBe(70)
    expect(r.raw).toBeUndefined()
    const cpu = r.metrics.find((m) => m.name === "cpu")!
    expect(cpu.unit).toBe("%")
    expect(cpu.min).toBeLessThanOrEqual(cpu.avg)
    expect(cpu.avg).toBeLessThanOrEqual(cpu.max)
    expect(cpu.max).toBeLessThanOrEqual(100)
    expect(r.metrics.find((m) => m.name === "memory")?.total).toBeGreaterThan(0)
    expect(textOf(result)).toMatch(/cpu: avg [\d.]+ %, min [\d.]+ %, max [\d.]+ %, last [\d.]+ %/)
    expect(textOf(result)).toMatch(/memory: avg [\d.]+ GiB, .* of [\d.]+ GiB/)
    expect(textOf(result)).toMatch(/net in: avg [\d.]+ [KM]iB\/s/)
    const week = structured<{ stepSeconds: number; raw: ReadonlyArray<unknown> }>(
      await call("pve_node_metrics", { node: "pve2", timeframe: "week", cf: "MAX", raw: true })
    )
    expect(week.stepSeconds).toBe(10_800)
    expect(week.raw.length).toBeLessThanOrEqual(70)
  })

  it("summarises a guest's series, and says a stopped guest has no values", async () => {
    const running = await call("pve_guest_metrics", { vmid: 105, timeframe: "hour" })
    const metrics = structured<{ type: string; metrics: ReadonlyArray<Metric> }>(running)
    expect(metrics.type).toBe("lxc")
    expect(metrics.metrics.map((m) => m.name)).toEqual(
      expect.arrayContaining(["cpu", "memory", "disk", "net in", "disk write"])
    )
    const stopped = await call("pve_guest_metrics", { vmid: 104 })
    expect(structured<{ metrics: ReadonlyArray<Metric> }>(stopped).metrics).toEqual([])
    expect(textOf(stopped)).toContain("no values in this timeframe")
  })

  it("reads the newest syslog lines of a service and pages back", async () => {
    const result = await call("pve_node_log", { node: "pve1", service: "corosync", limit: 5 })
    expect(result.isError, textOf(result)).toBeFalsy()
    const log = structured<{ lines: ReadonlyArray<string>; start: number; total: number; previousStart?: number }>(
      result
    )
    expect(log.lines).toHaveLength(5)
    expect(log.start).toBe(log.total - 5)
    for (const line of log.lines) expect(line).toMatch(/^\w{3} \d\d \d\d:\d\d:\d\d pve1 corosync\[\d+\]: /)
    expect(textOf(result)).toContain(`older: start ${log.total - 10}`)
    const older = structured<{ lines: ReadonlyArray<string>; nextStart?: number }>(
      await call("pve_node_log", { node: "pve1", service: "corosync", limit: 5, start: log.previousStart })
    )
    expect(older.nextStart).toBe(log.start)
    const journal = structured<{ lines: ReadonlyArray<string> }>(
      await call("pve_node_log", { node: "pve2", source: "journal", limit: 7 })
    )
    expect(journal.lines).toHaveLength(7)
    for (const line of journal.lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:]+\+0000 pve2 /)
  })

  it("stages a bridge, shows it pending, applies it, and nothing is pending after", async () => {
    const before = await call("pve_list_network", { node: "pve3" })
    expect(structured<{ pending: ReadonlyArray<string> }>(before).pending).toEqual([])
    const created = await call("pve_network_create_bridge", {
      node: "pve3",
      name: "vmbr97",
      ports: ["eno2"],
      cidr: "10.97.0.13/24",
      vlanAware: true,
      comment: "storage net"
    })
    expect(created.isError, textOf(created)).toBeFalsy()
    expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve3/network"])
    expect(structured<{ pending: ReadonlyArray<string> }>(created).pending).toEqual(["vmbr97"])
    const listed = await call("pve_list_network", { node: "pve3", type: "bridge" })
    const view = structured<{
      interfaces: ReadonlyArray<{ iface: string; pending: boolean; active: boolean; ports?: ReadonlyArray<string> }>
      changes?: string
    }>(listed)
    expect(view.interfaces.find((i) => i.iface === "vmbr97")).toMatchObject({
      pending: true,
      active: false,
      ports: ["eno2"]
    })
    expect(view.interfaces.find((i) => i.iface === "vmbr0")?.pending).toBe(false)
    expect(view.changes).toContain("+iface vmbr97 inet static")
    expect(textOf(listed)).toContain("pending (not applied, marked *): vmbr97")
    const applied = await call("pve_network_apply", { node: "pve3", confirm: true, confirmName: "pve3" })
    expect(applied.isError, textOf(applied)).toBeFalsy()
    expect(writesSeen(server.sim)).toEqual(["PUT /nodes/pve3/network"])
    expect(
      structured<{ applied: ReadonlyArray<string>; exitStatus: string; stillPending: ReadonlyArray<string> }>(applied)
    ).toMatchObject({
      applied: ["vmbr97"],
      exitStatus: "OK",
      stillPending: []
    })
    const after = structured<{
      pending: ReadonlyArray<string>
      interfaces: ReadonlyArray<{ iface: string; active: boolean }>
    }>(await call("pve_list_network", { node: "pve3" }))
    expect(after.pending).toEqual([])
    expect(after.interfaces.find((i) => i.iface === "vmbr97")?.active).toBe(true)
  })

  it("refuses to apply when nothing is pending, before sending anything", async () => {
    const result = await call("pve_network_apply", { node: "pve2", confirm: true, confirmName: "pve2" })
    expect(result.isError).toBe(true)
    expect(errorOf(result)?._tag).toBe("InvalidInput")
    expect(textOf(result)).toContain("nothing is pending on pve2")
    expect(writesSeen(server.sim)).toEqual([])
  })

  it.each([
    [{ name: "br0" }, "is not a bridge name"],
    [{ name: "vmbr0" }, "vmbr0 already exists on pve1"],
    [{ name: "vmbr98", ports: ["eno9"] }, "eno9 is not an interface of pve1"],
    [{ name: "vmbr98", ports: ["eno1"] }, "eno1 is already a port of vmbr0"],
    [{ name: "vmbr98", cidr: "10.0.0.300/24" }, "is not an IPv4 address with prefix"],
    [{ name: "vmbr98", gateway: "10.0.0.1" }, "give cidr too"]
  ])("refuses a bridge %j before sending anything: %s", async (args, message) => {
    const result = await call("pve_network_create_bridge", { node: "pve1", ...args })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toContain(message)
    expect(writesSeen(server.sim)).toEqual([])
  })

  it("drops staged changes and says which", async () => {
    await call("pve_network_create_bridge", { node: "pve2", name: "vmbr96", autostart: false })
    const reverted = await call("pve_network_revert", { node: "pve2" })
    expect(reverted.isError, textOf(reverted)).toBeFalsy()
    expect(writesSeen(server.sim)).toEqual(["DELETE /nodes/pve2/network"])
    expect(structured<{ dropped: ReadonlyArray<string> }>(reverted).dropped).toEqual(["vmbr96"])
    expect(textOf(reverted)).toContain("dropped the staged changes of vmbr96")
    const listed = structured<{ interfaces: ReadonlyArray<{ iface: string }> }>(
      await call("pve_list_network", { node: "pve2" })
    )
    expect(listed.interfaces.map((i) => i.iface)).not.toContain("vmbr96")
    const nothing = await call("pve_network_revert", { node: "pve2" })
    expect(textOf(nothing)).toContain("nothing was pending; nothing was sent")
    expect(writesSeen(server.sim)).toEqual([])
  })
})

describe("pve_list_tasks on the large cluster", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess("v2", { sim: { size: "large" } })
  }, 120_000)
  afterAll(() => server.close())

  it("stays under 25,000 tokens a page, and the pages reach every task", async () => {
    const pages = await allPages(server, { limit: 200 })
    const first = await server.callTool("pve_list_tasks", { limit: 200 })
    const bytes = JSON.stringify(first.content).length + JSON.stringify(first.structuredContent).length
    // ~4 characters a token: 100,000 characters is 25,000 tokens
    expect(bytes).toBeLessThan(100_000)
    const defaultPage = await server.callTool("pve_list_tasks", {})
    expect(
      JSON.stringify(defaultPage.content).length + JSON.stringify(defaultPage.structuredContent).length
    ).toBeLessThan(30_000)
    const upids = pages.flatMap((p) => p.tasks.map((t) => t.upid))
    expect(pages[0]!.total).toBeGreaterThan(500)
    expect(upids.length).toBe(pages[0]!.total)
    expect(new Set(upids).size).toBe(upids.length)
    console.log(
      `large cluster: ${pages[0]!.total} tasks in ${pages.length} pages; a 200-row page is ${bytes} characters`
    )
  })
})
