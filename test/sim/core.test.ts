import { describe, expect, it } from "vitest"
import { call, simulator, steppedClock, upidPath } from "../support/rawSimulator.js"

describe("simulator: core endpoints", () => {
  it("answers /version with PVE 9 strings", () => {
    const answer = call(simulator(), "GET", "/version")
    expect(answer.status).toBe(200)
    expect(answer.json?.data).toMatchObject({ version: expect.stringMatching(/^9\./), release: "9.1" })
  })

  it("lists the default three nodes with pve-node names and the cluster quorate", () => {
    const sim = simulator()
    const nodes = call(sim, "GET", "/nodes").json?.data as Array<{ node: string; status: string }>
    expect(nodes.map((n) => n.node)).toEqual(["pve1", "pve2", "pve3"])
    const status = call(sim, "GET", "/cluster/status").json?.data as Array<Record<string, unknown>>
    expect(status[0]).toMatchObject({ type: "cluster", quorate: 1, nodes: 3 })
    expect(status.filter((entry) => entry.type === "node" && entry.local === 1)).toHaveLength(1)
  })

  it("filters /cluster/resources by type", () => {
    const sim = simulator()
    const vms = call(sim, "GET", "/cluster/resources", { params: { type: "vm" } }).json?.data as Array<{ type: string }>
    expect(vms.length).toBeGreaterThan(5)
    expect(new Set(vms.map((r) => r.type))).toEqual(new Set(["qemu", "lxc"]))
    const nodes = call(sim, "GET", "/cluster/resources", { params: { type: "node" } }).json?.data as Array<{
      type: string
    }>
    expect(nodes.every((r) => r.type === "node")).toBe(true)
  })

  it("returns nextid as a string and a 400 for a taken VMID", () => {
    const sim = simulator()
    expect(call(sim, "GET", "/cluster/nextid").json?.data).toBe("109")
    const taken = call(sim, "GET", "/cluster/nextid", { params: { vmid: 100 } })
    expect(taken.status).toBe(400)
    expect(taken.json?.errors).toEqual({ vmid: "VM 100 already exists" })
  })

  it("answers 500 with PVE's text for a guest that is not on the node", () => {
    const answer = call(simulator(), "GET", "/nodes/pve2/qemu/100/status/current")
    expect(answer.status).toBe(500)
    expect(answer.json?.message).toBe("Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist\n")
  })

  it("hashes the whole config file into the digest: a pending change and a snapshot's description change it", () => {
    const sim = simulator()
    const path = "/nodes/pve1/qemu/101/config"
    const digestOf = (params: Record<string, number> = {}) =>
      String((call(sim, "GET", path, { params }).json?.data as { digest?: unknown } | undefined)?.digest)
    const before = digestOf()
    expect(before).toMatch(/^[0-9a-f]{40}$/)
    // 101 runs: cores waits for the next start, so only the [PENDING] section of the file changes
    expect(call(sim, "PUT", path, { params: { cores: 8, digest: before } }).status).toBe(200)
    expect(sim.model.guest(101).pending).toEqual({ cores: 8 })
    const withPending = digestOf()
    expect(withPending).not.toBe(before)
    expect(digestOf({ current: 1 })).toBe(withPending)
    const stale = call(sim, "PUT", path, { params: { memory: 2048, digest: before } })
    expect(stale.status).toBe(500)
    expect(stale.json?.message).toMatch(/detected modified configuration - file changed by other user\? Try again\./)
    const snapshot = call(sim, "PUT", "/nodes/pve1/qemu/101/snapshot/pre-upgrade/config", {
      params: { description: "before the 9.1 upgrade" }
    })
    expect(snapshot.status).toBe(200)
    expect(digestOf()).not.toBe(withPending)
  })

  it("starts a stopped VM through a running task that then stops OK", () => {
    const clock = steppedClock()
    const sim = simulator({ now: clock.now, taskDurationMs: 1000 })
    const upid = call(sim, "POST", "/nodes/pve3/qemu/104/status/start").json?.data as string
    expect(upid).toMatch(/^UPID:pve3:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmstart:104:root@pam!mcp:$/)
    const running = call(sim, "GET", upidPath("pve3", upid, "status")).json?.data
    expect(running).toMatchObject({ status: "running", type: "qmstart", id: "104", user: "root@pam", tokenid: "mcp" })
    expect(running).not.toHaveProperty("exitstatus")
    expect(sim.model.guest(104).status).toBe("stopped")
    clock.advance(1000)
    expect(call(sim, "GET", upidPath("pve3", upid, "status")).json?.data).toMatchObject({
      status: "stopped",
      exitstatus: "OK"
    })
    expect(sim.model.guest(104).status).toBe("running")
    const log = call(sim, "GET", upidPath("pve3", upid, "log"))
    expect(log.json?.data).toEqual([{ n: 1, t: "TASK OK" }])
    expect(log.json?.total).toBe(1)
  })

  it("fails the start of a running VM with PVE's exit status", () => {
    const clock = steppedClock()
    const sim = simulator({ now: clock.now })
    const upid = call(sim, "POST", "/nodes/pve2/qemu/102/status/start").json?.data as string
    clock.advance(1000)
    const status = call(sim, "GET", upidPath("pve2", upid, "status")).json?.data
    expect(status).toMatchObject({ status: "stopped", exitstatus: "VM 102 already running" })
    const log = call(sim, "GET", upidPath("pve2", upid, "log")).json?.data as Array<{ t: string }>
    expect(log.at(-1)?.t).toBe("TASK ERROR: VM 102 already running")
  })
})
