/**
 * The compact row of a /cluster/resources entry (node, guest, storage, pool, SDN zone) and its one-line text,
 * for pve_cluster_resources; the node line is shared with pve_list_nodes.
 */
import * as Schema from "effect/Schema"
import type { ClusterResource } from "../proxmox/cluster.js"
import { splitTags } from "../proxmox/guests.js"
import { bytes, duration, percent, usage } from "./format.js"
import { guestLine } from "./guestRows.js"
import { sortSchema } from "./paging.js"

const n = (description: string) => Schema.optional(Schema.Number.annotations({ description }))

export const UnreachableNodes = Schema.Array(Schema.String).annotations({
  description: "nodes that are offline: calls to them fail; their guests show status unknown"
})

/** Columns beyond the default ones, asked for with `fields`. */
export const RESOURCE_EXTRA_FIELDS = [
  "pool",
  "tags",
  "hastate",
  "netin",
  "netout",
  "diskread",
  "diskwrite",
  "content",
  "plugintype",
  "shared",
  "level"
] as const
export type ResourceExtraField = (typeof RESOURCE_EXTRA_FIELDS)[number]

export const ResourceFields = Schema.Array(Schema.Literal(...RESOURCE_EXTRA_FIELDS)).annotations({
  description: "Extra columns"
})

export const ResourceRow = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  node: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  vmid: Schema.optional(Schema.Number),
  storage: Schema.optional(Schema.String),
  cpu: n("CPU use as a fraction of maxcpu (0.25 = 25 %)"),
  maxcpu: n("CPU cores or threads"),
  mem: n("memory used, bytes"),
  maxmem: n("memory size, bytes"),
  disk: n("disk used, bytes (storage: space used)"),
  maxdisk: n("disk or storage size, bytes"),
  uptime: n("seconds"),
  template: Schema.optional(Schema.Literal(true).annotations({ description: "present when a template" })),
  lock: Schema.optional(Schema.String.annotations({ description: "present when locked" })),
  pool: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.Array(Schema.String)),
  hastate: Schema.optional(Schema.String),
  netin: n("bytes"),
  netout: n("bytes"),
  diskread: n("bytes"),
  diskwrite: n("bytes"),
  content: Schema.optional(Schema.String),
  plugintype: Schema.optional(Schema.String),
  shared: Schema.optional(Schema.Boolean),
  level: Schema.optional(Schema.String)
})
export type ResourceRow = typeof ResourceRow.Type

const DEFAULT_KEYS = [
  "id",
  "type",
  "node",
  "name",
  "status",
  "vmid",
  "storage",
  "cpu",
  "maxcpu",
  "mem",
  "maxmem",
  "disk",
  "maxdisk",
  "uptime"
] as const

export const resourceRow = (r: ClusterResource, fields: ReadonlyArray<ResourceExtraField> = []): ResourceRow => {
  const row: Record<string, unknown> = {}
  for (const key of DEFAULT_KEYS) if (r[key] !== undefined) row[key] = r[key]
  if (r.template) row.template = true
  if (r.lock !== undefined) row.lock = r.lock
  for (const field of fields) {
    const value = field === "tags" ? (r.tags === undefined ? undefined : splitTags(r.tags)) : r[field]
    if (value !== undefined) row[field] = value
  }
  return row as ResourceRow
}

/** What a name filter and the name sort look at: the guest's name, else the storage, pool or last id segment. */
export const resourceName = (r: { readonly id: string; readonly name?: string | undefined }) =>
  r.name ?? (r as { storage?: string }).storage ?? (r as { pool?: string }).pool ?? r.id.split("/").at(-1) ?? r.id

/** A node's figures: "online, cpu 12 % of 16, mem 20/64 GiB (31 %), root 5.0/100 GiB (5 %), up 3d 4h". */
export const nodeFigures = (r: {
  readonly status?: string | undefined
  readonly cpu?: number | undefined
  readonly maxcpu?: number | undefined
  readonly mem?: number | undefined
  readonly maxmem?: number | undefined
  readonly disk?: number | undefined
  readonly maxdisk?: number | undefined
  readonly uptime?: number | undefined
}): string => {
  if (r.status !== "online") return `${r.status ?? "unknown"} (unreachable)`
  return [
    "online",
    `cpu ${percent(r.cpu)}${r.maxcpu === undefined ? "" : ` of ${r.maxcpu}`}`,
    `mem ${usage(r.mem, r.maxmem)}`,
    ...(r.maxdisk === undefined ? [] : [`root ${usage(r.disk, r.maxdisk)}`]),
    ...(r.uptime === undefined ? [] : [`up ${duration(r.uptime)}`])
  ].join(", ")
}

const extras = (r: ResourceRow): string => {
  const parts: string[] = []
  if (r.plugintype !== undefined) parts.push(r.plugintype)
  if (r.shared !== undefined) parts.push(r.shared ? "shared" : "local")
  if (r.content !== undefined) parts.push(`content ${r.content}`)
  if (r.level !== undefined && r.level !== "") parts.push(`level ${r.level}`)
  return parts.length ? `, ${parts.join(", ")}` : ""
}

export const resourceLine = (r: ResourceRow): string => {
  switch (r.type) {
    case "node":
      return `node ${r.node ?? r.id}: ${nodeFigures(r)}${extras(r)}`
    case "storage": {
      const space =
        r.maxdisk === undefined
          ? ""
          : `, used ${usage(r.disk, r.maxdisk)}, ${bytes(Math.max(0, r.maxdisk - (r.disk ?? 0)))} free`
      return `storage ${r.storage ?? r.id}${r.node ? ` on ${r.node}` : ""}: ${r.status ?? "?"}${space}${extras(r)}`
    }
    case "qemu":
    case "lxc":
      if (r.vmid !== undefined && r.node !== undefined)
        return guestLine({ ...r, vmid: r.vmid, node: r.node, type: r.type, status: r.status ?? "unknown" })
      return `${r.id}: ${r.status ?? "?"}`
    case "pool":
      return `pool ${r.pool ?? resourceName(r)}`
    default:
      return `${r.type} ${resourceName(r)}${r.node ? ` on ${r.node}` : ""}: ${r.status ?? "-"}${extras(r)}`
  }
}

/** Sort keys of cluster resources; "type" groups nodes, storages, guests (by vmid), pools, SDN. Ties by id. */
export const RESOURCE_SORT_KEYS = [
  "type",
  "id",
  "name",
  "node",
  "status",
  "cpu",
  "mem",
  "disk",
  "maxdisk",
  "uptime"
] as const
type ResourceSortKey = (typeof RESOURCE_SORT_KEYS)[number]

export const ResourceSort = sortSchema(RESOURCE_SORT_KEYS, "-disk; default type")

const TYPE_RANK: Readonly<Record<string, number>> = { node: 0, storage: 1, qemu: 2, lxc: 2, pool: 3, sdn: 4 }

export const resourceSortValue = (key: ResourceSortKey, r: ClusterResource): number | string | null => {
  switch (key) {
    case "type":
      // guests by vmid within their group, the rest by id (the tiebreak)
      return (TYPE_RANK[r.type] ?? 5) * 1e10 + (r.vmid ?? 0)
    case "id":
      return r.id
    case "name":
      return resourceName(r).toLowerCase()
    case "node":
    case "status":
      return r[key] ?? null
    default:
      return r[key] ?? null
  }
}
