import { readFileSync } from "node:fs"
import { rootCertificates } from "node:tls"
import { NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PveConfig } from "../config/PveConfig.js"

/**
 * The real socket: undici with certificate verification on by default, an extra CA for a cluster's own
 * certificate (PROXMOX_CA_FILE), or verification off only when the user asked for it.
 */
export const PveHttpClientLive = Layer.unwrapScoped(
  Effect.gen(function* () {
    const { tls } = yield* PveConfig
    const ca = tls.caFile === undefined ? undefined : [...rootCertificates, readFileSync(tls.caFile, "utf8")]
    const dispatcher = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new Undici.Agent({
            connect: { rejectUnauthorized: tls.verify, ...(ca === undefined ? {} : { ca }) },
            keepAliveTimeout: 30_000
          })
      ),
      (agent) => Effect.promise(() => agent.close())
    )
    return NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
      Layer.provide(Layer.succeed(NodeHttpClient.Dispatcher, dispatcher))
    )
  })
)
