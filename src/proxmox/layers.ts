import { HttpClient } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import { PveConfig, type PveConfigShape } from "../config/PveConfig.js"
import { ProxmoxClientLive } from "./ProxmoxClient.js"

/**
 * The undici client is loaded on the first request, not at start-up: stdio servers are spawned per client
 * session, and `tools/list` needs no network.
 */
const PveHttpClientOnFirstUse = Layer.scoped(
  HttpClient.HttpClient,
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const config = yield* PveConfig
    const real = yield* Effect.cached(
      Effect.promise(() => import("./HttpClientLive.js")).pipe(
        Effect.flatMap((m) => Layer.buildWithScope(m.PveHttpClientLive, scope)),
        Effect.map((context) => Context.get(context, HttpClient.HttpClient)),
        Effect.provideService(PveConfig, config)
      )
    )
    return HttpClient.make((request) => Effect.flatMap(real, (client) => client.execute(request)))
  })
)

/** ProxmoxClient over the real network, plus the config it was built from. */
export const ProxmoxLive = (config: PveConfigShape) =>
  ProxmoxClientLive.pipe(Layer.provide(PveHttpClientOnFirstUse), Layer.provideMerge(PveConfig.layer(config)))
