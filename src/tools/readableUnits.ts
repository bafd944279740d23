/**
 * Figures as a person scans them (sizes in KiB…TiB, rates per second, percentages, UTC times, durations), and
 * time arguments given as ISO text or epoch seconds. Small on purpose: the storage, network, task, metric and log
 * tools share it.
 */
import * as Schema from "effect/Schema"

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const

/** 1536 → "1.5 KiB"; one decimal below 100, none above. */
export const bytes = (value: number): string => {
  let amount = value
  let unit = 0
  while (Math.abs(amount) >= 1024 && unit < UNITS.length - 1) {
    amount /= 1024
    unit++
  }
  return `${unit === 0 ? Math.round(amount) : amount < 100 ? amount.toFixed(1) : Math.round(amount)} ${UNITS[unit]}`
}

export const rate = (bytesPerSecond: number): string => `${bytes(bytesPerSecond)}/s`

export const percent = (fraction: number): string => `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} %`

/** Epoch seconds → "2026-12-01 02:00:00Z". */
export const utc = (epochSeconds: number): string =>
  `${new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace("T", " ")}Z`

/** Epoch seconds → ISO 8601, for structured answers. */
export const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString()

/** 3725 → "1h 2m 5s". */
export const duration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${rest}s` : `${rest}s`
}

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
  limit: Schema.optional(
    Schema.Int.pipe(Schema.between(1, maxLimit)).annotations({
      description: `Rows per page (default ${defaultLimit}, at most ${maxLimit})`
    })
  ),
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
