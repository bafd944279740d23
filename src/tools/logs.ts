import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { countSyslog, journalEndpoint, readJournal, readSyslog, syslogEndpoint } from "../proxmox/logs.js"
import { validateSegment } from "../proxmox/Path.js"
import { type AnyTool, readTool } from "../proxmox/Tool.js"
import { Node } from "./fields.js"
import { epochOf, Moment } from "./readableUnits.js"

const LOG_LINES = 50
const LOG_LINES_MAX = 500

export const pveNodeLog = readTool({
  name: "pve_node_log",
  title: "Node system log",
  description:
    "A node's syslog lines, newest by default, optionally one service and a since/until window (ISO 8601 or epoch s).",
  toolset: "core",
  input: Schema.Struct({
    node: Node,
    service: Schema.optional(
      Schema.String.pipe(Schema.pattern(/^[a-zA-Z0-9@._-]{1,128}$/)).annotations({
        description: "systemd unit, e.g. pveproxy, corosync"
      })
    ),
    since: Schema.optional(Moment.annotations({ description: "Only lines at or after this time" })),
    until: Schema.optional(Moment.annotations({ description: "Only lines at or before this time" })),
    limit: Schema.optional(
      Schema.Int.pipe(Schema.between(1, LOG_LINES_MAX)).annotations({
        description: `Lines to return (default ${LOG_LINES}, at most ${LOG_LINES_MAX})`
      })
    ),
    start: Schema.optional(
      Schema.Int.pipe(Schema.between(0, 100_000_000)).annotations({
        description: "First line, from 0 (default: newest)"
      })
    ),
    source: Schema.optional(Schema.Literal("syslog", "journal").annotations({ description: "Default syslog" }))
  }),
  output: Schema.Struct({
    node: Schema.String,
    source: Schema.Literal("syslog", "journal"),
    lines: Schema.Array(Schema.String),
    start: Schema.optional(Schema.Number),
    total: Schema.optional(Schema.Number),
    previousStart: Schema.optional(Schema.Number),
    nextStart: Schema.optional(Schema.Number)
  }),
  endpoints: [syslogEndpoint, journalEndpoint],
  handler: (input) =>
    Effect.gen(function* () {
      yield* validateSegment("node", input.node)
      const limit = input.limit ?? LOG_LINES
      const since = input.since === undefined ? undefined : epochOf(input.since)
      const until = input.until === undefined ? undefined : epochOf(input.until)
      if (input.source === "journal") {
        const window = since !== undefined || until !== undefined
        const all = yield* readJournal(input.node, window ? { since, until } : { lastentries: limit })
        const matching =
          input.service === undefined
            ? all
            : all.filter((line) => line.includes(` ${input.service}[`) || line.includes(` ${input.service}:`))
        return { node: input.node, source: "journal" as const, lines: matching.slice(-limit) }
      }
      const query = { since, until, service: input.service }
      const start = input.start ?? Math.max(0, (yield* countSyslog(input.node, query)) - limit)
      const { lines, total } = yield* readSyslog(input.node, query, start, limit)
      const next = start + lines.length
      return {
        node: input.node,
        source: "syslog" as const,
        lines,
        start,
        total,
        ...(start > 0 ? { previousStart: Math.max(0, start - limit) } : {}),
        ...(next < total ? { nextStart: next } : {})
      }
    }),
  render: ({ node, source, lines, start, total, previousStart, nextStart }) =>
    [
      source === "syslog"
        ? `${node} syslog: ${lines.length === 0 ? "no lines" : `lines ${(start ?? 0) + 1}–${(start ?? 0) + lines.length} of ${total}`}${previousStart === undefined ? "" : `; older: start ${previousStart}`}${nextStart === undefined ? "" : `; newer: start ${nextStart}`}`
        : `${node} journal: ${lines.length} lines`,
      ...lines
    ].join("\n")
})

export const logTools: ReadonlyArray<AnyTool> = [pveNodeLog]
