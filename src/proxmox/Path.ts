import * as Effect from "effect/Effect"
import { InvalidInput } from "./errors.js"
import { excerpt } from "./excerpt.js"
import { oncePerString } from "./oncePer.js"
import { parseUpid } from "./Upid.js"

/**
 * What each named path segment may hold, after PVE's own formats (pve-common JSONSchema.pm).
 * A value that does not match is refused before any request exists, so `node: "pve/qemu/101/status/stop#"`
 * can never turn into another path.
 */
export interface SegmentFormat {
  readonly describe: string
  readonly check: (value: string) => boolean
  /** shown to MCP clients in the tool's JSON Schema */
  readonly jsonSchema: Record<string, unknown>
}

const patterned = (re: RegExp, maxLength: number, describe: string): SegmentFormat => ({
  describe,
  check: (value) => value.length <= maxLength && re.test(value),
  jsonSchema: { type: "string", pattern: re.source, maxLength }
})

const vmidFormat: SegmentFormat = {
  describe: "a VM id, an integer from 100 to 999999999",
  check: (value) => /^[1-9]\d{2,8}$/.test(value),
  jsonSchema: { type: "integer", minimum: 100, maximum: 999_999_999 }
}

export const segmentFormats = {
  node: patterned(
    /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    63,
    "a node name (letters, digits and inner hyphens, e.g. pve1)"
  ),
  vmid: vmidFormat,
  newid: vmidFormat,
  type: {
    describe: "a guest type, qemu or lxc",
    check: (v) => v === "qemu" || v === "lxc",
    jsonSchema: { enum: ["qemu", "lxc"] }
  },
  storage: patterned(
    /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i,
    64,
    "a storage id (e.g. local-lvm: a letter, then letters, digits, '-', '_' or '.')"
  ),
  snapname: patterned(
    /^[a-z][a-z0-9_-]+$/i,
    40,
    "a snapshot name (a letter, then letters, digits, '-' or '_'; at most 40 characters)"
  ),
  iface: patterned(/^[a-zA-Z][a-zA-Z0-9_]{1,20}([:.]\d+)?$/, 20, "a network interface name (e.g. vmbr0, eno1.20)"),
  upid: {
    describe: "a task id (UPID:node:pid:pstart:starttime:type:id:user:)",
    check: (v) => v.length <= 512 && parseUpid(v) !== undefined,
    jsonSchema: { type: "string", pattern: "^UPID:", maxLength: 512 }
  },
  // storage:volume, where no step of the volume is empty, "." or ".." (no way out of the storage's directory)
  volume: patterned(
    /^[a-z][a-z0-9\-_.]*[a-z0-9]:(?!\/)(?!.*\/\/)(?!(.*\/)?\.\.?(\/|$))[^\s\\\u0000-\u001f?#%]+(?<!\/)$/i,
    512,
    "a volume id (storage:volume, e.g. local:iso/debian.iso)"
  ),
  poolid: patterned(/^[A-Za-z0-9_-]+$/, 64, "a pool id (letters, digits, '-' or '_')"),
  // a cluster job's id: backup jobs (backup-7a1c2e3f-01), replication jobs (100-0)
  id: patterned(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 64, "a job id (letters, digits, '-', '_' or '.')")
} satisfies Record<string, SegmentFormat>

export type SegmentName = keyof typeof segmentFormats

/** A request path made from a template and validated, encoded segments. */
export interface PvePath {
  /** e.g. `/nodes/{node}/qemu/{vmid}/status/start` */
  readonly template: string
  /** the raw (validated, not encoded) value of each `{name}` in the template */
  readonly params: Readonly<Record<string, string>>
  /** the path to send, each segment percent-encoded */
  readonly path: string
}

/** `{name}` in a path template: the one placeholder syntax of operations, the generic API and the policy client. */
const placeholder = /\{([\w-]+)\}/g

/** The placeholder names of a template, in order. */
// a template comes from the API schema or a tool (a few hundred), and is read on every request
export const placeholderNames: (template: string) => ReadonlyArray<string> = oncePerString(
  (template) => [...template.matchAll(placeholder)].map((m) => m[1]!),
  2048
)

/** A template with each placeholder replaced by its value, percent-encoded as one segment. */
export const fillTemplate = (template: string, values: Readonly<Record<string, string>>): string =>
  template.replace(placeholder, (_, name: string) => encodeURIComponent(values[name]!))

const templateShape = /^(\/([A-Za-z0-9_-][A-Za-z0-9_.-]*|\{[\w-]+\}))+$/
const printableAscii = /^[\x21-\x7e]+$/
const MAX_SEGMENT = 512

/**
 * Why a value may not fill `{name}`, whoever built the path; undefined when it may. Generic checks (length,
 * printable ASCII, no \ % ? #, no / outside a volume id, no empty, . or .. step), then the segment's own format.
 */
export const segmentValueProblem = (name: string, value: unknown): string | undefined => {
  if (typeof value !== "string") return `{${name}} has no value`
  if (value.length === 0 || value.length > MAX_SEGMENT) return `{${name}} must be 1 to ${MAX_SEGMENT} characters`
  if (!printableAscii.test(value)) return `{${name}} may only hold printable ASCII characters`
  if (/[\\%?#]/.test(value)) return `{${name}} may not contain \\, %, ? or #`
  // Only a volume id carries slashes (local:iso/debian.iso), and never as a way up or an empty step.
  if (name !== "volume" && value.includes("/")) return `{${name}} may not contain /`
  const steps = name === "volume" ? value.split("/") : [value]
  if (steps.some((s) => s === "" || s === "." || s === "..")) return `{${name}} may not contain empty, . or .. steps`
  const format = (segmentFormats as Record<string, SegmentFormat | undefined>)[name]
  if (format !== undefined && !format.check(value)) return `{${name}} is not ${format.describe}`
  return undefined
}

/**
 * Checks a request path again at the door, whoever built it: a sane template, one valid value per placeholder,
 * and a path that is exactly the template filled with those values, each percent-encoded.
 */
export const pathProblem = (path: PvePath): string | undefined => {
  if (!templateShape.test(path.template) || /\/\.\.?(\/|$)/.test(path.template)) {
    return `path template ${JSON.stringify(path.template.slice(0, 120))} is malformed`
  }
  const names = placeholderNames(path.template)
  const extra = Object.keys(path.params).filter((k) => !names.includes(k))
  if (extra.length > 0) return `values for {${extra.join("}, {")}}, which the template does not have`
  for (const name of names) {
    const problem = segmentValueProblem(name, path.params[name])
    if (problem !== undefined) return problem
  }
  if (fillTemplate(path.template, path.params) !== path.path) {
    return "the path is not its template filled with its encoded values"
  }
  return undefined
}

/** Checks one segment value against its format; the error names the field and what it should be. */
export const validateSegment = (name: string, value: unknown): Effect.Effect<string, InvalidInput> => {
  const format = (segmentFormats as Record<string, SegmentFormat | undefined>)[name]
  if (format === undefined) {
    return Effect.die(new Error(`path template uses {${name}}, which has no segment format`))
  }
  const text = typeof value === "number" && Number.isInteger(value) ? String(value) : value
  if (typeof text !== "string" || !format.check(text)) {
    return Effect.fail(
      new InvalidInput({ field: name, message: `${name} ${excerpt(value)} is not valid: expected ${format.describe}` })
    )
  }
  return Effect.succeed(text)
}

/**
 * Fills a path template such as `/nodes/{node}/qemu/{vmid}/status/start`.
 * Every placeholder must have a value that passes its segment format; nothing is sent otherwise.
 */
export const pvePath = (
  template: string,
  values: Readonly<Record<string, string | number>> = {}
): Effect.Effect<PvePath, InvalidInput> =>
  Effect.gen(function* () {
    const params: Record<string, string> = {}
    for (const name of placeholderNames(template)) params[name] = yield* validateSegment(name, values[name])
    return { template, params, path: fillTemplate(template, params) }
  })
