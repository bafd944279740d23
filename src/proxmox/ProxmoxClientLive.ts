import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { PveConfig } from "../config/PveConfig.js"
import { makeAuthenticator, type Transport } from "./Auth.js"
import {
  type ProxmoxError,
  PveAuthError,
  PveDecodeError,
  PveNotFound,
  PveParamError,
  PvePermissionError,
  PveResponseTooLarge,
  PveServerError,
  PveTimeout,
  PveTransportError,
  PveUpstreamError
} from "./errors.js"
import { clip, EXCERPT_CHARACTERS } from "./excerpt.js"
import {
  encodeParams,
  ProxmoxClient,
  type ProxmoxClientShape,
  type PveRequest,
  type PveResponse
} from "./ProxmoxClient.js"
import { formEncode, PveWire, type WireRequest } from "./Wire.js"

// The live client over a PveWire (Node's sockets, or the simulator). Kept out of the server's start-up path (see
// layers.ts).

const ErrorBody = Schema.Struct({
  message: Schema.optional(Schema.NullOr(Schema.String)),
  errors: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown })))
})

const SuccessBody = Schema.Struct({
  data: Schema.Unknown,
  total: Schema.optional(Schema.Unknown),
  changes: Schema.optional(Schema.Unknown)
})

const decodeSuccessBody = Schema.decodeUnknownEither(SuccessBody)

const permissionPattern = /^Permission check failed \(([^,]+), (.+)\)$/
const notFoundPattern =
  /does not exist|no such (vm|task|volume|storage|node|snapshot|pool|user|token|interface|file)|not found|hostname lookup '[^']*' failed/i

// PVE's own messages can be long (a failed command's output); what it says per parameter quotes the value.
const PVE_MESSAGE_CHARACTERS = 2000
const PARAM_ERROR_CHARACTERS = 200
const MAX_PARAM_ERRORS = 20

const defaultMessages: Record<number, string> = {
  401: "authentication failed: PVE rejected the API token or ticket",
  403: "permission denied",
  501: "not implemented by this PVE version"
}

/** Turns a PVE answer into data or the matching tagged error (WIRE.md (c)). */
export const interpretResponse = (
  label: { readonly method: string; readonly path: string },
  status: number,
  body: string
): Effect.Effect<PveResponse, ProxmoxError> => {
  let json: unknown
  try {
    json = body.trim() === "" ? undefined : JSON.parse(body)
  } catch {
    json = undefined
  }
  if (status >= 200 && status < 300) {
    const envelope = decodeSuccessBody(json)
    if (Either.isLeft(envelope)) {
      return Effect.fail(
        new PveDecodeError({
          path: label.path,
          message: `${label.method} ${label.path} answered without a {data} envelope`
        })
      )
    }
    const { data, total, changes } = envelope.right
    return Effect.succeed({
      data,
      total: typeof total === "number" ? total : total === undefined ? undefined : Number(total),
      ...(typeof changes === "string" && changes !== "" ? { changes } : {})
    })
  }
  const parsed = Schema.decodeUnknownOption(ErrorBody)(json)
  const rawMessage = Option.flatMap(parsed, (b) => Option.fromNullable(b.message)).pipe(Option.getOrUndefined)
  const message = clip(
    (rawMessage ?? "").trim() || defaultMessages[status] || `HTTP ${status} from ${label.method} ${label.path}`,
    PVE_MESSAGE_CHARACTERS
  )
  const errors = Option.flatMap(parsed, (b) => Option.fromNullable(b.errors)).pipe(Option.getOrUndefined)

  if (status === 401) return Effect.fail(new PveAuthError({ message }))
  if (status === 403) {
    const m = permissionPattern.exec(message)
    return Effect.fail(
      new PvePermissionError({
        message,
        aclPath: m?.[1],
        privileges: m?.[2] !== undefined ? m[2].split(/[|,]\s*/).filter((p) => p !== "") : []
      })
    )
  }
  if (status === 400) {
    // PVE quotes the refused value in its message ("value 'xxx' does not have a value in the enumeration …")
    const perParam: Record<string, string> = {}
    const refused = Object.entries(errors ?? {})
    for (const [k, v] of refused.slice(0, MAX_PARAM_ERRORS)) {
      perParam[clip(k, EXCERPT_CHARACTERS)] = clip(String(v).trim(), PARAM_ERROR_CHARACTERS)
    }
    if (refused.length > MAX_PARAM_ERRORS) perParam["…"] = `and ${refused.length - MAX_PARAM_ERRORS} more parameters`
    const detail = Object.entries(perParam)
      .map(([k, v]) => `${k}: ${v}`)
      .join("; ")
    return Effect.fail(
      new PveParamError({ message: detail === "" ? message : `${message} ${detail}`, errors: perParam })
    )
  }
  if (status >= 595 && status <= 599) return Effect.fail(new PveUpstreamError({ status, message }))
  if (status === 500 && notFoundPattern.test(message)) return Effect.fail(new PveNotFound({ message }))
  return Effect.fail(new PveServerError({ status, message }))
}

const isTransient = (e: ProxmoxError): boolean =>
  e._tag === "PveTransportError" ||
  e._tag === "PveUpstreamError" ||
  (e._tag === "PveServerError" && (e.status === 502 || e.status === 503 || e.status === 504))

/** Jittered exponential back-off for idempotent reads: 200 ms, ~400 ms, ~800 ms, then give up. */
export const readRetrySchedule = Schedule.exponential("200 millis").pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(3))
)

const tlsTrust = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
])

const networkCauses: Record<string, string> = {
  ECONNREFUSED: "connection refused (nothing listens at that address and port)",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed (DNS did not answer)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  ECONNRESET: "connection reset by the server",
  EPIPE: "connection closed by the server",
  EPROTO: "TLS handshake failed"
}

