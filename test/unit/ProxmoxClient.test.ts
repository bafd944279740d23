import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { getClusterResources, getVersion } from "../../src/proxmox/cluster.js"
import { call } from "../../src/proxmox/Endpoint.js"
import { changePowerState, listGuests, powerEndpoints, resolveGuest } from "../../src/proxmox/guests.js"
import { getNodeStatus } from "../../src/proxmox/nodes.js"
import { waitForTask } from "../../src/proxmox/Tasks.js"
import { simulated, ticketAuth } from "../support/simulated.js"

const header = (headers: Record<string, string>, name: string) =>
  Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]

describe("ProxmoxClient against the simulator", () => {
  it.live("reads through the token header", () => {
    const { simulator, layer } = simulated()
    return Effect.gen(function* () {
      const version = yield* getVersion
      expect(version.version).toMatch(/^\d+\.\d+/)
      const [request] = simulator.requests
      expect(request?.path).toBe("/version")
      expect(header(request!.headers, "authorization")).toMatch(/^PVEAPIToken=root@pam!mcp=/)
    }).pipe(Effect.provide(layer))
  })

  it.live("refuses injected path segments with no request sent", () => {
    const { simulator, layer } = simulated()
    return Effect.gen(function* () {
      for (const node of ["pve/qemu/101/status/stop#", "../cluster", "pve1%2F..", "pve1\r\n"]) {
        const error = yield* Effect.flip(getNodeStatus(node))
        expect(error._tag).toBe("InvalidInput")
      }
      const error = yield* Effect.flip(resolveGuest(101, "pve/qemu/101/status/stop#"))
      expect(error._tag).toBe("InvalidInput")
      expect(simulator.requests).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.live("does not retry a POST after a 503, but retries a GET", () => {
    const { simulator, layer } = simulated()
    return Effect.gen(function* () {
      const guest = (yield* listGuests({ status: "stopped", type: "qemu" })).find((g) => !g.template)!
      const ref = yield* resolveGuest(guest.vmid)
      simulator.clearRequests()
      simulator.faults.add({ method: "POST", path: /\/status\/start$/, status: 503, times: 1 })
      const error = yield* Effect.flip(changePowerState(ref, "start"))
      expect(error).toMatchObject({ _tag: "PveServerError", status: 503 })
      expect(simulator.requests.filter((r) => r.method === "POST")).toHaveLength(1)

      simulator.clearRequests()
      simulator.faults.add({ method: "GET", path: "/cluster/resources", status: 503, times: 2 })
      const resources = yield* getClusterResources("vm")
      expect(resources.length).toBeGreaterThan(0)
      expect(simulator.requests.filter((r) => r.path === "/cluster/resources")).toHaveLength(3)
    }).pipe(Effect.provide(layer))
  })

  it.live("gives up after a per-request timeout", () => {
    const { simulator, layer } = simulated({ config: { requestTimeoutMs: 200 } })
    return Effect.gen(function* () {
      simulator.faults.add({ path: "/version", delayMs: 5_000 })
      const error = yield* Effect.flip(getVersion)
      expect(error).toMatchObject({ _tag: "PveTimeout", method: "GET", path: "/version", timeoutMs: 200 })
    }).pipe(Effect.provide(layer))
  })

  it.live("maps a 403 to the privilege and ACL path", () => {
    const auditor = {
      _tag: "Token" as const,
      tokenId: "auditor@pve!mcp",
      secret: Redacted.make("6b1a4c6e-0000-4000-8000-000000000001")
    }
    const { simulator, layer } = simulated({ config: { auth: auditor } })
    simulator.addToken({
      tokenid: auditor.tokenId,
      secret: Redacted.value(auditor.secret),
      acl: [{ path: "/", privs: ["VM.Audit", "Sys.Audit", "Datastore.Audit"], propagate: true }]
    })
    return Effect.gen(function* () {
      const guest = (yield* listGuests({ status: "stopped", type: "qemu" })).find((g) => !g.template)!
      const error = yield* Effect.flip(changePowerState(yield* resolveGuest(guest.vmid), "start"))
      expect(error).toMatchObject({
        _tag: "PvePermissionError",
        aclPath: `/vms/${guest.vmid}`,
        privileges: ["VM.PowerMgmt"]
      })
    }).pipe(Effect.provide(layer))
  })
})

describe("ticket authentication", () => {
  it.live("logs in, sends the cookie on reads and CSRF only on writes", () => {
    const { simulator, layer } = simulated({ config: ticketAuth })
    return Effect.gen(function* () {
      const guest = (yield* listGuests({ status: "stopped", type: "qemu" })).find((g) => !g.template)!
      yield* changePowerState(yield* resolveGuest(guest.vmid), "start")
      const login = simulator.requests[0]!
      expect(login).toMatchObject({ method: "POST", path: "/access/ticket" })
      const afterLogin = simulator.requests.slice(1)
      expect(afterLogin.length).toBeGreaterThan(2)
      for (const r of afterLogin) {
        expect(header(r.headers, "cookie")).toMatch(/^PVEAuthCookie=PVE%3A/)
        expect(header(r.headers, "authorization")).toBeUndefined()
        if (r.method === "GET") expect(header(r.headers, "csrfpreventiontoken")).toBeUndefined()
        else expect(header(r.headers, "csrfpreventiontoken")).toMatch(/^[0-9A-F]{8}:/)
      }
      expect(afterLogin.some((r) => r.method === "POST")).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.live("renews the ticket with the ticket itself before it expires", () => {
    const { simulator, layer } = simulated({
      config: { ...ticketAuth, ticketRenewAfterMs: 300 },
      sim: { ticketLifetimeMs: 1_000 }
    })
    return Effect.gen(function* () {
      yield* getVersion
      yield* Effect.sleep("450 millis")
      yield* getVersion
      const logins = simulator.requests.filter((r) => r.path === "/access/ticket")
      expect(logins).toHaveLength(2)
      expect(String(logins[0]!.params.password)).not.toMatch(/^PVE:/)
      expect(String(logins[1]!.params.password)).toMatch(/^PVE:root@pam:/)
      expect(simulator.requests.filter((r) => r.path === "/version")).toHaveLength(2)
    }).pipe(Effect.provide(layer))
  })

  it.live("logs in once more and retries after a 401", () => {
    const { simulator, layer } = simulated({ config: ticketAuth })
    return Effect.gen(function* () {
      yield* getVersion
      simulator.faults.expireTickets()
      const version = yield* getVersion
      expect(version.release).toBeTruthy()
      expect(simulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        "POST /access/ticket",
        "GET /version",
        "GET /version",
        "POST /access/ticket",
        "GET /version"
      ])
    }).pipe(Effect.provide(layer))
  })
})

describe("waitForTask", () => {
  it.live("reports a failed task with its exit status and log tail", () => {
    const { simulator, layer } = simulated()
    return Effect.gen(function* () {
      const running = (yield* listGuests({ status: "running", type: "qemu" }))[0]!
      const ref = yield* resolveGuest(running.vmid)
      const error = yield* Effect.flip(changePowerState(ref, "start"))
      expect(error._tag).toBe("TaskFailed")
      if (error._tag === "TaskFailed") {
        expect(error.exitStatus).toBe(`VM ${running.vmid} already running`)
        expect(error.logTail.at(-1)).toBe(`TASK ERROR: VM ${running.vmid} already running`)
      }
      expect(simulator.requests.some((r) => r.path.endsWith("/log"))).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.live("fails with TaskTimeout when a task never finishes", () => {
    const { simulator, layer } = simulated({ config: { taskTimeoutMs: 600 } })
    return Effect.gen(function* () {
      const guest = (yield* listGuests({ status: "stopped", type: "qemu" })).find((g) => !g.template)!
      const ref = yield* resolveGuest(guest.vmid)
      simulator.faults.hangNextTask()
      const upid = yield* call(powerEndpoints.start.qemu, { node: ref.node, vmid: ref.vmid })
      const error = yield* Effect.flip(waitForTask(upid))
      expect(error).toMatchObject({ _tag: "TaskTimeout", upid, timeoutMs: 600 })
    }).pipe(Effect.provide(layer))
  })

  it.live("treats WARNINGS: n as success and returns the count", () => {
    const { simulator, layer } = simulated()
    return Effect.gen(function* () {
      const guest = (yield* listGuests({ status: "stopped", type: "qemu" })).find((g) => !g.template)!
      simulator.faults.failNextTask({ exitStatus: "WARNINGS: 2" })
      const outcome = yield* changePowerState(yield* resolveGuest(guest.vmid), "start")
      expect(outcome).toMatchObject({ exitStatus: "WARNINGS: 2", warnings: 2 })
    }).pipe(Effect.provide(layer))
  })
})
