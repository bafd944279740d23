/**
 * The live HTTP stack (ProxmoxLive: @effect/platform's client over Node's agent) against sockets that fail, and
 * the words the tool errors use for them.
 */
import { createServer } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startSimServer } from "../../sim/server.js"
import { getVersion } from "../../src/proxmox/cluster.js"
import { changePowerState } from "../../src/proxmox/guests.js"
import { ProxmoxLive } from "../../src/proxmox/layers.js"
import { transportCause } from "../../src/proxmox/ProxmoxClientLive.js"
import { simulatorConfig } from "../../src/simulatorMode.js"

/** A loopback port that nothing listens on any more. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

describe("live transport errors", () => {
  it.live("a refused connection is a network PveTransportError that says so", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(closedPort)
      const layer = ProxmoxLive(
        simulatorConfig({ baseUrl: `http://127.0.0.1:${port}/api2/json`, requestTimeoutMs: 5_000 })
      )
      const error = yield* Effect.flip(getVersion.pipe(Effect.provide(layer)))
      expect(error).toMatchObject({ _tag: "PveTransportError", kind: "network" })
      expect(error.message).toBe(
        "GET /version: connection refused (nothing listens at that address and port) (ECONNREFUSED)"
      )
    })
  )

  it.live("over a real socket, a dropped GET is retried and a dropped POST is not", () =>
    Effect.acquireUseRelease(
      Effect.promise(() => startSimServer({ port: 0 })),
      (server) =>
        Effect.gen(function* () {
          // simulatorConfig carries the simulator's own token
          const layer = ProxmoxLive(simulatorConfig({ baseUrl: `${server.url}/api2/json` }))
          server.sim.faults.add({ method: "GET", path: "/version", drop: true, times: 1 })
          const version = yield* getVersion.pipe(Effect.provide(layer))
          expect(version.release).toBe("9.1")
          expect(server.sim.requests.filter((r) => r.path === "/version")).toHaveLength(2)

          server.sim.faults.add({ method: "POST", path: "/nodes/pve3/qemu/104/status/start", drop: true, times: 1 })
          const error = yield* Effect.flip(
            changePowerState({ vmid: 104, node: "pve3", type: "qemu", name: undefined }, "start").pipe(
              Effect.provide(layer)
            )
          )
          expect(error).toMatchObject({ _tag: "PveTransportError", kind: "network" })
          expect(server.sim.requests.filter((r) => r.path.endsWith("/status/start"))).toHaveLength(1)
        }),
      (server) => Effect.promise(() => server.close())
    )
  )

  it.each([
    [
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "tls",
      "PVE's certificate is self-signed (PVE's own CA made it) and not trusted here (DEPTH_ZERO_SELF_SIGNED_CERT)"
    ],
    [
      "SELF_SIGNED_CERT_IN_CHAIN",
      "tls",
      "PVE's certificate is self-signed (PVE's own CA made it) and not trusted here (SELF_SIGNED_CERT_IN_CHAIN)"
    ],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "tls", "PVE's certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls", "PVE's certificate does not name this host (ERR_TLS_CERT_ALTNAME_INVALID)"],
    ["CERT_HAS_EXPIRED", "tls", "PVE's certificate has expired (CERT_HAS_EXPIRED)"],
    ["ENOTFOUND", "network", "host name not found (ENOTFOUND)"],
    ["ECONNRESET", "network", "connection reset by the server (ECONNRESET)"],
    ["EWHATEVER", "network", "connection failed (EWHATEVER)"]
  ] as const)("names %s in words", (code, kind, text) => {
    expect(transportCause(Object.assign(new Error("x"), { code }))).toEqual({ text, kind })
  })

  it("tells plain HTTP on an https:// URL from an HTTPS port refusing plain HTTP on an http:// URL", () => {
    const wrongVersion = Object.assign(new Error("ssl3_get_record:wrong version number"), { code: "EPROTO" })
    expect(transportCause(wrongVersion, "https:")?.text).toContain("answered in plain HTTP, not HTTPS")
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
    expect(transportCause(reset, "http:")?.text).toContain("it probably speaks HTTPS")
    expect(transportCause(reset, "https:")?.text).toBe("connection reset by the server (ECONNRESET)")
  })

  it("leaves a cause without a code to the generic text", () => {
    expect(transportCause(new Error("socket hang up"))).toBeUndefined()
    expect(transportCause(undefined)).toBeUndefined()
  })
})
