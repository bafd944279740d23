/**
 * The wire: one request in, one PVE-shaped response out. Order as pveproxy/pvedaemon: faults (network in front),
 * auth (before routing), route lookup (501), parameter verification (400), token/permission checks (403),
 * proxying to the target node (595 when it is unreachable), then the endpoint; JSON formatter envelope.
 */
import {
  type EndpointDef,
  PARAMETER_VERIFICATION_FAILED,
  validateParameters,
  validateResult
} from "../src/proxmox/ApiSchema.js"
import { normalizePath, type Principal } from "./auth.js"
import { defaultReason, type RequestFaults } from "./faults.js"
import {
  makeRouteContext,
  type Route,
  type RouteContext,
  type RouteResult,
  SimHttpError,
  type SimState
} from "./routing.js"

export interface SimRequest {
  readonly method: string
  /** Full URL including `/api2/json` and the query string. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string | undefined
}

export interface SimResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The connection was dropped: no response at all. */
  readonly drop?: boolean
  /** Answer only after this delay. */
  readonly delayMs?: number
  /**
   * With `delayMs`: the request is handled only when the delay has passed, so a client that gives up
   * (timeout, interruption) never changes the cluster. Call it after waiting and send its response.
   */
  readonly deferred?: () => SimResponse
}

export interface RecordedRequest {
  readonly method: string
  /** Path without `/api2/json` and query. */
  readonly path: string
  readonly params: Readonly<Record<string, unknown>>
  readonly headers: Readonly<Record<string, string>>
}

export interface HandlerOptions {
  /** Check every answer against the endpoint's `returns` schema, as PVE's RESTHandler does (500 on mismatch). */
  readonly verifyResults: boolean
}

const MAX_BODY = 512 * 1024

const baseHeaders = (): Record<string, string> => ({
  server: "pve-api-daemon/3.0",
  "cache-control": "max-age=0",
  pragma: "no-cache",
  date: new Date().toUTCString()
})

const firstLine = (message: string): string => message.split(/\r?\n/)[0] ?? ""

export const jsonResponse = (status: number, statusText: string, body: unknown): SimResponse => ({
  status,
  statusText,
  headers: { ...baseHeaders(), "content-type": "application/json;charset=UTF-8" },
  body: JSON.stringify(body)
})

/** PVE's JSON formatter for an error: `{data: null, message, errors?}`, reason = first line of the message. */
export const errorResponse = (status: number, message: string, errors?: Readonly<Record<string, string>>) =>
  jsonResponse(status, firstLine(message), {
    data: null,
    message,
    ...(errors === undefined ? {} : { errors })
  })

/** A response built without the formatter (auth-stage 401s, proxy pseudo-statuses): empty body. */
const bareResponse = (status: number, statusText: string): SimResponse => ({
  status,
  statusText,
  headers: baseHeaders(),
  body: ""
})

/** pve-http-server decode_urlencoded: repeated keys are joined with NUL. */
const decodeUrlEncoded = (text: string, into: Record<string, unknown>): void => {
  if (text === "") return
  for (const pair of text.split(/[&;]/)) {
    if (pair === "") continue
    const eq = pair.indexOf("=")
    const decode = (part: string) => {
      const spaced = part.replace(/\+/g, " ")
      try {
        return decodeURIComponent(spaced)
      } catch {
        return spaced
      }
    }
    const key = decode(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1))
    const old = into[key]
    into[key] = old === undefined ? value : `${String(old)}\0${value}`
  }
}

/** template_replace of RPCEnvironment: `{vmid}` → parameter value. */
const fillTemplate = (template: string, params: Readonly<Record<string, unknown>>): string =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => String(params[name] ?? ""))

/**
 * RPCEnvironment check_api2_permissions over the schema's check expression. Throws the 403 of the first
 * failing check, or the bare `Permission check failed` of an `or`.
 */
