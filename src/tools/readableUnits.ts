/**
 * Time arguments given as ISO text or epoch seconds, and offset paging of lists that do not move (a task log,
 * a storage's content). The figures in answers are format.ts's.
 */
import * as Schema from "effect/Schema"
import { pageLimit } from "./paging.js"

/** Epoch seconds of a moment: epoch seconds, or ISO 8601 text (a date-time without a zone is read as UTC). */
export const epochOf = (moment: number | string): number => {
  if (typeof moment === "number") return moment
  const text = moment.trim()
  const zoned =
    /([zZ]|[+-]\d{2}:?\d{2})$/.test(text) || /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : `${text.replace(" ", "T")}Z`
  return Math.floor(Date.parse(zoned) / 1000)
}

/** A moment given as ISO 8601 text ("2026-12-01T02:00:00Z", "2026-12-01 02:00", "2026-12-01") or epoch seconds. */
export const Moment = Schema.Union(
  Schema.Int.pipe(Schema.between(0, 99_999_999_999)).annotations({ jsonSchema: { type: "integer" } }),
  Schema.String.pipe(
    Schema.filter((text) => !Number.isNaN(epochOf(text)) || "expected an ISO 8601 date-time, e.g. 2026-12-01T02:00:00Z")
  )
)

/**
 * The paging arguments of a list: `limit` and an opaque `cursor` from the previous answer's `nextCursor` (the
 * offset of the next row, so the same filters must be passed again).
 */
export const pageArguments = (defaultLimit: number, maxLimit: number) => ({
  limit: Schema.optional(pageLimit(maxLimit, `Rows per page (default ${defaultLimit}, at most ${maxLimit})`)),
  cursor: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^\d{1,9}$/)).annotations({
      description: "nextCursor of the previous answer, to read the next page (pass the same filters again)"
    })
  )
})

export const offsetOf = (cursor: string | undefined): number => (cursor === undefined ? 0 : Number(cursor))

/** The page of `rows` at the cursor, the total, and the cursor of the next page when there is one. */
export const pageOf = <A>(rows: ReadonlyArray<A>, cursor: string | undefined, limit: number) => {
  const offset = offsetOf(cursor)
  const page = rows.slice(offset, offset + limit)
  const next = offset + page.length
  return { page, total: rows.length, offset, ...(next < rows.length ? { nextCursor: String(next) } : {}) }
}

/** "rows 51–100 of 320; next page: cursor "100"" */
export const pageLine = (what: string, shown: number, offset: number, total: number, nextCursor?: string): string =>
  shown === 0
    ? `no ${what} (${total} in all)`
    : `${what} ${offset + 1}–${offset + shown} of ${total}${nextCursor === undefined ? "" : `; next page: cursor "${nextCursor}"`}`
