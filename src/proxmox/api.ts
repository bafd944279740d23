import * as Effect from "effect/Effect"
import {
  type ApiSchema,
  checkProp,
  type EndpointDef,
  loadApiSchema,
  type ValidationErrors,
  validateParameters
} from "./ApiSchema.js"
import { InvalidInput, PolicyDenied, type ProxmoxError } from "./errors.js"
import { clip, excerpt } from "./excerpt.js"
import { fillTemplate, type PvePath, type SegmentFormat, segmentFormats, segmentValueProblem } from "./Path.js"
import { type HttpMethod, type Params, ProxmoxClient, type PveRequest, type PveResponse } from "./ProxmoxClient.js"
import { isSecretName } from "./SecretNames.js"

export const API_PATH_MAX_LENGTH = 1024
const SEGMENT_MAX_LENGTH = 256
const PARAM_VALUE_MAX_LENGTH = 64 * 1024
const PROBLEM_CHARACTERS = 200
const MAX_LISTED_PROBLEMS = 10

/** The characters a concrete API path may hold; everything else (and every %-escape) is refused. */
const pathCharacters = /^[A-Za-z0-9._~:@!+,=/-]*$/

/**
 * Why a caller-given API path is refused, checked in an order that gives the most useful message first;
 * undefined when its shape is acceptable. Nothing here decodes: percent-escapes are refused outright, so no
 * encoded slash, dot segment, query or NUL can hide in one, however many times it was encoded.
 */
