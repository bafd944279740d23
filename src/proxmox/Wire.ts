import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { HttpMethod } from "./ProxmoxClient.js"

/**
 * The socket under ProxmoxClientLive: one request out, its status and whole body back, bounded in size and time.
 * Live it is Node's http/https agent (NodeWire.ts); in tests and `--simulator` the simulator answers in-process.
 * Everything PVE-specific (auth, envelopes, error mapping, retries) stays above it, so both run the same client.
 * Not @effect/platform's HttpClient: its request/response model (spans, scopes, web streams) cost about 2.4 ms of
 * CPU per call here against 0.4 ms for the same GET over node:http (scripts/bench, issue 15).
 */

export interface WireRequest {
  readonly method: HttpMethod
  /** the whole URL, query string included */
  readonly url: string
  /** lower-case names */
  readonly headers: Readonly<Record<string, string>>
  /** a form-encoded body (POST, PUT) */
  readonly body?: string | undefined
}

export interface WireAnswer {
  readonly status: number
  readonly body: string
}

export interface WireLimits {
  /** a body over this is refused: by its Content-Length before reading, or cut off as it arrives */
  readonly maxBytes: number
  /** the whole exchange, from sending to the last byte */
  readonly timeoutMs: number
}

/** Why no answer came back: too big to read, no answer in time, or the connection failed (with Node's error). */
export type WireFailure =
  | { readonly _tag: "TooLarge"; readonly declaredBytes?: number | undefined }
  | { readonly _tag: "NoAnswer" }
  | { readonly _tag: "ConnectionFailed"; readonly cause: unknown }

export interface PveWireShape {
  readonly send: (request: WireRequest, limits: WireLimits) => Effect.Effect<WireAnswer, WireFailure>
}

export class PveWire extends Context.Tag("proxmox-mcp/PveWire")<PveWire, PveWireShape>() {}

/** A form body or query string as PVE reads it (spaces as `+`, as browsers send forms). */
export const formEncode = (pairs: ReadonlyArray<readonly [string, string]>): string =>
  new URLSearchParams(pairs as Array<[string, string]>).toString()
