/**
 * Keyset pagination of a list a tool builds from one Proxmox answer: rows are sorted by (sort key, unique
 * tiebreak), and a cursor holds the position of the last row given out, not an offset. A walk with cursors
 * therefore sees every row once even when rows are added or removed between calls; the sort key itself must not
 * change under the walk (vmid, name, node do not; cpu or memory use do, so a row may cross the page boundary).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { InvalidInput } from "../proxmox/errors.js"

/** A sort or tiebreak value; null (a figure the row lacks) sorts last in either direction. */
export type SortValue = number | string | null

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500
/** Text and structuredContent of one page stay below ~100 KB whatever limit and fields ask for. */
export const PAGE_BUDGET_BYTES = 80_000

/**
 * A page size from 1 to `max`. The refusal names the range: without its own message Effect would quote the
 * description as what was expected ("Expected Rows per page (default 50), actual 0").
 */
export const pageLimit = (max: number, description: string) =>
  Schema.Int.pipe(Schema.between(1, max, { message: () => `expected a whole number from 1 to ${max}` })).annotations({
    description
  })

export const Limit = pageLimit(MAX_LIMIT, `Rows per page (default ${DEFAULT_LIMIT})`)

export const Cursor = Schema.String.pipe(Schema.maxLength(512)).annotations({
  description: "nextCursor of the previous page (same filters and sort)"
})

const Position = Schema.Struct({
  q: Schema.String,
  k: Schema.NullOr(Schema.Union(Schema.Number, Schema.String)),
  t: Schema.Union(Schema.Number, Schema.String)
})
const decodePosition = Schema.decodeUnknownEither(Schema.parseJson(Position))

/** FNV-1a of the canonical query: a cursor only fits the filters and sort it was made for. */
const queryTag = (query: Readonly<Record<string, unknown>>): string => {
  const canonical = JSON.stringify(
    Object.keys(query)
      .sort()
      .filter((k) => query[k] !== undefined)
      .map((k) => [k, query[k]])
  )
  let hash = 0x811c9dc5
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(36)
}

const compareValues = (a: SortValue, b: SortValue, direction: 1 | -1): number => {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1
  if (typeof a === "number" && typeof b === "number") return (a - b) * direction
  const [x, y] = [String(a), String(b)]
  return (x < y ? -1 : x > y ? 1 : 0) * direction
}

export interface PageSpec<R> {
  /** the list, filters and sort of the call: a cursor made for another is refused */
  readonly query: Readonly<Record<string, unknown>>
  readonly key: (row: R) => SortValue
  readonly descending: boolean
  /** unique per row (vmid, resource id), ascending: breaks ties so the order is total */
  readonly tiebreak: (row: R) => number | string
  readonly limit: number | undefined
  readonly cursor: string | undefined
  /** bytes one row adds to the answer (structured and text), for the page budget */
  readonly sizeOf: (row: R) => number
}

export interface Page<R> {
  readonly rows: ReadonlyArray<R>
  /** rows matching the filters in all */
  readonly total: number
  readonly nextCursor: string | undefined
  /** the page ended before `limit` rows to keep the answer small */
  readonly cutBySize: boolean
}

const badCursor = (why: string) =>
  new InvalidInput({
    field: "cursor",
    message: `${why}. Pass the nextCursor of the previous answer unchanged, with the same filters and sort, or leave cursor out to start from the first page`
  })

