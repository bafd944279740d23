import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PveConfig, type PveConfigShape } from "../config/PveConfig.js"
import { ProxmoxClient } from "./ProxmoxClient.js"

/**
 * ProxmoxClient over the real network, plus the config it was built from. The client and its socket (NodeWire:
 * Node's http/https agent) are loaded on the first request, not at start-up: stdio servers are spawned per
 * client session, and `tools/list` needs no network.
 */
export const ProxmoxLive = (config: PveConfigShape): Layer.Layer<ProxmoxClient | PveConfig> =>
  Layer.scoped(
    ProxmoxClient,
    Effect.gen(function* () {
      const scope = yield* Effect.scope
      const live = yield* Effect.cached(
        Effect.promise(() => Promise.all([import("./ProxmoxClientLive.js"), import("./NodeWire.js")])).pipe(
          Effect.flatMap(([client, wire]) =>
            Layer.buildWithScope(
              client.ProxmoxClientLive.pipe(Layer.provide(wire.NodeWireLive), Layer.provide(PveConfig.layer(config))),
              scope
            )
          ),
          Effect.map((context) => Context.get(context, ProxmoxClient))
        )
      )
      return { execute: (request) => Effect.flatMap(live, (client) => client.execute(request)) }
    })
  ).pipe(Layer.provideMerge(PveConfig.layer(config)))