const checkPermission = (ctx: RouteContext, check: unknown, noerr: boolean): boolean => {
  if (!Array.isArray(check) || check.length === 0) return true
  const [command, ...rest] = check as [string, ...Array<unknown>]
  const fail = (what?: string): boolean => {
    if (noerr) return false
    throw new SimHttpError(
      403,
      what === undefined ? "Permission check failed\n" : `Permission check failed (${what})\n`
    )
  }
  switch (command) {
    case "and":
      return rest.every((sub) => checkPermission(ctx, sub, noerr))
    case "or":
      return rest.some((sub) => checkPermission(ctx, sub, true)) || fail()
    case "perm": {
      const [template, privs, ...optionList] = rest as [string, ReadonlyArray<string>, ...Array<unknown>]
      const options: Record<string, unknown> = {}
      for (let i = 0; i + 1 < optionList.length; i += 2) options[String(optionList[i])] = optionList[i + 1]
      const required = options.require_param
      if (typeof required === "string" && ctx.params[required] === undefined) return fail()
      const path = normalizePath(fillTemplate(template, ctx.params))
      if (options.any) return ctx.can(path, privs, true) || fail(`${path}, ${privs.join("|")}`)
      for (const priv of privs) if (!ctx.can(path, [priv])) return fail(`${path}, ${priv}`)
      return true
    }
    case "userid-param":
      return ctx.params.userid === ctx.principal.userid || ctx.can("/access/groups", ["User.Modify"]) || fail()
    case "userid-group":
      return ctx.can("/access/groups", ["User.Modify"]) || fail()
    case "perm-modify": {
      const path = normalizePath(fillTemplate(String(rest[0]), ctx.params))
      return ctx.can(path, ["Permissions.Modify"]) || fail(`${path}, Permissions.Modify`)
    }
    default:
      return ctx.can("/", ["Sys.Modify"]) || fail()
  }
}

