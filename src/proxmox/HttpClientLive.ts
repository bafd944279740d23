import { readFileSync } from "node:fs"
import { rootCertificates } from "node:tls"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PveConfig } from "../config/PveConfig.js"

/**
 * The real socket: Node's own http/https agent (through @effect/platform-node), with certificate verification on
 * by default, an extra CA for a cluster's own certificate (PROXMOX_CA_FILE), or verification off only when the user
 * asked for it. Not undici: loading it and its WebAssembly HTTP parser cost about 30 MiB of a stdio server's
 * resident memory (measured in scripts/bench.ts), for no gain at one request at a time.
 */
export const PveHttpClientLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const { tls } = yield* PveConfig
    const ca = tls.caFile === undefined ? undefined : [...rootCertificates, readFileSync(tls.caFile, "utf8")]
    return NodeHttpClient.layerWithoutAgent.pipe(
      Layer.provide(
        NodeHttpClient.makeAgentLayer({
          keepAlive: true,
          rejectUnauthorized: tls.verify,
          ...(ca === undefined ? {} : { ca })
        })
      )
    )
  })
)
