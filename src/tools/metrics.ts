import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { clusterResourcesEndpoint } from "../proxmox/cluster.js"
import { guestStatusEndpoints, resolveGuest } from "../proxmox/guests.js"
import {
  Consolidation,
  getGuestRrd,
  getNodeRrd,
  guestRrdEndpoints,
  nodeRrdEndpoint,
  type RrdPoint,
  summarise,
  Timeframe
} from "../proxmox/metrics.js"
import { validateSegment } from "../proxmox/Path.js"
import { type AnyTool, readTool } from "../proxmox/Tool.js"
import { GuestNode, Node, Vmid } from "./fields.js"
import { bytes, rate, utc } from "./format.js"

type Unit = "%" | "bytes" | "bytes/s" | "load"

/** A metric shown: which rrd field, how it is scaled, and the field that holds its total (memory of maxmem). */
interface MetricSpec {
  readonly name: string
  readonly field: string
  readonly unit: Unit
  readonly scale?: number
  readonly totalField?: string
}

const NODE_METRICS: ReadonlyArray<MetricSpec> = [
  { name: "cpu", field: "cpu", unit: "%", scale: 100 },
  { name: "iowait", field: "iowait", unit: "%", scale: 100 },
  { name: "load", field: "loadavg", unit: "load" },
  { name: "memory", field: "memused", unit: "bytes", totalField: "memtotal" },
  { name: "swap", field: "swapused", unit: "bytes", totalField: "swaptotal" },
  { name: "root disk", field: "rootused", unit: "bytes", totalField: "roottotal" },
  { name: "net in", field: "netin", unit: "bytes/s" },
  { name: "net out", field: "netout", unit: "bytes/s" }
]

const GUEST_METRICS: ReadonlyArray<MetricSpec> = [
  { name: "cpu", field: "cpu", unit: "%", scale: 100 },
  { name: "memory", field: "mem", unit: "bytes", totalField: "maxmem" },
  { name: "disk", field: "disk", unit: "bytes", totalField: "maxdisk" },
  { name: "net in", field: "netin", unit: "bytes/s" },
  { name: "net out", field: "netout", unit: "bytes/s" },
  { name: "disk read", field: "diskread", unit: "bytes/s" },
  { name: "disk write", field: "diskwrite", unit: "bytes/s" }
]

const Metric = Schema.Struct({
  name: Schema.String,
  unit: Schema.Literal("%", "bytes", "bytes/s", "load"),
  min: Schema.Number,
  avg: Schema.Number,
  max: Schema.Number,
  last: Schema.Number,
  total: Schema.optional(Schema.Number.annotations({ description: "capacity, for memory and disks (bytes)" }))
})
type Metric = typeof Metric.Type

const RAW_POINTS_MAX = 70

const MetricsArguments = {
  timeframe: Schema.optional(
    Timeframe.annotations({
      description: "Default hour (1-min points; day 30 min, week 3 h)"
    })
  ),
  cf: Schema.optional(Consolidation.annotations({ description: "Default AVERAGE" })),
  raw: Schema.optional(
    Schema.Boolean.annotations({
      description: `Also the points (at most ${RAW_POINTS_MAX})`
    })
  )
}

const Series = {
  timeframe: Timeframe,
  cf: Consolidation,
  from: Schema.optional(Schema.String),
  to: Schema.optional(Schema.String),
  stepSeconds: Schema.optional(Schema.Number),
  points: Schema.Number,
  metrics: Schema.Array(Metric),
  raw: Schema.optional(Schema.Array(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })))
}

const round = (value: number) => Number(value.toFixed(value !== 0 && Math.abs(value) < 1 ? 4 : 2))

const metricsOf = (points: ReadonlyArray<RrdPoint>, specs: ReadonlyArray<MetricSpec>): Array<Metric> =>
  specs.flatMap((spec) => {
    const summary = summarise(points, spec.field)
    if (summary === undefined) return []
    const scale = spec.scale ?? 1
    const total = spec.totalField === undefined ? undefined : summarise(points, spec.totalField)?.last
    return [
      {
        name: spec.name,
        unit: spec.unit,
        min: round(summary.min * scale),
        avg: round(summary.avg * scale),
        max: round(summary.max * scale),
        last: round(summary.last * scale),
        ...(total === undefined ? {} : { total })
      }
    ]
  })