export const makeHandler = (
  state: SimState,
  routes: Readonly<Record<string, Route>>,
  faults: RequestFaults,
  recorded: Array<RecordedRequest>,
  options: HandlerOptions
) => {
  const anonymous: Principal = { authid: "", userid: "", tokenName: undefined, acl: [], superuser: false }

  const dispatch = (
    method: string,
    relPath: string,
    params: Record<string, unknown>,
    headers: Readonly<Record<string, string>>
  ): SimResponse => {
    if (!["GET", "POST", "PUT", "DELETE"].includes(method)) {
      return errorResponse(501, `method '${method}' not available`)
    }
    const isLogin = method === "POST" && relPath.replace(/\/+$/, "") === "/access/ticket"
    let principal = anonymous
    let via: "token" | "ticket" | undefined
    if (!isLogin) {
      const auth = state.auth.authenticate(method, headers)
      if (auth._tag === "unauthorized") return bareResponse(401, auth.reason)
      principal = auth.principal
      via = auth.via
    }

    const found = state.schema.lookup(method, relPath)
    if (found._tag === "NotImplemented") return errorResponse(501, found.message)
    const endpoint: EndpointDef = found.endpoint

    for (const [name, value] of Object.entries(found.pathParams)) {
      if (params[name] !== undefined && String(params[name]) !== value) {
        return errorResponse(400, PARAMETER_VERIFICATION_FAILED, {
          [name]: "duplicate parameter (already defined in URI) with conflicting values!"
        })
      }
      params[name] = value
    }
    const errors = validateParameters(endpoint, params)
    if (Object.keys(errors).length > 0) return errorResponse(400, PARAMETER_VERIFICATION_FAILED, errors)

    const ctx = makeRouteContext(state, endpoint, principal, params)
    try {
      if (via === "token" && !endpoint.allowtoken) {
        throw new SimHttpError(403, `URI '/api2/json${relPath}' not available with API token, need proper ticket.\n`)
      }
      if (!isLogin) checkPermission(ctx, endpoint.permissions?.check, false)

      const nodeName = typeof params.node === "string" ? params.node : undefined
      if (nodeName !== undefined && relPath.startsWith("/nodes/")) {
        const node = state.model.nodes.get(nodeName)
        if (node === undefined) {
          throw new SimHttpError(
            500,
            `hostname lookup '${nodeName}' failed - failed to get address info for: ${nodeName}: Name or service not known\n`
          )
        }
        // pveproxy forwards to the node; AnyEvent::HTTP reports the unreachable peer as a 595 pseudo-status.
        if (!node.online && endpoint.proxyto !== undefined) return bareResponse(595, "No route to host")
      }

      const route = routes[`${method} ${endpoint.path}`]
      if (route === undefined) {
        // not PVE's text on purpose: PVE implements every endpoint of its schema, so this 501 is the simulator's gap,
        // and the client's hint must not blame the PVE version
        const response = errorResponse(501, `Method '${method} ${relPath}' not simulated by the proxmox-mcp simulator`)
        return { ...response, headers: { ...response.headers, "x-simulator": "endpoint not simulated" } }
      }
      const result: RouteResult = route(ctx)
      if (options.verifyResults) {
        const resultErrors = validateResult(endpoint, result.data)
        if (Object.keys(resultErrors).length > 0) {
          return errorResponse(500, "Result verification failed\n", resultErrors)
        }
      }
      return jsonResponse(200, "OK", {
        data: result.data,
        ...(result.total === undefined ? {} : { total: result.total }),
        ...(result.changes === undefined ? {} : { changes: result.changes })
      })
    } catch (error) {
      if (error instanceof SimHttpError) return errorResponse(error.status, error.message, error.errors)
      const message = error instanceof Error ? error.message : String(error)
      return errorResponse(500, message.endsWith("\n") ? message : `${message}\n`)
    }
  }

  return (request: SimRequest): SimResponse => {
    state.tasks.advance()
    const url = new URL(request.url, "https://localhost:8006")
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value
    const method = request.method.toUpperCase()

    const format = /^\/api2\/+(html|text|json|extjs|png|htmljs)(\/.*)?$/.exec(url.pathname)
    if (!format) return errorResponse(501, `no such file '${url.pathname}'`)
    const relPath = format[2] ?? "/"
    if (format[1] !== "json") return errorResponse(501, `no formatter for uri ${url.pathname}`)

    const params: Record<string, unknown> = {}
    const body = request.body ?? ""
    if (body.length > 0 && (method === "GET" || method === "DELETE")) {
      return errorResponse(501, `Unexpected content for method '${method}'`)
    }
    if (body.length > MAX_BODY) return errorResponse(501, "for data too large")
    if (body.length > 0) {
      if ((headers["content-type"] ?? "").startsWith("application/json")) {
        try {
          const parsed: unknown = JSON.parse(body)
          if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) Object.assign(params, parsed)
        } catch {
          return errorResponse(400, "malformed JSON request body\n")
        }
      } else {
        decodeUrlEncoded(body, params)
      }
    }
    decodeUrlEncoded(url.search.slice(1), params)
    delete params._dc

    recorded.push({ method, path: relPath, params: { ...params }, headers })

    const fault = faults.take(method, relPath)
    if (fault !== undefined) {
      if (fault.drop)
        return {
          ...bareResponse(0, ""),
          drop: true,
          ...(fault.delayMs === undefined ? {} : { delayMs: fault.delayMs })
        }
      if (fault.status !== undefined) {
        const status = fault.status
        const reason = fault.message ?? defaultReason(status)
        const response =
          status >= 595 || status === 502 || status === 503 || status === 504
            ? bareResponse(status, firstLine(reason))
            : errorResponse(status, reason.endsWith("\n") ? reason : `${reason}\n`)
        return fault.delayMs === undefined ? response : { ...response, delayMs: fault.delayMs }
      }
      if (fault.delayMs !== undefined) {
        return {
          ...bareResponse(0, ""),
          delayMs: fault.delayMs,
          deferred: () => {
            state.tasks.advance()
            return dispatch(method, relPath, params, headers)
          }
        }
      }
    }
    const local = state.model.nodes.get(state.model.localNode)
    if (local !== undefined && !local.online) return { ...bareResponse(0, ""), drop: true }
    return dispatch(method, relPath, params, headers)
  }
}
