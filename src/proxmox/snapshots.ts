/**
 * Guest snapshots: the list (a tree through `parent`, plus PVE's pseudo-entry `current`), and create, rollback and
 * delete as tasks, for VMs and containers alike.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { call, type Endpoint, endpoint, TaskUpid } from "./Endpoint.js"
import type { GuestRef, GuestType } from "./guests.js"
import { PveBoolean, PveInt } from "./WireSchemas.js"

/** One row of `GET …/snapshot`: PVE sends `vmstate` for VMs only, and the entry `current` without `snaptime`. */
export const SnapshotEntry = Schema.Struct({
  name: Schema.String,
  description: Schema.optional(Schema.String),
  parent: Schema.optional(Schema.String),
  snaptime: Schema.optional(PveInt),
  vmstate: Schema.optional(PveBoolean),
  running: Schema.optional(PveBoolean)
})
export type SnapshotEntry = typeof SnapshotEntry.Type

type SnapshotTemplate<S extends string> = `/nodes/{node}/${GuestType}/{vmid}/snapshot${S}`

const forBothTypes = <const S extends string, A, I>(
  method: "GET" | "POST" | "DELETE",
  suffix: S,
  response: Schema.Schema<A, I>
): { readonly [T in GuestType]: Endpoint<SnapshotTemplate<S>, A, I> } => ({
  qemu: endpoint(method, `/nodes/{node}/qemu/{vmid}/snapshot${suffix}` as SnapshotTemplate<S>, response),
  lxc: endpoint(method, `/nodes/{node}/lxc/{vmid}/snapshot${suffix}` as SnapshotTemplate<S>, response)
})

export const snapshotEndpoints = {
  list: forBothTypes("GET", "", Schema.Array(SnapshotEntry)),
  create: forBothTypes("POST", "", TaskUpid),
  rollback: forBothTypes("POST", "/{snapname}/rollback", TaskUpid),
  remove: forBothTypes("DELETE", "/{snapname}", TaskUpid)
} as const

/** The snapshots of a guest as PVE lists them, `current` included. */
export const listSnapshotEntries = (guest: GuestRef) =>
  call(snapshotEndpoints.list[guest.type], { node: guest.node, vmid: guest.vmid })

/** A snapshot in tree order: its depth under the roots, so a list can be indented. */
export interface SnapshotInTree {
  readonly name: string
  readonly parent: string | undefined
  readonly depth: number
  readonly snaptime: number | undefined
  readonly description: string
  readonly vmstate: boolean
}

/**
 * The snapshots in tree order (each parent before its children, siblings oldest first) and the snapshot the
 * guest's current state descends from. A snapshot whose parent is missing is treated as a root.
 */
export const snapshotTree = (
  entries: ReadonlyArray<SnapshotEntry>
): { readonly snapshots: ReadonlyArray<SnapshotInTree>; readonly currentParent: string | undefined } => {
  const real = entries.filter((e) => e.name !== "current")
  const names = new Set(real.map((e) => e.name))
  const children = new Map<string | undefined, SnapshotEntry[]>()
  for (const entry of real) {
    const parent = entry.parent !== undefined && names.has(entry.parent) ? entry.parent : undefined
    children.set(parent, [...(children.get(parent) ?? []), entry])
  }
  const ordered: SnapshotInTree[] = []
  const visit = (parent: string | undefined, depth: number) => {
    const kids = [...(children.get(parent) ?? [])].sort(
      (a, b) => (a.snaptime ?? 0) - (b.snaptime ?? 0) || a.name.localeCompare(b.name)
    )
    for (const kid of kids) {
      ordered.push({
        name: kid.name,
        parent: kid.parent,
        depth,
        snaptime: kid.snaptime,
        description: (kid.description ?? "").trim(),
        vmstate: kid.vmstate ?? false
      })
      visit(kid.name, depth + 1)
    }
  }
  visit(undefined, 0)
  return { snapshots: ordered, currentParent: entries.find((e) => e.name === "current")?.parent }
}

/** The snapshots of a guest in tree order, without the pseudo-entry `current`. */
export const listSnapshots = (guest: GuestRef) => Effect.map(listSnapshotEntries(guest), snapshotTree)
