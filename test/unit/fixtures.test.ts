import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { TicketAnswer } from "../../src/proxmox/Auth.js"
import { ClusterResource, ClusterStatusEntry } from "../../src/proxmox/cluster.js"
import { GuestConfig, GuestStatus } from "../../src/proxmox/guests.js"
import { NodeStatus, NodeSummary } from "../../src/proxmox/nodes.js"
import { interpretResponse } from "../../src/proxmox/ProxmoxClientLive.js"
import { TaskListEntry, TaskLogLine, TaskStatus } from "../../src/proxmox/Tasks.js"
import { PveInt } from "../../src/proxmox/WireSchemas.js"

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures", name), "utf8"))
const data = (name: string) => (fixture(name) as { data: unknown }).data

/** Every recorded PVE response that a product Schema reads, with that Schema. */
const decoders: ReadonlyArray<readonly [string, Schema.Schema<unknown, never>, () => unknown]> = [
  ["go-proxmox/access-ticket.json", TicketAnswer as never, () => data("go-proxmox/access-ticket.json")],
  [
    "go-proxmox/cluster-resources.json",
    Schema.Array(ClusterResource) as never,
    () => data("go-proxmox/cluster-resources.json")
  ],
  [
    "go-proxmox/cluster-status.json",
    Schema.Array(ClusterStatusEntry) as never,
    () => data("go-proxmox/cluster-status.json")
  ],
  ["go-proxmox/lxc-101-config.pve7.json", GuestConfig as never, () => data("go-proxmox/lxc-101-config.pve7.json")],
  ["go-proxmox/lxc-list.pve7.json", Schema.Array(GuestStatus) as never, () => data("go-proxmox/lxc-list.pve7.json")],
  ["go-proxmox/nextid.json", PveInt as never, () => data("go-proxmox/nextid.json")],
  ["go-proxmox/node-status.pve7.json", NodeStatus as never, () => data("go-proxmox/node-status.pve7.json")],
  ["go-proxmox/nodes.json", Schema.Array(NodeSummary) as never, () => data("go-proxmox/nodes.json")],
  [
    "go-proxmox/qemu-101-status-current.json",
    GuestStatus as never,
    () => data("go-proxmox/qemu-101-status-current.json")
  ],
  [
    "go-proxmox/task-log.upload.data-only.json",
    Schema.Array(TaskLogLine) as never,
    () => fixture("go-proxmox/task-log.upload.data-only.json")
  ],
  [
    "home-assistant/tasks-list.data-only.json",
    Schema.Array(TaskListEntry) as never,
    () => fixture("home-assistant/tasks-list.data-only.json")
  ],
  ["proxmoxer/task-status-running.json", TaskStatus as never, () => data("proxmoxer/task-status-running.json")],
  ["proxmoxer/task-status-interrupted.json", TaskStatus as never, () => data("proxmoxer/task-status-interrupted.json")]
]

describe("recorded PVE responses decode with the product Schemas", () => {
  it.each(decoders)("%s", (_, schema, load) => {
    const result = Schema.decodeUnknownEither(schema)(load())
    expect(Either.isRight(result) ? "ok" : String(result.left)).toBe("ok")
  })

  it("reads the PVE 7 container list's string vmids as numbers", () => {
    const rows = Schema.decodeUnknownSync(Schema.Array(GuestStatus))(data("go-proxmox/lxc-list.pve7.json"))
    expect(rows.map((r) => r.vmid)).toEqual([106, 105, 101])
    expect(rows[2]?.template).toBe(true)
  })

  it("reads node-status strings (cpuinfo.mhz, loadavg) as numbers", () => {
    const status = Schema.decodeUnknownSync(NodeStatus)(data("go-proxmox/node-status.pve7.json"))
    expect(status.cpuinfo.mhz).toBe(3400)
    expect(status.loadavg).toEqual([0, 0, 0])
  })

  it("reads the interrupted task's exit status", () => {
    const task = Schema.decodeUnknownSync(TaskStatus)(data("proxmoxer/task-status-interrupted.json"))
    expect(task).toMatchObject({ status: "stopped", exitstatus: "interrupted by signal", id: "110" })
  })

  it("maps a pre-8.4 400 body (no message key) to per-parameter errors", async () => {
    const body = JSON.stringify(fixture("go-proxmox/nextid-vmid-exists.400.pre-8.4.json"))
    const error = await Effect.runPromise(
      Effect.flip(interpretResponse({ method: "GET", path: "/cluster/nextid" }, 400, body))
    )
    expect(error).toMatchObject({ _tag: "PveParamError", errors: { vmid: "VM 200 already exists" } })
  })

  it("keeps the message of an extjs-format error body", async () => {
    const body = JSON.stringify(fixture("proxmoxer/query-url-metadata-error.extjs-format.500.json"))
    const error = await Effect.runPromise(
      Effect.flip(interpretResponse({ method: "GET", path: "/nodes/pve1/query-url-metadata" }, 500, body))
    )
    expect(error).toMatchObject({ _tag: "PveServerError", status: 500 })
    expect(error.message).toContain("certificate verify failed")
  })
})

describe("interpretResponse maps PVE errors (WIRE.md (c))", () => {
  const fail = (status: number, body: string) =>
    Effect.runPromise(
      Effect.flip(interpretResponse({ method: "POST", path: "/nodes/pve1/qemu/100/status/start" }, status, body))
    )

  it("403: parses the ACL path and privileges", async () => {
    const e = await fail(
      403,
      JSON.stringify({ data: null, message: "Permission check failed (/vms/100, VM.PowerMgmt)\n" })
    )
    expect(e).toMatchObject({ _tag: "PvePermissionError", aclPath: "/vms/100", privileges: ["VM.PowerMgmt"] })
  })

  it("403: splits several privileges joined by |", async () => {
    const e = await fail(
      403,
      JSON.stringify({
        data: null,
        message: "Permission check failed (/storage/local, Datastore.Allocate|Datastore.AllocateSpace)\n"
      })
    )
    expect(e).toMatchObject({ privileges: ["Datastore.Allocate", "Datastore.AllocateSpace"] })
  })

  it("401 with an empty body", async () => {
    expect(await fail(401, "")).toMatchObject({ _tag: "PveAuthError" })
  })

  it("500 'does not exist' is not found", async () => {
    const e = await fail(
      500,
      JSON.stringify({ data: null, message: "Configuration file 'nodes/pve1/qemu-server/102.conf' does not exist\n" })
    )
    expect(e).toMatchObject({ _tag: "PveNotFound" })
  })

  it("500 other runtime errors stay server errors", async () => {
    const e = await fail(
      500,
      JSON.stringify({ message: "unable to create VM 102: config file already exists\n", data: null })
    )
    expect(e).toMatchObject({
      _tag: "PveServerError",
      status: 500,
      message: "unable to create VM 102: config file already exists"
    })
  })

  it.each([595, 596])("%i is an upstream error", async (status) => {
    expect(await fail(status, "")).toMatchObject({ _tag: "PveUpstreamError", status })
  })

  it("501 not implemented", async () => {
    expect(
      await fail(501, JSON.stringify({ data: null, message: "Method 'GET /foo' not implemented\n" }))
    ).toMatchObject({ _tag: "PveServerError", status: 501 })
  })
})
