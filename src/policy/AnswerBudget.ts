/**
 * The answer budget (PVE_MAX_ANSWER_BYTES): no tool answer, text and structuredContent together, is larger. Over it,
 * the longest lists are cut (then the longest strings), and both parts say what was cut and how to ask for less, in
 * the `truncated` note every output schema allows (mcp/JsonSchema.effectiveOutputSchema).
 */
import * as Schema from "effect/Schema"
import type { AnyTool } from "../proxmox/Tool.js"

/** The field the note is in; every tool's output schema has it (optional). */
export const TRUNCATED_FIELD = "truncated"
export const TruncatedNote = Schema.String.annotations({
  description: "Only when the answer was cut to PVE_MAX_ANSWER_BYTES: what was cut, how to narrow"
})

/** The text's share of the budget when both parts are over it: the rest goes to structuredContent. */
const TEXT_SHARE = 0.25
/** Room kept for the note itself, in both parts. */
const NOTE_ROOM = 1_500
const LONG_STRING = 1_000

const bytes = (text: string) => Buffer.byteLength(text, "utf8")
const jsonBytes = (value: unknown) => bytes(JSON.stringify(value) ?? "null")

interface Cut {
  readonly at: string
  readonly kept: number
  readonly of: number
}

type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }

/** Every array in the value with where it is, largest first. */
const arraysIn = (value: Json, at: string, found: Array<{ at: string; array: Array<Json>; size: number }>) => {
  if (Array.isArray(value)) {
    found.push({ at: at === "" ? "the list" : at, array: value, size: jsonBytes(value) })
    for (const [i, item] of value.entries()) arraysIn(item, `${at}[${i}]`, found)
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) arraysIn(item, at === "" ? key : `${at}.${key}`, found)
  }
  return found
}

/** Cuts lists (the largest first, keeping their first items) until the value fits; undefined when it cannot. */
const cutLists = (value: Json, budget: number, cuts: Array<Cut>): boolean => {
  for (let round = 0; round < 50; round++) {
    const excess = jsonBytes(value) - budget
    if (excess <= 0) return true
    const largest = arraysIn(value, "", [])
      .filter((a) => a.array.length > 0)
      .sort((a, b) => b.size - a.size)[0]
    if (largest === undefined) return false
    // keep the items that fit in what this list may still take (at least nothing of it)
    const allowed = Math.max(0, largest.size - excess)
    let used = 2
    let keep = 0
    for (const item of largest.array) {
      used += jsonBytes(item) + 1
      if (used > allowed) break
      keep++
    }
    const previous = cuts.findIndex((c) => c.at === largest.at)
    const of = previous === -1 ? largest.array.length : cuts[previous]!.of
    if (previous !== -1) cuts.splice(previous, 1)
    cuts.push({ at: largest.at, kept: keep, of })
    largest.array.splice(keep)
  }
  return jsonBytes(value) <= budget
}

/** Cuts every string longer than LONG_STRING characters. */
const cutStrings = (value: Json): Json => {
  if (typeof value === "string") return value.length > LONG_STRING ? `${value.slice(0, LONG_STRING)}…` : value
  if (Array.isArray(value)) return value.map(cutStrings)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutStrings(v)]))
  }
  return value
}

/** The text, cut to at most `limit` bytes on a character boundary. */
const cutText = (text: string, limit: number): string => {
  if (bytes(text) <= limit) return text
  const cut = Buffer.from(text, "utf8").subarray(0, limit).toString("utf8")
  return cut.endsWith("\uFFFD") ? cut.slice(0, -1) : cut
}

/** How to ask for less: the tool's own words, else its arguments. */
export const narrowingHint = (tool: AnyTool, argumentNames: ReadonlyArray<string>): string =>
  tool.narrow ??
  (argumentNames.length > 0
    ? `call ${tool.name} again with narrower arguments (${argumentNames.join(", ")})`
    : `use a more specific tool, or pve_api_get on a narrower path`)

export type Fitted =
  | { readonly _tag: "Fits"; readonly structured: Record<string, unknown>; readonly text: string }
  | { readonly _tag: "TooLarge"; readonly message: string }

/**
 * The answer within `budget` bytes (text + JSON of structuredContent). `valid` tells whether cut content still
 * matches the tool's output schema; when it does not, or nothing can be cut, the answer is TooLarge.
 */
export const fitAnswer = (
  structured: Record<string, unknown>,
  text: string,
  budget: number,
  hint: string,
  valid: (structured: unknown) => boolean
): Fitted => {
  const total = jsonBytes(structured) + bytes(text)
  if (total <= budget) return { _tag: "Fits", structured, text }
  const textLimit = Math.min(bytes(text), Math.floor(budget * TEXT_SHARE))
  const structuredLimit = budget - textLimit - 2 * NOTE_ROOM
  const cuts: Array<Cut> = []
  let copy = structuredClone(structured) as Json
  if (!cutLists(copy, structuredLimit, cuts)) {
    copy = cutStrings(copy)
    cuts.push({ at: `strings over ${LONG_STRING} characters`, kept: LONG_STRING, of: 0 })
    if (!cutLists(copy, structuredLimit, cuts)) {
      return {
        _tag: "TooLarge",
        message: `the answer (${total} bytes) is larger than PVE_MAX_ANSWER_BYTES (${budget}) and cannot be cut; ${hint}`
      }
    }
  }
  const what = cuts
    .map((c) => (c.of === 0 ? `${c.at} cut to ${c.kept} characters` : `${c.at}: ${c.kept} of ${c.of} items kept`))
    .join("; ")
  const note = `Answer cut to PVE_MAX_ANSWER_BYTES (${budget} bytes; the whole answer had ${total}): ${what}. To see the rest, ${hint}.`
  const fitted = { ...(copy as Record<string, unknown>), [TRUNCATED_FIELD]: note }
  if (!valid(fitted)) {
    return {
      _tag: "TooLarge",
      message: `the answer (${total} bytes) is larger than PVE_MAX_ANSWER_BYTES (${budget}); ${hint}`
    }
  }
  const shown = cutText(text, textLimit)
  return {
    _tag: "Fits",
    structured: fitted,
    text: `${shown}${shown.length < text.length ? "\n…" : ""}\n${note}`
  }
}
