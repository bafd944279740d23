/**
 * PVE_MAX_RESPONSE_BYTES in the live HTTP stack (ProxmoxLive over Node's agent) against the simulator over a real
 * socket: a huge answer is refused while it streams in, and the simulator's own count of the bytes it managed to
 * write shows that the client stopped reading far short of the body.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startSimServer } from "../../sim/server.js"
import { getVersion } from "../../src/proxmox/cluster.js"
import { ProxmoxLive } from "../../src/proxmox/layers.js"
import { pvePath } from "../../src/proxmox/Path.js"
import { ProxmoxClient } from "../../src/proxmox/ProxmoxClient.js"
import { simulatorConfig } from "../../src/simulatorMode.js"

const MiB = 1024 * 1024
const LIMIT = 1 * MiB
const HUGE = 400 * MiB

const withSimServer = <A, E>(use: (server: Awaited<ReturnType<typeof startSimServer>>) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startSimServer({ port: 0 })),
    use,
    (server) => Effect.promise(() => server.close())
  )

const getResources = Effect.gen(function* () {
  const client = yield* ProxmoxClient
  return yield* client.execute({ method: "GET", path: yield* pvePath("/cluster/resources"), params: {} })
})

describe("PVE_MAX_RESPONSE_BYTES over a real socket", () => {
  it.live("an endless, unannounced 400 MiB body is refused at the limit, naming the endpoint and the variable", () =>
    withSimServer((server) =>
      Effect.gen(function* () {
        const layer = ProxmoxLive(simulatorConfig({ baseUrl: `${server.url}/api2/json`, maxResponseBytes: LIMIT }))
        server.hugeBodies.add({ path: "/cluster/resources", bytes: HUGE, times: 1 })
        const error = yield* Effect.flip(getResources.pipe(Effect.provide(layer)))
        expect(error).toMatchObject({ _tag: "PveResponseTooLarge", method: "GET", path: "/cluster/resources" })
        expect(error.message).toBe(
          "GET /cluster/resources answered with more than the limit of 1048576 bytes (PVE_MAX_RESPONSE_BYTES)"
        )
        const [streamed] = yield* Effect.promise(() => Promise.all(server.hugeBodies.served))
        expect(server.hugeBodies.served).toHaveLength(1)
        expect(streamed!.complete).toBe(false)
        // the limit plus what the kernel's and Node's socket buffers held when the client hung up
        expect(streamed!.bytesSent).toBeGreaterThan(LIMIT)
        expect(streamed!.bytesSent).toBeLessThan(HUGE / 20)
      })
    )
  )

  it.live("an announced Content-Length over the limit is refused before the body is read", () =>
    withSimServer((server) =>
      Effect.gen(function* () {
        const layer = ProxmoxLive(simulatorConfig({ baseUrl: `${server.url}/api2/json`, maxResponseBytes: LIMIT }))
        server.hugeBodies.add({ path: "/cluster/resources", bytes: HUGE, declareLength: true, times: 1 })
        const error = yield* Effect.flip(getResources.pipe(Effect.provide(layer)))
        expect(error).toMatchObject({ _tag: "PveResponseTooLarge", declaredBytes: HUGE, limitBytes: LIMIT })
        expect(error.message).toBe(
          "GET /cluster/resources answered with 419430400 bytes, over the limit of 1048576 bytes (PVE_MAX_RESPONSE_BYTES)"
        )
        const [streamed] = yield* Effect.promise(() => Promise.all(server.hugeBodies.served))
        expect(streamed!.complete).toBe(false)
        expect(streamed!.bytesSent).toBeLessThan(HUGE / 20)
      })
    )
  )

  it.live("is not retried, and answers under the limit still share one kept-alive connection", () =>
    withSimServer((server) =>
      Effect.gen(function* () {
        const layer = ProxmoxLive(simulatorConfig({ baseUrl: `${server.url}/api2/json`, maxResponseBytes: LIMIT }))
        yield* Effect.gen(function* () {
          server.hugeBodies.add({ path: "/cluster/resources", bytes: HUGE, times: 1 })
          const error = yield* Effect.flip(getResources)
          expect(error._tag).toBe("PveResponseTooLarge")
          expect(server.hugeBodies.served).toHaveLength(1)

          const before = server.connections()
          for (let i = 0; i < 3; i++) expect((yield* getVersion).release).toBe("9.1")
          const resources = yield* getResources
          expect(Array.isArray(resources.data)).toBe(true)
          // the refused answer's connection was closed; the next ones reuse a single new one
          expect(server.connections() - before).toBe(1)
        }).pipe(Effect.provide(layer))
      })
    )
  )
})
