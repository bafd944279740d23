/**
 * The simulator against recorded real responses: the same product Schemas decode both, and the simulator's
 * field sets cover the recorded ones (PVE 9 answers may carry more fields, never fewer).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { TicketAnswer } from "../../src/proxmox/Auth.js"
import { ClusterResource, ClusterStatusEntry } from "../../src/proxmox/cluster.js"
import { GuestConfig, GuestStatus } from "../../src/proxmox/guests.js"
import { NodeStatus, NodeSummary } from "../../src/proxmox/nodes.js"
import { TaskListEntry, TaskLogLine, TaskStatus } from "../../src/proxmox/Tasks.js"
import { PveInt } from "../../src/proxmox/WireSchemas.js"
import { call, simulator, steppedClock, upidPath } from "../support/rawSimulator.js"

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures", name), "utf8"))
const data = (name: string) => (fixture(name) as { data: unknown }).data

type Row = Record<string, unknown>
const keys = (row: unknown): Set<string> => new Set(Object.keys(row as Row))
const missing = (recorded: unknown, simulated: unknown, ignore: ReadonlyArray<string> = []): Array<string> => {
  const have = keys(simulated)
  return [...keys(recorded)].filter((key) => !have.has(key) && !ignore.includes(key))
}
const byType = (rows: unknown, type: string): Row => {
  const merged: Row = {}
  for (const row of rows as Array<Row>) if (row.type === type) Object.assign(merged, row)
  return merged
}

const decodes = (schema: Schema.Schema<unknown, never>, value: unknown): string => {
  const result = Schema.decodeUnknownEither(schema)(value)
  return Either.isRight(result) ? "ok" : String(result.left)
}

describe("simulator answers vs recorded PVE responses", () => {
  const clock = steppedClock()
  const sim = simulator({ now: clock.now, taskDurationMs: 100 })
  const get = (path: string, params?: Record<string, string | number>) =>
    call(sim, "GET", path, params === undefined ? {} : { params }).json?.data

  it("cluster/resources: decodes and covers node, qemu and storage fields", () => {
    const recorded = data("go-proxmox/cluster-resources.json")
    const simulated = get("/cluster/resources")
    expect(decodes(Schema.Array(ClusterResource) as never, simulated)).toBe("ok")
    for (const type of ["node", "qemu", "storage"]) {
      expect(missing(byType(recorded, type), byType(simulated, type)), type).toEqual([])
    }
  })

  it("nodes and cluster/status: decode and cover the recorded fields", () => {
    const nodes = get("/nodes") as Array<Row>
    expect(decodes(Schema.Array(NodeSummary) as never, nodes)).toBe("ok")
    expect(missing((data("go-proxmox/nodes.json") as Array<Row>)[0], nodes[0])).toEqual([])
    const status = get("/cluster/status") as Array<Row>
    expect(decodes(Schema.Array(ClusterStatusEntry) as never, status)).toBe("ok")
    const recorded = data("go-proxmox/cluster-status.json")
    expect(missing(byType(recorded, "cluster"), byType(status, "cluster"))).toEqual([])
    expect(missing(byType(recorded, "node"), byType(status, "node"))).toEqual([])
  })

  it("node status: decodes and covers the PVE 7 fields, nested objects included", () => {
    const recorded = data("go-proxmox/node-status.pve7.json") as Row
    const simulated = get("/nodes/pve1/status") as Row
    expect(decodes(NodeStatus as never, simulated)).toBe("ok")
    expect(missing(recorded, simulated)).toEqual([])
    for (const nested of ["cpuinfo", "memory", "rootfs", "swap", "ksm"]) {
      expect(missing(recorded[nested], simulated[nested]), nested).toEqual([])
    }
  })

  it("qemu status/current of a running VM covers the recorded fields", () => {
    const simulated = get("/nodes/pve1/qemu/100/status/current") as Row
    expect(decodes(GuestStatus as never, simulated)).toBe("ok")
    expect(missing(data("go-proxmox/qemu-101-status-current.json"), simulated)).toEqual([])
  })

  it("lxc list and config: decode and cover the recorded fields (vmid now a number)", () => {
    const list = get("/nodes/pve1/lxc") as Array<Row>
    expect(decodes(Schema.Array(GuestStatus) as never, list)).toBe("ok")
    expect(missing((data("go-proxmox/lxc-list.pve7.json") as Array<Row>)[0], list[0])).toEqual([])
    expect(typeof list[0]?.vmid).toBe("number")
    const config = get("/nodes/pve1/lxc/105/config")
    expect(decodes(GuestConfig as never, config)).toBe("ok")
    // lxc raw keys and mount points are per-container, not a field every config has.
    expect(missing(data("go-proxmox/lxc-101-config.pve7.json"), config, ["lxc", "mp0"])).toEqual([])
  })

  it("network: eth and bridge entries cover the recorded fields", () => {
    const recorded = data("go-proxmox/network.pve7.json")
    const simulated = get("/nodes/pve1/network")
    expect(missing(byType(recorded, "eth"), byType(simulated, "eth"))).toEqual([])
    expect(missing(byType(recorded, "bridge"), byType(simulated, "bridge"))).toEqual([])
  })

  it("tasks: status, log and list decode and cover the recorded fields", () => {
    const upid = call(sim, "POST", "/nodes/pve1/qemu/100/snapshot", { params: { snapname: "fx" } }).json?.data as string
    const running = get(upidPath("pve1", upid, "status"))
    expect(decodes(TaskStatus as never, running)).toBe("ok")
    expect(missing(data("proxmoxer/task-status-running.json"), running)).toEqual([])
    clock.advance(500)
    const stopped = get(upidPath("pve1", upid, "status"))
    expect(missing(data("proxmoxer/task-status-interrupted.json"), stopped)).toEqual([])
    const log = get(upidPath("pve1", upid, "log"))
    expect(decodes(Schema.Array(TaskLogLine) as never, log)).toBe("ok")
    const list = get("/nodes/pve1/tasks") as Array<Row>
    expect(decodes(Schema.Array(TaskListEntry) as never, list)).toBe("ok")
    expect(missing((fixture("home-assistant/tasks-list.data-only.json") as Array<Row>)[0], list[0])).toEqual([])
  })

  it("ticket and nextid: decode and cover the recorded fields", () => {
    const ticket = call(sim, "POST", "/access/ticket", { params: { username: "root@pam", password: "simulator" } })
    expect(decodes(TicketAnswer as never, ticket.json?.data)).toBe("ok")
    expect(missing(data("go-proxmox/access-ticket.json"), ticket.json?.data)).toEqual([])
    const nextid = get("/cluster/nextid")
    expect(typeof nextid).toBe(typeof data("go-proxmox/nextid.json"))
    expect(decodes(PveInt as never, nextid)).toBe("ok")
  })
})