export const apiPathShapeProblem = (path: unknown): string | undefined => {
  if (typeof path !== "string" || path === "") return "the path is empty; give an API path such as /nodes/pve1/status"
  if (path.length > API_PATH_MAX_LENGTH) return `the path is longer than ${API_PATH_MAX_LENGTH} characters`
  if (/^[a-z][a-z0-9+.-]*:/i.test(path))
    return "a full URL is not accepted; give only the API path, e.g. /nodes/pve1/status"
  if (path.startsWith("//")) return "a scheme-relative URL (//host/…) is not accepted; give only the API path"
  if (/[\u0000-\u001f\u007f]/.test(path)) return "the path contains control characters (NUL, CR, LF, tab…)"
  if (/[^\u0000-\u007f]/.test(path)) {
    return "the path contains non-ASCII characters (look-alike slashes, dots or letters are not accepted)"
  }
  if (/\s/.test(path)) return "the path contains spaces"
  if (!path.startsWith("/")) return "the path must start with /, e.g. /nodes/pve1/status"
  if (/[?#]/.test(path)) return "the path contains a query or fragment (? or #); pass parameters in params"
  if (path.includes("%")) {
    return "percent-encoded characters are not accepted (%2F, %2e, %3F, …); give the path unencoded, the server encodes each segment itself"
  }
  if (path.includes("\\")) return "the path contains a backslash"
  if (/[{}]/.test(path)) return "the path still has a {placeholder}; fill in the value, e.g. /nodes/pve1/status"
  if (path.length > 1 && (path.includes("//") || path.endsWith("/")))
    return "the path has an empty segment (// or a trailing /)"
  const segments = path.split("/").slice(1)
  if (segments.some((s) => s === "." || s === "..")) return "the path has a . or .. segment"
  if (segments.some((s) => s.length > SEGMENT_MAX_LENGTH))
    return `a path segment is longer than ${SEGMENT_MAX_LENGTH} characters`
  if (!pathCharacters.test(path)) return "the path contains characters that no Proxmox VE API path uses"
  if (segments[0] === "api2") return "give the path without the /api2/json prefix, e.g. /nodes/pve1/status"
  return undefined
}

/**
 * Endpoints the generic API tools never reach: they hand out credentials (tickets, VNC/terminal tickets, new
 * token secrets, TFA recovery codes, the corosync key, cloud-init user data) or run sub-requests that would bypass these policies.
 */
export const forbiddenEndpoint = (method: string, template: string): string | undefined => {
  if (template === "/access/ticket" || template === "/access/vncticket" || template.startsWith("/access/openid")) {
    return "it issues login tickets"
  }
  if (/\/(vncproxy|termproxy|spiceproxy|vncwebsocket|vncshell|spiceshell|mtunnel|mtunnelwebsocket)$/.test(template)) {
    return "it opens a console or tunnel and returns its ticket"
  }
  if (template === "/nodes/{node}/execute") return "it runs a batch of sub-requests that would bypass the policies"
  if (method === "POST" && template === "/access/users/{userid}/token/{tokenid}")
    return "it creates an API token and returns its secret"
  // Refused whatever the type: recovery returns the codes, and any new factor on an account is a takeover risk.
  if (method === "POST" && template === "/access/tfa/{userid}") {
    return "it adds a second factor to an account and returns TFA recovery codes or registration challenges"
  }
  if (method === "POST" && template === "/cluster/config/nodes/{node}") {
    return "it adds a cluster node and returns the cluster's corosync authentication key"
  }
  if (template === "/nodes/{node}/qemu/{vmid}/cloudinit/dump") {
    return "it returns the generated cloud-init user data, which holds the guest user's password"
  }
  return undefined
}

export interface MatchedPath {
  readonly endpoint: EndpointDef
  readonly path: PvePath
}

// A volume id (local:iso/debian.iso) is the one path parameter with slashes: it takes the rest of the path.
const matchVolumeTail = (schema: ApiSchema, method: string, segments: ReadonlyArray<string>) => {
  for (const endpoint of schema.endpoints) {
    if (endpoint.method !== method || !endpoint.path.endsWith("/{volume}")) continue
    const template = endpoint.path.split("/").slice(1)
    if (segments.length <= template.length) continue
    const params: Record<string, string> = {}
    const fixed = template.length - 1
    let matches = true
    for (let i = 0; i < fixed && matches; i++) {
      const name = /^\{([\w-]+)\}$/.exec(template[i]!)?.[1]
      if (name !== undefined) params[name] = segments[i]!
      else matches = template[i] === segments[i]
    }
    if (matches) return { endpoint, pathParams: { ...params, volume: segments.slice(fixed).join("/") } }
  }
  return undefined
}

const formatProblem = (name: string, value: string, endpoint: EndpointDef): string | undefined => {
  const own = (segmentFormats as Record<string, SegmentFormat | undefined>)[name]
  if (own !== undefined && !own.check(value)) return `${name} ${excerpt(value)} is not ${own.describe}`
  const schema = endpoint.parameters.properties?.[name]
  if (schema !== undefined) {
    const errors: ValidationErrors = {}
    checkProp(value, schema, name, errors)
    const message = errors[name]
    if (message !== undefined) return `${name} ${excerpt(value)}: ${clip(message.trim(), PROBLEM_CHARACTERS)}`
  }
  const generic = segmentValueProblem(name, value)
  return generic === undefined ? undefined : `${name} ${excerpt(value)}: ${generic}`
}

/** Matches a caller-given path against the real API schema and validates its values with their formats. */
export const matchApiPath = (
  schema: ApiSchema,
  method: HttpMethod,
  raw: unknown
): Effect.Effect<MatchedPath, InvalidInput | PolicyDenied> =>
  Effect.gen(function* () {
    const shape = apiPathShapeProblem(raw)
    if (shape !== undefined) return yield* new InvalidInput({ field: "path", message: shape })
    const path = raw as string
    const segments = path
      .split("/")
      .slice(1)
      .filter((s) => s !== "")
    const found = schema.lookup(method, path)
    const match = found._tag === "Found" ? found : matchVolumeTail(schema, method, segments)
    if (match === undefined) {
      const others = (["GET", "POST", "PUT", "DELETE"] as const).filter(
        (m) => m !== method && schema.lookup(m, path)._tag === "Found"
      )
      return yield* new InvalidInput({
        field: "path",
        message:
          others.length > 0
            ? `${path} has no ${method} endpoint in the Proxmox VE API (it has ${others.join(", ")})`
            : `${path} matches no endpoint of the Proxmox VE API`
      })
    }
    const endpoint = match.endpoint
    const pathParams: Readonly<Record<string, string>> = match.pathParams
    const forbidden = forbiddenEndpoint(endpoint.method, endpoint.path)
    if (forbidden !== undefined) {
      return yield* new PolicyDenied({
        policy: "api",
        message: `${endpoint.method} ${endpoint.path} is not available through the generic API tools: ${forbidden}`
      })
    }
    for (const [name, value] of Object.entries(pathParams)) {
      const problem = formatProblem(name, value, endpoint)
      if (problem !== undefined) return yield* new InvalidInput({ field: "path", message: problem })
    }
    const filled = fillTemplate(endpoint.path, pathParams)
    return { endpoint, path: { template: endpoint.path, params: pathParams, path: filled } }
  })

const paramName = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/

/** Checks the parameters against the endpoint as PVE would, before anything is sent. */
export const checkApiParams = (matched: MatchedPath, params: Params): Effect.Effect<void, InvalidInput> =>
  Effect.gen(function* () {
    for (const [key, value] of Object.entries(params)) {
      if (!paramName.test(key))
        return yield* new InvalidInput({
          field: "params",
          message: `${excerpt(key)} is not a parameter name`
        })
      if (Object.hasOwn(matched.path.params, key)) {
        return yield* new InvalidInput({
          field: "params",
          message: `${key} is part of the path; do not repeat it in params`
        })
      }
      const items = Array.isArray(value) ? value : [value]
      for (const item of items) {
        if (typeof item === "string" && (item.includes("\u0000") || item.length > PARAM_VALUE_MAX_LENGTH)) {
          return yield* new InvalidInput({ field: "params", message: `${key} holds a NUL character or is too long` })
        }
      }
    }
    const errors = validateParameters(matched.endpoint, { ...params, ...matched.path.params })
    const entries = Object.entries(errors)
    if (entries.length > 0) {
      // PVE's messages quote the value ("got '…'"); each is cut short, and a list of 256 bad items is not all listed
      const listed = entries
        .slice(0, MAX_LISTED_PROBLEMS)
        .map(([k, v]) => `${k}: ${isSecretName(k) ? "invalid value (not shown)" : clip(v.trim(), PROBLEM_CHARACTERS)}`)
      if (entries.length > MAX_LISTED_PROBLEMS) listed.push(`and ${entries.length - MAX_LISTED_PROBLEMS} more`)
      return yield* new InvalidInput({
        field: "params",
        message: `${matched.endpoint.method} ${matched.endpoint.path}: ${listed.join("; ")}`
      })
    }
  })

/** A generic request, matched and validated; it then goes through `ProxmoxClient.execute` like any other. */
export const apiRequest = (
  method: HttpMethod,
  path: unknown,
  params: Params = {}
): Effect.Effect<PveRequest, InvalidInput | PolicyDenied> =>
  Effect.gen(function* () {
    const schema = yield* Effect.promise(loadApiSchema)
    const matched = yield* matchApiPath(schema, method, path)
    yield* checkApiParams(matched, params)
    return { method, path: matched.path, params }
  })

export const callApi = (
  method: HttpMethod,
  path: unknown,
  params: Params = {}
): Effect.Effect<PveResponse, ProxmoxError, ProxmoxClient> =>
  Effect.gen(function* () {
    const request = yield* apiRequest(method, path, params)
    const client = yield* ProxmoxClient
    return yield* client.execute(request)
  })
