import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { ProxmoxError } from "./errors.js"
import type { PvePath } from "./Path.js"

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE"
export type ParamValue = string | number | boolean | ReadonlyArray<string | number> | undefined
export type Params = Readonly<Record<string, ParamValue>>

export interface PveRequest {
  readonly method: HttpMethod
  readonly path: PvePath
  /** query parameters for GET/DELETE, form body for POST/PUT */
  readonly params?: Params | undefined
}

export interface PveResponse {
  readonly data: unknown
  /** top-level `total` of list endpoints (task lists, task logs) */
  readonly total?: number | undefined
  /** top-level `changes` of `GET /nodes/{node}/network`: the diff of the staged configuration */
  readonly changes?: string | undefined
}

export interface ProxmoxClientShape {
  readonly execute: (request: PveRequest) => Effect.Effect<PveResponse, ProxmoxError>
}

/** The one door to the PVE API. Policies (read-only, allowlists, audit) wrap `execute`. */
export class ProxmoxClient extends Context.Tag("proxmox-mcp/ProxmoxClient")<ProxmoxClient, ProxmoxClientShape>() {}

/** PVE wants booleans as 0/1 and lists as repeated keys (WIRE.md (e)). */
export const encodeParams = (params: Params | undefined): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) out.push([key, String(item)])
    else out.push([key, typeof value === "boolean" ? (value ? "1" : "0") : String(value)])
  }
  return out
}
