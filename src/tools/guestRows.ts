/**
 * The compact row of a guest in a list (pve_list_guests) and its one-line text: the columns a person scans by
 * default, more with `fields`.
 */
import * as Schema from "effect/Schema"
import type { GuestSummary } from "../proxmox/guests.js"
import { bytes, duration, percent, usage } from "./format.js"
import { sortSchema } from "./paging.js"

const n = (description: string) => Schema.optional(Schema.Number.annotations({ description }))

/** Columns beyond the default ones, asked for with `fields`. */
export const GUEST_EXTRA_FIELDS = [
  "disk",
  "netin",
  "netout",
  "diskread",
  "diskwrite",
  "hastate",
  "tags",
  "pool"
] as const
export type GuestExtraField = (typeof GUEST_EXTRA_FIELDS)[number]

export const GuestFields = Schema.Array(Schema.Literal(...GUEST_EXTRA_FIELDS)).annotations({
  description: "Extra columns"
})

export const GuestRow = Schema.Struct({
  vmid: Schema.Number,
  name: Schema.optional(Schema.String),
  type: Schema.Literal("qemu", "lxc"),
  node: Schema.String,
  status: Schema.String.annotations({ description: "unknown when the guest's node is unreachable" }),
  cpu: n("CPU use as a fraction of maxcpu (0.25 = 25 %)"),
  maxcpu: n("CPU cores"),
  mem: n("memory used, bytes"),
  maxmem: n("memory size, bytes"),
  maxdisk: n("disk size, bytes"),
  uptime: n("seconds"),
  template: Schema.optional(Schema.Literal(true).annotations({ description: "present when a template" })),
  lock: Schema.optional(Schema.String.annotations({ description: "present when locked (backup, migrate, …)" })),
  disk: n("disk used, bytes (containers; 0 for VMs)"),
  netin: n("bytes received since start"),
  netout: n("bytes sent since start"),
  diskread: n("bytes read since start"),
  diskwrite: n("bytes written since start"),
  hastate: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.Array(Schema.String)),
  pool: Schema.optional(Schema.String)
})
export type GuestRow = typeof GuestRow.Type

/** The default columns, the extras asked for, and template/lock only when they are set. */
export const guestRow = (g: GuestSummary, fields: ReadonlyArray<GuestExtraField> = []): GuestRow => {
  const row: Record<string, unknown> = {
    vmid: g.vmid,
    name: g.name,
    type: g.type,
    node: g.node,
    status: g.status,
    cpu: g.cpu,
    maxcpu: g.maxcpu,
    mem: g.mem,
    maxmem: g.maxmem,
    maxdisk: g.maxdisk,
    uptime: g.uptime
  }
  if (g.template) row.template = true
  if (g.lock !== undefined) row.lock = g.lock
  for (const field of fields) row[field] = g[field]
  for (const key of Object.keys(row)) if (row[key] === undefined) delete row[key]
  return row as GuestRow
}

/** "101 (web) qemu pve1: running, cpu 3.1 % of 2, mem 1.2/4.0 GiB (30 %), disk 32 GiB, up 3d 4h", then extras. */
export const guestLine = (r: GuestRow): string => {
  const parts: string[] = []
  const running = r.status === "running"
  if (running) {
    parts.push(`cpu ${percent(r.cpu)}${r.maxcpu === undefined ? "" : ` of ${r.maxcpu}`}`)
    parts.push(`mem ${usage(r.mem, r.maxmem)}`)
  } else if (r.maxmem !== undefined) {
    parts.push(`mem ${bytes(r.maxmem)}`)
  }
  if (r.maxdisk !== undefined) parts.push(`disk ${r.disk ? usage(r.disk, r.maxdisk) : bytes(r.maxdisk)}`)
  if (running && r.uptime !== undefined) parts.push(`up ${duration(r.uptime)}`)
  if (r.template) parts.push("template")
  if (r.lock !== undefined) parts.push(`locked (${r.lock})`)
  if (r.netin !== undefined || r.netout !== undefined) parts.push(`net in ${bytes(r.netin)} out ${bytes(r.netout)}`)
  if (r.diskread !== undefined || r.diskwrite !== undefined)
    parts.push(`io read ${bytes(r.diskread)} write ${bytes(r.diskwrite)}`)
  if (r.hastate !== undefined) parts.push(`ha ${r.hastate}`)
  if (r.pool !== undefined) parts.push(`pool ${r.pool}`)
  if (r.tags !== undefined && r.tags.length > 0) parts.push(`[${r.tags.join(", ")}]`)
  const state = r.status === "unknown" ? "unknown (node unreachable)" : r.status
  return `${r.vmid}${r.name ? ` ${r.name}` : ""} ${r.type} ${r.node}: ${state}${parts.length ? `, ${parts.join(", ")}` : ""}`
}

/** Sort keys of a guest list; prefix "-" for descending. Ties by vmid. */
export const GUEST_SORT_KEYS = ["vmid", "name", "node", "status", "cpu", "mem", "maxmem", "maxdisk", "uptime"] as const
type GuestSortKey = (typeof GUEST_SORT_KEYS)[number]

export const GuestSort = sortSchema(GUEST_SORT_KEYS, "-mem; default vmid")

export const guestSortValue = (key: GuestSortKey, g: GuestSummary): number | string | null => {
  switch (key) {
    case "vmid":
      return g.vmid
    case "name":
      return (g.name ?? "").toLowerCase()
    case "node":
    case "status":
      return g[key]
    default:
      return g[key] ?? null
  }
}
