import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import type { PveAuthConfig } from "../config/PveConfig.js"
import type { Params, ParamValue } from "../proxmox/ProxmoxClient.js"
import { isSecretName, secretNameEntry } from "../proxmox/SecretNames.js"

export { isSecretName }

export const REDACTED = "[redacted]"

/** Request parameters with every secret value replaced, for the audit log, dry-run and confirmation texts. */
export const redactParams = (params: Params | undefined, template?: string): Record<string, ParamValue> => {
  const out: Record<string, ParamValue> = {}
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue
    out[key] = isSecretName(key, template) ? REDACTED : value
  }
  return out
}

const hidden = (v: unknown) => v !== null && v !== undefined && v !== ""

/** A field of an answer object: secret by its name, or by an endpoint-bound name that the object's shape reveals. */
const isSecretField = (name: string, object: Record<string, unknown>, template: string | undefined): boolean => {
  const entry = secretNameEntry(name)
  if (entry?.onlyAt === undefined || template !== undefined) return isSecretName(name, template)
  return (entry.recognisedBy ?? []).some((sibling) => Object.hasOwn(object, sibling))
}

/**
 * A value-keyed row (`{key, value, pending, delete}` as /pending and /cloudinit answer): `key` names an option,
 * so it is shown, and when it names a secret every value column is hidden.
 */
const isValueKeyedRow = (o: Record<string, unknown>) =>
  typeof o.key === "string" && (Object.hasOwn(o, "value") || Object.hasOwn(o, "pending"))

const rowMetadata = new Set(["key", "delete"])

/**
 * A response or any JSON value with the values of secret-named fields replaced, at any depth (unchanged: same
 * object). `template` is the endpoint when known.
 */
export const redactFields = (value: unknown, template?: string): unknown => {
  if (Array.isArray(value)) return mapItems(value, (item) => redactFields(item, template))
  if (value === null || typeof value !== "object") return value
  const object = value as Record<string, unknown>
  const row = isValueKeyedRow(object)
  const secretRow = row && isSecretName(object.key as string, template)
  return mapFields(object, (key, v) => {
    const secret = row ? secretRow && !rowMetadata.has(key) : isSecretField(key, object, template)
    return row && key === "key" ? v : secret && hidden(v) ? REDACTED : redactFields(v, template)
  })
}

// Copy-on-write walks: a value nothing changes (nearly every answer, and 10,000 rows of one) comes back as the
// same object, and a changed one is copied from its first change on, without a copy of each object's entries.
const mapItems = (items: ReadonlyArray<unknown>, f: (item: unknown) => unknown): ReadonlyArray<unknown> => {
  let out: Array<unknown> | undefined
  for (let i = 0; i < items.length; i++) {
    const mapped = f(items[i])
    if (out === undefined && mapped !== items[i]) out = items.slice(0, i)
    out?.push(mapped)
  }
  return out ?? items
}

const mapFields = (
  object: Record<string, unknown>,
  f: (key: string, value: unknown) => unknown
): Record<string, unknown> => {
  let out: Record<string, unknown> | undefined
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue
    const mapped = f(key, object[key])
    if (mapped !== object[key]) {
      out ??= { ...object }
      out[key] = mapped
    }
  }
  return out ?? object
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
  if (Array.isArray(value)) return mapItems(value, (item) => scrubJson(item, scrub))
  if (value === null || typeof value !== "object") return value
  return mapFields(value as Record<string, unknown>, (_, v) => scrubJson(v, scrub))
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
