/** Task lifecycle: running → stopped, locks, failures, stop by request, never-ending tasks, list paging. */
import { describe, expect, it } from "vitest"
import { call, simulator, steppedClock, upidPath } from "../support/rawSimulator.js"

const setup = () => {
  const clock = steppedClock()
  const sim = simulator({ now: clock.now, taskDurationMs: 1000, taskDurations: { vzdump: 5000 } })
  const status = (node: string, upid: string) =>
    call(sim, "GET", upidPath(node, upid, "status")).json?.data as Record<string, unknown>
  return { clock, sim, status }
}

describe("tasks", () => {
  it("locks a guest during a backup; other operations fail with PVE's lock text", () => {
    const { clock, sim, status } = setup()
    const backup = call(sim, "POST", "/nodes/pve1/vzdump", { params: { vmid: "100", storage: "nfs-shared" } })
    const upid = backup.json?.data as string
    expect(upid).toContain(":vzdump:100:")
    expect(call(sim, "GET", "/nodes/pve1/qemu/100/config").json?.data).toMatchObject({ lock: "backup" })
    const snapshot = call(sim, "POST", "/nodes/pve1/qemu/100/snapshot", { params: { snapname: "during" } })
    expect(snapshot).toMatchObject({ status: 500, statusText: "VM 100 is locked (backup)" })
    const stop = call(sim, "POST", "/nodes/pve1/qemu/100/status/stop").json?.data as string
    clock.advance(1000)
    expect(status("pve1", stop)).toMatchObject({ status: "stopped", exitstatus: "VM 100 is locked (backup)" })
    const midway = call(sim, "GET", upidPath("pve1", upid, "log")).json?.data as Array<{ t: string }>
    expect(midway.length).toBeGreaterThan(1)
    expect(midway.some((line) => line.t.startsWith("TASK"))).toBe(false)
    clock.advance(4000)
    expect(status("pve1", upid)).toMatchObject({ status: "stopped", exitstatus: "OK" })
    expect(sim.model.guest(100).config.lock).toBeUndefined()
    const backups = call(sim, "GET", "/nodes/pve1/storage/nfs-shared/content", {
      params: { content: "backup", vmid: 100 }
    })
    expect(backups.json?.data).toHaveLength(3)
  })

  it("fails the next task with an injected exit status and leaves the model unchanged", () => {
    const { clock, sim, status } = setup()
    sim.faults.failNextTask({ type: "qmstart", exitStatus: "start failed: QEMU exited with code 1" })
    const upid = call(sim, "POST", "/nodes/pve3/qemu/104/status/start").json?.data as string
    clock.advance(1000)
    expect(status("pve3", upid)).toMatchObject({ exitstatus: "start failed: QEMU exited with code 1" })
    expect(sim.model.guest(104).status).toBe("stopped")
    sim.faults.failNextTask({ exitStatus: "WARNINGS: 2" })
    const warned = call(sim, "POST", "/nodes/pve3/qemu/104/status/start").json?.data as string
    clock.advance(1000)
    expect(status("pve3", warned)).toMatchObject({ exitstatus: "WARNINGS: 2" })
    expect(sim.model.guest(104).status).toBe("running")
  })

  it("times out the shutdown of a guest that ignores ACPI", () => {
    const { clock, sim, status } = setup()
    const upid = call(sim, "POST", "/nodes/pve2/qemu/103/status/shutdown", { params: { timeout: 3 } }).json
      ?.data as string
    clock.advance(2000)
    expect(status("pve2", upid).status).toBe("running")
    clock.advance(1000)
    expect(status("pve2", upid)).toMatchObject({
      status: "stopped",
      exitstatus: "VM quit/powerdown failed - got timeout"
    })
    expect(sim.model.guest(103).status).toBe("running")
  })

  it("answers container power errors synchronously, as pve-container does", () => {
    const { sim } = setup()
    expect(call(sim, "POST", "/nodes/pve3/lxc/107/status/shutdown")).toMatchObject({
      status: 500,
      statusText: "CT 107 not running"
    })
    expect(call(sim, "POST", "/nodes/pve1/lxc/105/status/start")).toMatchObject({
      status: 500,
      statusText: "CT 105 already running"
    })
  })

  it("stops a never-ending task by request", () => {
    const { clock, sim, status } = setup()
    sim.faults.hangNextTask({ type: "vzdump" })
    const upid = call(sim, "POST", "/nodes/pve1/vzdump", { params: { vmid: "101", storage: "nfs-shared" } }).json
      ?.data as string
    clock.advance(3_600_000)
    expect(status("pve1", upid).status).toBe("running")
    expect(sim.model.guest(101).config.lock).toBe("backup")
    const active = call(sim, "GET", "/nodes/pve1/tasks", { params: { source: "active" } }).json?.data as Array<
      Record<string, unknown>
    >
    expect(active.map((task) => [task.upid, task.status])).toEqual([[upid, "RUNNING"]])
    expect(call(sim, "DELETE", upidPath("pve1", upid, "").slice(0, -1)).status).toBe(200)
    expect(status("pve1", upid)).toMatchObject({ status: "stopped", exitstatus: "interrupted by signal" })
    expect(sim.model.guest(101).config.lock).toBeUndefined()
  })

  it("lists finished tasks newest first with total, start and limit, and pages the log", () => {
    const { clock, sim } = setup()
    const upids: Array<string> = []
    // since: the seeded history of a fresh cluster is older
    const since = Math.floor(clock.now() / 1000)
    for (const name of ["a1", "a2", "a3"]) {
      upids.push(
        call(sim, "POST", "/nodes/pve1/qemu/100/snapshot", { params: { snapname: name } }).json?.data as string
      )
      clock.advance(1500)
    }
    const page = call(sim, "GET", "/nodes/pve1/tasks", { params: { start: 1, limit: 1, since } })
    expect(page.json?.total).toBe(3)
    expect((page.json!.data as Array<{ upid: string }>).map((task) => task.upid)).toEqual([upids[1]])
    const log = call(sim, "GET", upidPath("pve1", upids[0]!, "log"), { params: { start: 1, limit: 1 } })
    expect(log.json?.data).toEqual([{ n: 2, t: "TASK OK" }])
    expect(log.json?.total).toBe(2)
    const snapshots = call(sim, "GET", "/nodes/pve1/qemu/100/snapshot").json?.data as Array<{
      name: string
      parent?: string
    }>
    expect(snapshots.find((s) => s.name === "current")?.parent).toBe("a3")
    expect(snapshots.find((s) => s.name === "a2")?.parent).toBe("a1")
  })

  it("answers PVE's 400s for unparsable and unknown UPIDs", () => {
    const { sim } = setup()
    expect(call(sim, "GET", "/nodes/pve1/tasks/nonsense/status").json?.errors).toEqual({
      upid: "unable to parse worker upid"
    })
    const unknown = "UPID:pve1:00001234:00ABCDEF:6A000000:qmstart:100:root@pam:"
    expect(call(sim, "GET", upidPath("pve1", unknown, "status")).json?.errors).toEqual({ upid: "no such task" })
  })

  it("keeps network changes pending until applied", () => {
    const { clock, sim } = setup()
    call(sim, "POST", "/nodes/pve1/network", {
      params: { iface: "vmbr1", type: "bridge", cidr: "10.20.0.1/24", autostart: 1 }
    })
    const pending = call(sim, "GET", "/nodes/pve1/network")
    expect(pending.json).toHaveProperty("changes")
    expect(sim.model.nodes.get("pve1")!.network.has("vmbr1")).toBe(false)
    const upid = call(sim, "PUT", "/nodes/pve1/network").json?.data as string
    expect(upid).toContain(":srvreload:networking:")
    clock.advance(1000)
    call(sim, "GET", "/version")
    expect(sim.model.nodes.get("pve1")!.network.get("vmbr1")).toMatchObject({ cidr: "10.20.0.1/24", active: 1 })
    expect(call(sim, "GET", "/nodes/pve1/network").json).not.toHaveProperty("changes")
  })
})
