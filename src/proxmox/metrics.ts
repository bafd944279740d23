/**
 * RRD series of nodes and guests (`…/rrddata`): points of `time` plus numeric fields, each field absent where the
 * RRD holds no value (the newest, unconsolidated step; a guest that was not running).
 */
import * as Schema from "effect/Schema"
import { call, endpoint } from "./Endpoint.js"
import type { GuestRef } from "./guests.js"
import { PveNumber } from "./WireSchemas.js"

export const RrdPoint = Schema.Record({ key: Schema.String, value: Schema.NullOr(PveNumber) })
export type RrdPoint = typeof RrdPoint.Type

export const Timeframe = Schema.Literal("hour", "day", "week", "month", "year")
export type Timeframe = typeof Timeframe.Type
export const Consolidation = Schema.Literal("AVERAGE", "MAX")
export type Consolidation = typeof Consolidation.Type

export const nodeRrdEndpoint = endpoint("GET", "/nodes/{node}/rrddata", Schema.Array(RrdPoint))
export const guestRrdEndpoints = {
  qemu: endpoint("GET", "/nodes/{node}/qemu/{vmid}/rrddata", Schema.Array(RrdPoint)),
  lxc: endpoint("GET", "/nodes/{node}/lxc/{vmid}/rrddata", Schema.Array(RrdPoint))
} as const

export const getNodeRrd = (node: string, timeframe: Timeframe, cf: Consolidation) =>
  call(nodeRrdEndpoint, { node }, { timeframe, cf })

export const getGuestRrd = (guest: GuestRef, timeframe: Timeframe, cf: Consolidation) =>
  call(guestRrdEndpoints[guest.type], { node: guest.node, vmid: guest.vmid }, { timeframe, cf })

/** min/avg/max/last of one field over the points that carry it. */
export interface SeriesSummary {
  readonly min: number
  readonly avg: number
  readonly max: number
  readonly last: number
  readonly points: number
}

export const summarise = (points: ReadonlyArray<RrdPoint>, field: string): SeriesSummary | undefined => {
  const values = points
    .map((point) => point[field])
    .filter((value): value is number => typeof value === "number" && Number.isFinite(value))
  if (values.length === 0) return undefined
  return {
    min: Math.min(...values),
    avg: values.reduce((sum, value) => sum + value, 0) / values.length,
    max: Math.max(...values),
    last: values.at(-1)!,
    points: values.length
  }
}
