/**
 * The snapshot tools through a real MCP client, the policies and the real client over the simulator: the tree,
 * create (RAM state for VMs, refused for containers), rollback (refused before sending for a snapshot that does not
 * exist; running or not afterwards; start: true) and delete.
 */
import { describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { textOf } from "../support/mcpClient.js"
import { errorOf, writesSeen } from "../support/observed.js"

const writable = () => inProcess("v2", { env: { PVE_READONLY: "false", PVE_CONFIRM: "param" } })

const using = async (run: (server: InProcessServer) => Promise<void>) => {
  const server = await writable()
  try {
    await run(server)
  } finally {
    await server.close()
  }
}

describe("pve_list_snapshots", () => {
  it("lists VM 101's snapshots in tree order with parent, time, RAM flag and the current position", () =>
    using(async (server) => {
      const result = await server.callTool("pve_list_snapshots", { vmid: 101 })
      expect(result.isError, textOf(result)).toBeFalsy()
      const out = result.structuredContent as {
        snapshots: Array<{ name: string; parent?: string; depth: number; time?: string; vmstate: boolean }>
        current?: string
      }
      const model = server.sim.model.guest(101)
      expect(out.snapshots.map((s) => s.name)).toEqual(
        [...model.snapshots.values()].sort((a, b) => a.snaptime - b.snaptime).map((s) => s.name)
      )
      // each snapshot comes after its parent, one level deeper
      for (const s of out.snapshots) {
        if (s.parent === undefined) expect(s.depth).toBe(0)
        else {
          const parent = out.snapshots.findIndex((p) => p.name === s.parent)
          expect(parent).toBeGreaterThanOrEqual(0)
          expect(parent).toBeLessThan(out.snapshots.indexOf(s))
          expect(s.depth).toBe(out.snapshots[parent]!.depth + 1)
        }
        expect(s.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/)
      }
      expect(out.current).toBe(model.parent)
      expect(textOf(result)).toContain("← current state")
      expect(textOf(result)).toMatch(/UTC \((\d+d \d+h|\d+d|\d+h \d+m|\d+h|\d+m|\d+s) ago\)/)
    }))

  it("says so when a guest has none", () =>
    using(async (server) => {
      const result = await server.callTool("pve_list_snapshots", { vmid: 104 })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ snapshots: [], vmid: 104, node: "pve3" })
      expect(textOf(result)).toBe("qemu 104 on pve3: no snapshots")
    }))
})

describe("pve_snapshot_create", () => {
  it("takes a snapshot with RAM of a running VM, waits, and lists it under the current position", () =>
    using(async (server) => {
      const before = server.sim.model.guest(101).parent
      const result = await server.callTool("pve_snapshot_create", {
        vmid: 101,
        name: "with-ram",
        description: "before the kernel update",
        vmstate: true
      })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({
        vmid: 101,
        exitStatus: "OK",
        snapshot: { name: "with-ram", vmstate: true, description: "before the kernel update", parent: before }
      })
      expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve1/qemu/101/snapshot"])
      const sent = server.sim.requests.find((r) => r.method === "POST")!
      expect(sent.params).toMatchObject({ snapname: "with-ram", vmstate: "1" })
      expect(server.sim.model.guest(101).snapshots.get("with-ram")?.vmstate).toBe(true)
      expect(textOf(result)).toContain('snapshot "with-ram" of qemu 101 on pve1: OK, with RAM')
    }))

  it("refuses vmstate for a container, saying why, and sends nothing", () =>
    using(async (server) => {
      const result = await server.callTool("pve_snapshot_create", { vmid: 105, name: "ram", vmstate: true })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toMatch(/CT 105 is a container: containers have no RAM state to save; leave vmstate out/)
      expect(errorOf(result)).toMatchObject({ _tag: "InvalidInput", field: "vmstate" })
      expect(writesSeen(server.sim)).toEqual([])
    }))

  it("takes a container snapshot without RAM", () =>
    using(async (server) => {
      const result = await server.callTool("pve_snapshot_create", { vmid: 105, name: "ct-snap" })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ type: "lxc", snapshot: { name: "ct-snap", vmstate: false } })
      expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve1/lxc/105/snapshot"])
    }))

  it("refuses a name already used", () =>
    using(async (server) => {
      const result = await server.callTool("pve_snapshot_create", { vmid: 107, name: "clean" })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain('lxc 107 already has a snapshot "clean"')
      expect(writesSeen(server.sim)).toEqual([])
    }))
})

