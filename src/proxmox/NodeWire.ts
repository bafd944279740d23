import { readFileSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { rootCertificates } from "node:tls"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PveConfig, type PveConfigShape } from "../config/PveConfig.js"
import { PveWire, type PveWireShape, type WireAnswer, type WireFailure } from "./Wire.js"

/**
 * The body length the answer declares, from the raw header list: reading `incoming.headers` would build an object of
 * every header on each answer, for this one. NaN when none is declared (chunked).
 */
const declaredLength = (raw: ReadonlyArray<string>): number => {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 14 && raw[i]!.toLowerCase() === "content-length") return Number(raw[i + 1])
  }
  return Number.NaN
}

/**
 * The real socket: Node's own http/https agent with keep-alive, certificate verification on by default, an extra
 * CA for a cluster's own certificate (PROXMOX_CA_FILE), or verification off only when the user asked for it.
 * Not undici: loading it and its WebAssembly HTTP parser cost about 30 MiB of a stdio server's resident memory,
 * for no gain at one request at a time.
 */
export const makeNodeWire = (tls: PveConfigShape["tls"]): PveWireShape & { readonly close: () => void } => {
  const ca = tls.caFile === undefined ? undefined : [...rootCertificates, readFileSync(tls.caFile, "utf8")]
  const agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true, rejectUnauthorized: tls.verify, ...(ca === undefined ? {} : { ca }) })
  }
  return {
    close: () => {
      agents["http:"].destroy()
      agents["https:"].destroy()
    },
    send: (request, limits) =>
      Effect.async<WireAnswer, WireFailure>((resume) => {
        let settled = false
        let timer: ReturnType<typeof setTimeout> | undefined
        const settle = (outcome: Effect.Effect<WireAnswer, WireFailure>) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resume(outcome)
        }
        let outgoing: http.ClientRequest | undefined
        const fail = (failure: WireFailure) => {
          settle(Effect.fail(failure))
          outgoing?.destroy()
        }
        const secure = request.url.startsWith("https:")
        const headers: Record<string, string | number> = { ...request.headers }
        if (request.body !== undefined) {
          headers["content-type"] = "application/x-www-form-urlencoded"
          headers["content-length"] = Buffer.byteLength(request.body)
        }
        const send = secure ? https.request : http.request
        const agent = agents[secure ? "https:" : "http:"]
        try {
          outgoing = send(request.url, { method: request.method, headers, agent }, (incoming) => {
            const declared = declaredLength(incoming.rawHeaders)
            if (Number.isSafeInteger(declared) && declared > limits.maxBytes) {
              return fail({ _tag: "TooLarge", declaredBytes: declared })
            }
            const chunks: Array<Buffer> = []
            let bytes = 0
            incoming.on("data", (chunk: Buffer) => {
              bytes += chunk.length
              if (bytes > limits.maxBytes) fail({ _tag: "TooLarge" })
              else chunks.push(chunk)
            })
            incoming.on("end", () =>
              settle(
                Effect.succeed({
                  status: incoming.statusCode ?? 0,
                  body:
                    chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks, bytes).toString("utf8")
                })
              )
            )
            incoming.on("error", (cause) => fail({ _tag: "ConnectionFailed", cause }))
            // the connection closed before the whole body came
            incoming.on("close", () => {
              if (!incoming.complete)
                fail({ _tag: "ConnectionFailed", cause: Object.assign(new Error("aborted"), { code: "ECONNRESET" }) })
            })
          })
          outgoing.on("error", (cause) => fail({ _tag: "ConnectionFailed", cause }))
          timer = setTimeout(() => fail({ _tag: "NoAnswer" }), limits.timeoutMs)
          outgoing.end(request.body)
        } catch (cause) {
          // Node refuses before sending: a header with a character HTTP cannot carry, a malformed URL
          fail({ _tag: "ConnectionFailed", cause })
        }
        // interrupted (the client cancelled the call): the socket is closed, the answer is not read
        return Effect.sync(() => {
          settled = true
          clearTimeout(timer)
          outgoing?.destroy()
        })
      })
  }
}

/** The live wire from PveConfig's TLS settings; its kept-alive sockets are closed with the layer. */
export const NodeWireLive: Layer.Layer<PveWire, never, PveConfig> = Layer.scoped(
  PveWire,
  Effect.flatMap(PveConfig, (config) =>
    Effect.acquireRelease(
      Effect.sync(() => makeNodeWire(config.tls)),
      (wire) => Effect.sync(wire.close)
    )
  )
)