/** Sorts the matching rows and cuts the page after the cursor's position. */
export const paginate = <R>(rows: ReadonlyArray<R>, spec: PageSpec<R>): Effect.Effect<Page<R>, InvalidInput> =>
  Effect.gen(function* () {
    const tag = queryTag(spec.query)
    const direction = spec.descending ? -1 : 1
    const compare = (a: readonly [SortValue, number | string], b: readonly [SortValue, number | string]) =>
      compareValues(a[0], b[0], direction) || compareValues(a[1], b[1], 1)
    const positioned = rows.map((row) => ({ row, at: [spec.key(row), spec.tiebreak(row)] as const }))
    positioned.sort((a, b) => compare(a.at, b.at))

    let start = 0
    if (spec.cursor !== undefined) {
      const json = Either.try(() => Buffer.from(spec.cursor!, "base64url").toString("utf8"))
      const decoded = Either.flatMap(json, (text) => decodePosition(text))
      if (Either.isLeft(decoded)) return yield* badCursor("cursor is not one this tool gave out")
      const position = decoded.right
      if (position.q !== tag) return yield* badCursor("cursor belongs to a call with other filters or another sort")
      const after = [position.k, position.t] as const
      start = positioned.findIndex((p) => compare(p.at, after) > 0)
      if (start < 0) start = positioned.length
    }

    const limit = spec.limit ?? DEFAULT_LIMIT
    const taken: Array<(typeof positioned)[number]> = []
    let bytes = 0
    let cutBySize = false
    for (let i = start; i < positioned.length && taken.length < limit; i++) {
      const size = spec.sizeOf(positioned[i]!.row)
      if (taken.length > 0 && bytes + size > PAGE_BUDGET_BYTES) {
        cutBySize = true
        break
      }
      bytes += size
      taken.push(positioned[i]!)
    }
    const last = taken.at(-1)
    const more = start + taken.length < positioned.length
    const nextCursor =
      more && last !== undefined
        ? Buffer.from(JSON.stringify({ q: tag, k: last.at[0], t: last.at[1] }), "utf8").toString("base64url")
        : undefined
    return { rows: taken.map((p) => p.row), total: positioned.length, nextCursor, cutBySize }
  })

/** The closing line of a page's text: how many of how many, and how to go on. */
export const pageFooter = (page: {
  readonly total: number
  readonly count: number
  readonly nextCursor?: string | undefined
  readonly cutShort?: boolean | undefined
}): string => {
  if (page.total === 0) return ""
  const shown = `${page.count} of ${page.total} shown`
  if (page.nextCursor === undefined) return `${shown}; last page`
  const why = page.cutShort ? " (page cut short to keep the answer small)" : ""
  return `${shown}${why}; next page: call again with the same arguments and cursor "${page.nextCursor}"`
}

/**
 * A glob (`web-*`, `db?`) matched against the whole name, case-insensitive; without `*` or `?`, a substring.
 */
export const nameMatcher = (pattern: string | undefined): ((name: string | undefined) => boolean) => {
  if (pattern === undefined) return () => true
  const lower = pattern.toLowerCase()
  if (!/[*?]/.test(lower)) return (name) => (name ?? "").toLowerCase().includes(lower)
  const source = lower
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("")
  const regexp = new RegExp(`^${source}$`)
  return (name) => regexp.test((name ?? "").toLowerCase())
}

export const NamePattern = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)).annotations({
  description: "Glob (web-*) or substring, any case"
})

/** What every paginated answer says about its page. */
export const PageFields = {
  total: Schema.Number.annotations({ description: "rows matching the filters in all" }),
  count: Schema.Number.annotations({ description: "rows on this page" }),
  nextCursor: Schema.optional(Schema.String.annotations({ description: "pass as cursor for the next page" })),
  cutShort: Schema.optional(Schema.Literal(true).annotations({ description: "fewer than limit rows, to stay small" }))
}

export const pageSummary = (page: Page<unknown>, count: number) => ({
  total: page.total,
  count,
  ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
  ...(page.cutBySize ? { cutShort: true as const } : {})
})

/**
 * A sort key, "-" in front for descending. Advertised as a list of the keys in the description rather than an enum
 * of every key twice, to keep tools/list small (the pattern is checked, not advertised); the Literal still checks it.
 */
export const sortSchema = <const K extends string>(keys: ReadonlyArray<K>, example: string) => {
  const description = `${keys.join(", ")}; -key: descending (${example})`
  return Schema.Literal(...keys.flatMap((k) => [k, `-${k}`] as const)).annotations({
    description,
    jsonSchema: { type: "string", pattern: `^-?(${keys.join("|")})$`, description }
  })
}

export const parseSort = <K extends string>(sort: string | undefined, fallback: K) => {
  const raw = sort ?? fallback
  const descending = raw.startsWith("-")
  return { key: (descending ? raw.slice(1) : raw) as K, descending, label: raw }
}