/** The series' summary: time span, step, and each metric that has values. */
const seriesOf = (
  points: ReadonlyArray<RrdPoint>,
  specs: ReadonlyArray<MetricSpec>,
  timeframe: typeof Timeframe.Type,
  cf: typeof Consolidation.Type,
  raw: boolean
) => {
  const times = points.map((p) => p.time).filter((t): t is number => typeof t === "number")
  const first = times[0]
  const last = times.at(-1)
  return {
    timeframe,
    cf,
    ...(first === undefined ? {} : { from: new Date(first * 1000).toISOString() }),
    ...(last === undefined ? {} : { to: new Date(last * 1000).toISOString() }),
    ...(times.length > 1 ? { stepSeconds: times[1]! - times[0]! } : {}),
    points: points.length,
    metrics: metricsOf(points, specs),
    ...(raw ? { raw: points.slice(-RAW_POINTS_MAX) } : {})
  }
}

const figure = (unit: Unit, value: number) =>
  unit === "%"
    ? `${value.toFixed(1)} %`
    : unit === "bytes"
      ? bytes(value)
      : unit === "bytes/s"
        ? rate(value)
        : value.toFixed(2)

const SeriesSchema = Schema.Struct(Series)
const renderSeries = (title: string, s: typeof SeriesSchema.Type) =>
  [
    `${title}, last ${s.timeframe} (${s.cf}${s.stepSeconds === undefined ? "" : `, ${s.stepSeconds} s steps`}${s.from && s.to ? `, ${utc(Date.parse(s.from) / 1000)} to ${utc(Date.parse(s.to) / 1000)}` : ""}):`,
    ...(s.metrics.length === 0
      ? ["  no values in this timeframe (not running, or no data yet)"]
      : s.metrics.map(
          (m) =>
            `  ${m.name}: avg ${figure(m.unit, m.avg)}, min ${figure(m.unit, m.min)}, max ${figure(m.unit, m.max)}, last ${figure(m.unit, m.last)}${m.total === undefined ? "" : ` of ${bytes(m.total)}`}`
        )),
    ...(s.raw === undefined ? [] : [`  ${s.raw.length} raw points in structuredContent.raw`])
  ].join("\n")

export const pveNodeMetrics = readTool({
  name: "pve_node_metrics",
  title: "Node metrics",
  description:
    "A node's usage over a timeframe (RRD): min/avg/max/last of cpu %, iowait, load, memory, swap, disk, network.",
  toolset: "core",
  input: Schema.Struct({ node: Node, ...MetricsArguments }),
  output: Schema.Struct({ node: Schema.String, ...Series }),
  endpoints: [nodeRrdEndpoint],
  handler: ({ node, timeframe, cf, raw }) =>
    Effect.gen(function* () {
      yield* validateSegment("node", node)
      const frame = timeframe ?? "hour"
      const fn = cf ?? "AVERAGE"
      const points = yield* getNodeRrd(node, frame, fn)
      return { node, ...seriesOf(points, NODE_METRICS, frame, fn, raw === true) }
    }),
  render: (r) => renderSeries(`node ${r.node}`, r)
})

export const pveGuestMetrics = readTool({
  name: "pve_guest_metrics",
  title: "Guest metrics",
  description: "A guest's usage over a timeframe (RRD): min/avg/max/last of cpu %, memory, disk, network, disk I/O.",
  toolset: "core",
  input: Schema.Struct({ vmid: Vmid, node: Schema.optional(GuestNode), ...MetricsArguments }),
  output: Schema.Struct({ vmid: Schema.Number, node: Schema.String, type: Schema.Literal("qemu", "lxc"), ...Series }),
  endpoints: [clusterResourcesEndpoint, ...Object.values(guestStatusEndpoints), ...Object.values(guestRrdEndpoints)],
  handler: ({ vmid, node, timeframe, cf, raw }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      const frame = timeframe ?? "hour"
      const fn = cf ?? "AVERAGE"
      const points = yield* getGuestRrd(guest, frame, fn)
      return {
        vmid: guest.vmid,
        node: guest.node,
        type: guest.type,
        ...seriesOf(points, GUEST_METRICS, frame, fn, raw === true)
      }
    }),
  render: (r) => renderSeries(`${r.type} ${r.vmid} on ${r.node}`, r)
})

export const metricsTools: ReadonlyArray<AnyTool> = [pveNodeMetrics, pveGuestMetrics]
