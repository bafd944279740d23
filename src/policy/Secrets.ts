import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import type { PveAuthConfig } from "../config/PveConfig.js"
import type { Params, ParamValue } from "../proxmox/ProxmoxClient.js"

export const REDACTED = "[redacted]"

/**
 * Parameter and field names whose values are credentials: passwords (`password`, `cipassword`, `bindpw`,
 * `smtp-password`), tickets, CSRF tokens, token secrets, one-time codes and private keys.
 */
const secretName = /passw(or)?d|passwd|bindpw|secret|ticket|csrf|^otp$|^tfa-challenge$|private-?key|^key$/i

export const isSecretName = (name: string): boolean => secretName.test(name)

/** Request parameters with every secret value replaced, for the audit log, dry-run and confirmation texts. */
export const redactParams = (params: Params | undefined): Record<string, ParamValue> => {
  const out: Record<string, ParamValue> = {}
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue
    out[key] = isSecretName(key) ? REDACTED : value
  }
  return out
}

/** A response or any JSON value with the values of secret-named fields replaced, at any depth (unchanged: same object). */
export const redactFields = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    let changed = false
    const out = value.map((item) => {
      const r = redactFields(item)
      if (r !== item) changed = true
      return r
    })
    return changed ? out : value
  }
  if (value === null || typeof value !== "object") return value
  let out: Record<string, unknown> | undefined
  for (const [key, v] of Object.entries(value)) {
    const r = isSecretName(key) && v !== null && v !== undefined && v !== "" ? REDACTED : redactFields(v)
    if (r !== v) {
      out ??= { ...(value as Record<string, unknown>) }
      out[key] = r
    }
  }
  return out ?? value
}

// Credentials as they look on the wire, whoever produced the text (WIRE.md (d)).
const credentialPatterns: ReadonlyArray<RegExp> = [
  // ticket: PVE:<userid>:<8 hex>::<base64 signature>, also URI-escaped in a cookie
  /PVE(:|%3A)[^\s:%]+(:|%3A)[0-9A-F]{8}(::|%3A%3A)[A-Za-z0-9+/=%]+/g,
  // CSRF token: <8 hex>:<base64 HMAC>
  /\b[0-9A-F]{8}:[A-Za-z0-9+/]{43}\b/g,
  // Authorization header values
  /PVEAPIToken[= ][^\s"']+/g,
  /PVEAuthCookie=[^\s;"']+/g
]

/** Removes known credentials from any text before it leaves the process (results, errors, logs, audit). */
export type SecretScrubber = (text: string) => string

export const makeSecretScrubber = (auth: PveAuthConfig | undefined): SecretScrubber => {
  const literals: string[] = []
  if (auth?._tag === "Token") literals.push(Redacted.value(auth.secret))
  if (auth?._tag === "Ticket") literals.push(Redacted.value(auth.password))
  // Also the forms a secret takes once encoded into a URL, form body or JSON string.
  const variants = literals
    .filter((s) => s.length >= 4)
    .flatMap((s) => [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)])
    .sort((a, b) => b.length - a.length)
  return (text) => {
    let out = text
    for (const literal of variants) if (out.includes(literal)) out = out.split(literal).join(REDACTED)
    for (const pattern of credentialPatterns) out = out.replace(pattern, REDACTED)
    return out
  }
}

/** Applies a scrubber to every string in a JSON value. */
export const scrubJson = (value: unknown, scrub: SecretScrubber): unknown => {
  if (typeof value === "string") return scrub(value)
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, scrub))
  if (value === null || typeof value !== "object") return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) out[key] = scrubJson(v, scrub)
  return out
}

/**
 * The logfmt logger with every line scrubbed, so a credential in an error cause never reaches the log. Lines go
 * to stderr (stdout belongs to the protocol) unless another sink is given (tests). It replaces every logger
 * the surrounding fiber had, not just the default one, so no unscrubbed copy of a line is written anywhere.
 */
export const scrubbingLogger = (
  level: LogLevel.LogLevel,
  scrub: SecretScrubber,
  sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`)
) =>
  Layer.merge(
    Layer.locallyScoped(
      FiberRef.currentLoggers,
      HashSet.make(Logger.map(Logger.logfmtLogger, (line) => sink(scrub(line))))
    ),
    Logger.minimumLogLevel(level)
  )
