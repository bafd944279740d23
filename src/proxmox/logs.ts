/**
 * A node's system log: `syslog` (numbered lines, a since/until window as "YYYY-MM-DD HH:MM:SS", a service unit,
 * paged by start/limit with a total) and `journal` (epoch since/until or the last N entries; mini-journalreader
 * prints a cursor as the first and the last line).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { call, callWithTotal, endpoint } from "./Endpoint.js"
import { PveInt } from "./WireSchemas.js"

export const syslogEndpoint = endpoint(
  "GET",
  "/nodes/{node}/syslog",
  Schema.Array(Schema.Struct({ n: PveInt, t: Schema.String }))
)
export const journalEndpoint = endpoint("GET", "/nodes/{node}/journal", Schema.Array(Schema.String))

/** Epoch seconds as the syslog endpoint's date-time text (UTC). */
export const syslogTime = (epochSeconds: number): string =>
  new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace("T", " ")

export interface SyslogQuery {
  readonly since?: number | undefined
  readonly until?: number | undefined
  readonly service?: string | undefined
}

const syslogParams = (query: SyslogQuery) => ({
  since: query.since === undefined ? undefined : syslogTime(query.since),
  until: query.until === undefined ? undefined : syslogTime(query.until),
  service: query.service
})

/** Lines start… of the syslog (PVE answers "no content" as the only line when nothing matches). */
export const readSyslog = (node: string, query: SyslogQuery, start: number, limit: number) =>
  Effect.map(callWithTotal(syslogEndpoint, { node }, { ...syslogParams(query), start, limit }), ({ data, total }) => {
    const empty = data.length === 1 && data[0]!.t === "no content"
    return { lines: empty ? [] : data.map((line) => line.t), total: empty ? 0 : (total ?? start + data.length) }
  })

/** How many syslog lines match (one line is read). */
export const countSyslog = (node: string, query: SyslogQuery) =>
  Effect.map(readSyslog(node, query, 0, 1), (r) => r.total)

const cursorLine = /^s=[0-9a-f]+;/

/** Journal entries of a window, or the last `lastentries`; the cursor lines dropped. */
export const readJournal = (
  node: string,
  query: { readonly since?: number | undefined; readonly until?: number | undefined; readonly lastentries?: number }
) => Effect.map(call(journalEndpoint, { node }, query), (lines) => lines.filter((line) => !cursorLine.test(line)))