describe("pve_snapshot_rollback", () => {
  it("refuses a snapshot that does not exist, naming the ones that do, before sending anything", () =>
    using(async (server) => {
      const result = await server.callTool("pve_snapshot_rollback", {
        vmid: 101,
        name: "no-such-snap",
        confirm: true,
        confirmName: "no-such-snap"
      })
      expect(result.isError).toBe(true)
      const names = [...server.sim.model.guest(101).snapshots.keys()]
      expect(textOf(result)).toContain(`qemu 101 has no snapshot "no-such-snap"; its snapshots are: `)
      for (const name of names) expect(textOf(result)).toContain(name)
      expect(writesSeen(server.sim)).toEqual([])
    }))

  it("wants the snapshot name repeated", () =>
    using(async (server) => {
      const result = await server.callTool("pve_snapshot_rollback", { vmid: 107, name: "clean", confirm: true })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain('confirmName: "clean"')
      expect(writesSeen(server.sim)).toEqual([])
    }))

  it("rolls a running container back: stopped afterwards, and start: true starts it again", () =>
    using(async (server) => {
      await server.callTool("pve_snapshot_create", { vmid: 105, name: "base" })
      const stopped = await server.callTool("pve_snapshot_rollback", {
        vmid: 105,
        name: "base",
        confirm: true,
        confirmName: "base"
      })
      expect(stopped.isError, textOf(stopped)).toBeFalsy()
      expect(stopped.structuredContent).toMatchObject({ snapshot: "base", exitStatus: "OK", running: false })
      expect(textOf(stopped)).toMatch(/the guest is stopped \(start it with pve_guest_start/)
      const started = await server.callTool("pve_snapshot_rollback", {
        vmid: 105,
        name: "base",
        start: true,
        confirm: true,
        confirmName: "base"
      })
      expect(started.isError, textOf(started)).toBeFalsy()
      expect(started.structuredContent).toMatchObject({ running: true, statusAfter: "running" })
      const rollbacks = server.sim.requests.filter((r) => r.path.endsWith("/rollback"))
      expect(rollbacks.map((r) => r.params.start)).toEqual([undefined, "1"])
      expect(textOf(started)).toContain("the guest is running")
    }))
})

describe("pve_snapshot_delete", () => {
  it("deletes a snapshot after confirmation, and the rest stay", () =>
    using(async (server) => {
      const result = await server.callTool("pve_snapshot_delete", {
        vmid: 107,
        name: "clean",
        force: true,
        confirm: true,
        confirmName: "clean"
      })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ deleted: "clean", exitStatus: "OK", remaining: [] })
      expect(writesSeen(server.sim)).toEqual(["DELETE /nodes/pve3/lxc/107/snapshot/clean"])
      expect(server.sim.requests.find((r) => r.method === "DELETE")!.params).toMatchObject({ force: "1" })
      expect(server.sim.model.guest(107).snapshots.size).toBe(0)
    }))

  it("refuses a snapshot that does not exist", () =>
    using(async (server) => {
      const result = await server.callTool("pve_snapshot_delete", {
        vmid: 104,
        name: "gone",
        confirm: true,
        confirmName: "gone"
      })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain('qemu 104 has no snapshot "gone"; it has no snapshots at all')
      expect(writesSeen(server.sim)).toEqual([])
    }))
})