/**
 * What Node's socket error says, in words, and whether the fix is about trusting a certificate. `scheme` is
 * PROXMOX_HOST's: the same reset means something else on http:// (an HTTPS port refusing plain HTTP) than on https://.
 */
export const transportCause = (
  cause: unknown,
  scheme: "http:" | "https:" = "https:"
): { readonly text: string; readonly kind: "network" | "tls" } | undefined => {
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined
  if (typeof code !== "string") return undefined
  const message = String((cause as { message?: unknown }).message ?? "")
  if (tlsTrust.has(code)) {
    const selfSigned = code === "DEPTH_ZERO_SELF_SIGNED_CERT" || code === "SELF_SIGNED_CERT_IN_CHAIN"
    return {
      text: selfSigned
        ? `PVE's certificate is self-signed (PVE's own CA made it) and not trusted here (${code})`
        : `PVE's certificate is not trusted (${code})`,
      kind: "tls"
    }
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return { text: "PVE's certificate does not name this host (ERR_TLS_CERT_ALTNAME_INVALID)", kind: "tls" }
  if (code === "CERT_HAS_EXPIRED") return { text: "PVE's certificate has expired (CERT_HAS_EXPIRED)", kind: "tls" }
  // OpenSSL's "wrong version number": the first bytes back were not TLS, the port speaks plain HTTP
  if ((code === "EPROTO" || code === "ERR_SSL_WRONG_VERSION_NUMBER") && /wrong version number/i.test(message))
    return {
      text: `TLS handshake failed: the server answered in plain HTTP, not HTTPS (${code}); PVE serves HTTPS on port 8006, so PROXMOX_HOST names another service or port`,
      kind: "network"
    }
  if (scheme === "http:" && (code === "ECONNRESET" || code === "EPIPE"))
    return {
      text: `the server closed a plain-HTTP connection (${code}): it probably speaks HTTPS, as PVE does on port 8006; use https:// in PROXMOX_HOST`,
      kind: "network"
    }
  const text = networkCauses[code]
  return { text: text === undefined ? `connection failed (${code})` : `${text} (${code})`, kind: "network" }
}

export const makeProxmoxClient = Effect.gen(function* () {
  const config = yield* PveConfig
  const wire = yield* PveWire
  const limits = { maxBytes: config.maxResponseBytes, timeoutMs: config.requestTimeoutMs }
  const scheme = config.baseUrl.startsWith("http:") ? "http:" : "https:"

  const transport: Transport = (request, label) =>
    wire.send(request, limits).pipe(
      Effect.catchAll((failure): Effect.Effect<never, ProxmoxError> => {
        switch (failure._tag) {
          case "TooLarge":
            return Effect.fail(
              new PveResponseTooLarge({
                method: label.method,
                path: label.path,
                limitBytes: config.maxResponseBytes,
                declaredBytes: failure.declaredBytes
              })
            )
          case "NoAnswer":
            return Effect.fail(
              new PveTimeout({ method: label.method, path: label.path, timeoutMs: config.requestTimeoutMs })
            )
          case "ConnectionFailed": {
            const cause = transportCause(failure.cause, scheme)
            return Effect.fail(
              new PveTransportError({
                message: `${label.method} ${label.path}: ${cause?.text ?? "connection failed"}`,
                kind: cause?.kind ?? "network"
              })
            )
          }
        }
      }),
      Effect.flatMap((answer) => interpretResponse(label, answer.status, answer.body))
    )

  const auth = yield* makeAuthenticator(config.auth, config.baseUrl, config.ticketRenewAfterMs, transport)

  const once = (request: PveRequest) => {
    const query = formEncode(encodeParams(request.params))
    const url = `${config.baseUrl}${request.path.path}`
    const withBody = request.method === "POST" || request.method === "PUT"
    const unsigned: WireRequest = withBody
      ? { method: request.method, url, headers: {}, body: query }
      : { method: request.method, url: query === "" ? url : `${url}?${query}`, headers: {} }
    return Effect.flatMap(auth.authorize(unsigned, request.method !== "GET"), (signed) =>
      transport(signed, { method: request.method, path: request.path.path })
    )
  }

  // One fresh login and one retry after a 401 (an expired or revoked ticket); tokens fail at once.
  const withReauth = (request: PveRequest) =>
    once(request).pipe(
      Effect.catchTag("PveAuthError", (e) =>
        Option.match(auth.reauthenticate, {
          onNone: () => Effect.fail(e),
          onSome: (relogin) => relogin.pipe(Effect.zipRight(once(request)))
        })
      )
    )

  // A read that failed transiently is retried on readRetrySchedule; the first failure is fed to the schedule again
  // so that its delays count from it. Built only after such a failure: nearly every read succeeds at once.
  const retryingReads = (attempt: Effect.Effect<PveResponse, ProxmoxError>) =>
    Effect.catchIf(attempt, isTransient, (first) => {
      let replayed = false
      const again = Effect.suspend(() => {
        if (replayed) return attempt
        replayed = true
        return Effect.fail(first)
      })
      return Effect.retry(again, { schedule: readRetrySchedule, while: isTransient })
    })

  // No span per request: the tool call has one (policy/ToolCall.ts), and a span here cost ~0.2 ms of each call.
  const execute = (request: PveRequest): Effect.Effect<PveResponse, ProxmoxError> =>
    request.method === "GET" ? retryingReads(withReauth(request)) : withReauth(request)
  return { execute } satisfies ProxmoxClientShape
})

export const ProxmoxClientLive: Layer.Layer<ProxmoxClient, never, PveConfig | PveWire> = Layer.effect(
  ProxmoxClient,
  makeProxmoxClient
)
