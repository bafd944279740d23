import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { clusterResourcesEndpoint } from "../proxmox/cluster.js"
import { InvalidInput } from "../proxmox/errors.js"
import { type GuestRef, GuestType, getGuestStatus, guestStatusEndpoints, resolveGuest } from "../proxmox/guests.js"
import { plan, planStep } from "../proxmox/Plan.js"
import { listSnapshots, type SnapshotInTree, snapshotEndpoints } from "../proxmox/snapshots.js"
import { type AnyTool, type ConfirmTarget, destructiveTool, readTool, writeTool } from "../proxmox/Tool.js"
import { GuestNode, SnapshotName, Vmid } from "./fields.js"
import { duration, iso, utcMinute } from "./format.js"

/**
 * A shared field with this tool's own description: fields whose JSON Schema is given by an annotation carry the
 * description in it too, so both are replaced.
 */
export const described = <A, I>(schema: Schema.Schema<A, I>, description: string): Schema.Schema<A, I> => {
  const json = SchemaAST.getJSONSchemaAnnotation(schema.ast)
  return schema.annotations({
    description,
    ...(Option.isSome(json) ? { jsonSchema: { ...(json.value as object), description } } : {})
  })
}

/** The current time in epoch seconds. */
export const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

const GuestAddress = { vmid: Vmid, node: Schema.optional(GuestNode) }

/** What finding a guest by vmid (and optional node) reads. */
const resolveEndpoints = [clusterResourcesEndpoint, ...Object.values(guestStatusEndpoints)]

const ResolvedGuest = { vmid: Schema.Number, node: Schema.String, type: GuestType }

const Snapshot = Schema.Struct({
  name: Schema.String,
  parent: Schema.optional(Schema.String),
  depth: Schema.Number.annotations({ description: "Depth in the snapshot tree (0: a root)" }),
  time: Schema.optional(Schema.String.annotations({ description: "When it was taken (ISO 8601, UTC)" })),
  ageSeconds: Schema.optional(Schema.Number),
  description: Schema.String,
  vmstate: Schema.Boolean.annotations({ description: "It holds the VM's RAM: a rollback resumes it running" })
})
type Snapshot = typeof Snapshot.Type

const snapshotView = (s: SnapshotInTree, now: number): Snapshot => ({
  name: s.name,
  ...(s.parent === undefined ? {} : { parent: s.parent }),
  depth: s.depth,
  ...(s.snaptime === undefined ? {} : { time: iso(s.snaptime), ageSeconds: Math.max(0, now - s.snaptime) }),
  description: s.description,
  vmstate: s.vmstate
})

const snapshotLine = (s: Snapshot, current: string | undefined) =>
  `${"  ".repeat(s.depth)}${s.name}${s.time ? `  ${utcMinute(s.time)} (${duration(s.ageSeconds ?? 0)} ago)` : ""}${s.vmstate ? "  [RAM]" : ""}${s.description ? `  "${s.description.split("\n")[0]}"` : ""}${s.name === current ? "  ← current state" : ""}`

const readSnapshots = (guest: GuestRef) =>
  Effect.gen(function* () {
    const tree = yield* listSnapshots(guest)
    const now = yield* nowSeconds
    return {
      snapshots: tree.snapshots.map((s) => snapshotView(s, now)),
      ...(tree.currentParent === undefined ? {} : { current: tree.currentParent })
    }
  })

const SnapshotList = {
  snapshots: Schema.Array(Snapshot),
  current: Schema.optional(
    Schema.String.annotations({ description: "The snapshot the guest's current state descends from" })
  )
}

export const pveListSnapshots = readTool({
  name: "pve_list_snapshots",
  title: "List snapshots",
  description:
    "A guest's snapshots in tree order with parent, time, description, vmstate; current: the present state's parent.",
  toolset: "snapshots",
  input: Schema.Struct(GuestAddress),
  output: Schema.Struct({ ...ResolvedGuest, ...SnapshotList }),
  endpoints: [...resolveEndpoints, ...Object.values(snapshotEndpoints.list)],
  handler: ({ vmid, node }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      const list = yield* readSnapshots(guest)
      return { vmid: guest.vmid, node: guest.node, type: guest.type, ...list }
    }),
  render: ({ vmid, node, type, snapshots, current }) =>
    snapshots.length === 0
      ? `${type} ${vmid} on ${node}: no snapshots`
      : [
          `${type} ${vmid} on ${node}: ${snapshots.length} snapshot${snapshots.length === 1 ? "" : "s"}`,
          ...snapshots.map((s) => snapshotLine(s, current)),
          ...(current === undefined ? ["current state: not from a snapshot"] : [])
        ].join("\n")
})

/** The snapshot must exist: otherwise a clear refusal naming the ones that do, before anything is sent. */
const requireSnapshot = (guest: GuestRef, name: string) =>
  Effect.gen(function* () {
    const tree = yield* listSnapshots(guest)
    const found = tree.snapshots.find((s) => s.name === name)
    if (found === undefined) {
      const existing = tree.snapshots.map((s) => s.name)
      return yield* new InvalidInput({
        field: "name",
        message: `${guest.type} ${guest.vmid} has no snapshot "${name}"; ${existing.length === 0 ? "it has no snapshots at all" : `its snapshots are: ${existing.join(", ")}`}`
      })
    }
    return found
  })

const TaskResult = {
  upid: Schema.String,
  exitStatus: Schema.String
}

export const pveSnapshotCreate = writeTool({
  name: "pve_snapshot_create",
  title: "Take a snapshot",
  description: "Takes a snapshot of a guest; vmstate also saves a running VM's RAM.",
  toolset: "snapshots",
  input: Schema.Struct({
    ...GuestAddress,
    name: described(SnapshotName, "Letter, then letters, digits, - _; e.g. pre-upgrade"),
    description: Schema.optional(
      Schema.String.pipe(Schema.maxLength(8192)).annotations({ description: "What the snapshot is for" })
    ),
    vmstate: Schema.optional(
      Schema.Boolean.annotations({
        description: "VMs: also save the running VM's RAM"
      })
    )
  }),
  output: Schema.Struct({ ...ResolvedGuest, snapshot: Snapshot, ...TaskResult }),
  endpoints: [
    ...resolveEndpoints,
    ...Object.values(snapshotEndpoints.list),
    ...Object.values(snapshotEndpoints.create)
  ],
  plan: ({ vmid, node, name, description, vmstate }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      if (vmstate === true && guest.type === "lxc") {
        return yield* new InvalidInput({
          field: "vmstate",
          message: `CT ${vmid} is a container: containers have no RAM state to save; leave vmstate out`
        })
      }
      if (name === "current") {
        return yield* new InvalidInput({ field: "name", message: `"current" is reserved by PVE; choose another name` })
      }
      const tree = yield* listSnapshots(guest)
      if (tree.snapshots.some((s) => s.name === name)) {
        return yield* new InvalidInput({
          field: "name",
          message: `${guest.type} ${vmid} already has a snapshot "${name}"; choose another name`
        })
      }
      const step = yield* planStep(
        snapshotEndpoints.create[guest.type],
        { node: guest.node, vmid: guest.vmid },
        { snapname: name, description, vmstate: vmstate === true ? 1 : undefined }
      )
      return plan([step], (done) =>
        Effect.gen(function* () {
          const list = yield* readSnapshots(guest)
          const snapshot = list.snapshots.find((s) => s.name === name)
          if (snapshot === undefined) {
            return yield* new InvalidInput({
              field: "name",
              message: `snapshot "${name}" is not listed after the task`
            })
          }
          const task = done[0]!.task!
          return {
            vmid: guest.vmid,
            node: guest.node,
            type: guest.type,
            snapshot,
            upid: task.upid,
            exitStatus: task.exitStatus
          }
        })
      )
    }),
  render: ({ vmid, node, type, snapshot, exitStatus }) =>
    `snapshot "${snapshot.name}" of ${type} ${vmid} on ${node}: ${exitStatus}${snapshot.vmstate ? ", with RAM" : ""}${snapshot.parent ? `, child of ${snapshot.parent}` : ""}`
})

const byName = <I extends { readonly name: string }>(): ConfirmTarget<I> => ({
  echo: "name",
  what: "snapshot name",
  of: (input) => input.name
})

export const pveSnapshotRollback = destructiveTool({
  name: "pve_snapshot_rollback",
  title: "Roll back to a snapshot",
  description:
    "Puts a guest back to a snapshot: changes since are lost. With RAM it resumes running, else it stays stopped unless start.",
  toolset: "snapshots",
  input: Schema.Struct({
    ...GuestAddress,
    name: SnapshotName,
    start: Schema.optional(Schema.Boolean.annotations({ description: "Start it after the rollback" }))
  }),
  output: Schema.Struct({
    ...ResolvedGuest,
    snapshot: Schema.String,
    ...TaskResult,
    statusAfter: Schema.String,
    running: Schema.Boolean
  }),
  endpoints: [
    ...resolveEndpoints,
    ...Object.values(snapshotEndpoints.list),
    ...Object.values(snapshotEndpoints.rollback)
  ],
  confirmTarget: byName(),
  plan: ({ vmid, node, name, start }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      yield* requireSnapshot(guest, name)
      const step = yield* planStep(
        snapshotEndpoints.rollback[guest.type],
        { node: guest.node, vmid: guest.vmid, snapname: name },
        { start: start === true ? 1 : undefined }
      )
      return plan([step], (done) =>
        Effect.gen(function* () {
          const after = yield* getGuestStatus(guest)
          const task = done[0]!.task!
          return {
            vmid: guest.vmid,
            node: guest.node,
            type: guest.type,
            snapshot: name,
            upid: task.upid,
            exitStatus: task.exitStatus,
            statusAfter: after.status,
            running: after.status === "running"
          }
        })
      )
    }),
  render: ({ vmid, node, type, snapshot, exitStatus, running, statusAfter }) =>
    `rolled ${type} ${vmid} on ${node} back to "${snapshot}": ${exitStatus}; the guest is ${running ? "running" : `${statusAfter} (start it with pve_guest_start, or roll back with start: true)`}`
})

export const pveSnapshotDelete = destructiveTool({
  name: "pve_snapshot_delete",
  title: "Delete a snapshot",
  description: "Deletes one snapshot of a guest; its children move to its parent, the current state is kept.",
  toolset: "snapshots",
  input: Schema.Struct({
    ...GuestAddress,
    name: SnapshotName,
    force: Schema.optional(
      Schema.Boolean.annotations({
        description: "Drop it from the config even if a disk snapshot fails"
      })
    )
  }),
  output: Schema.Struct({
    ...ResolvedGuest,
    deleted: Schema.String,
    ...TaskResult,
    remaining: Schema.Array(Schema.String)
  }),
  endpoints: [
    ...resolveEndpoints,
    ...Object.values(snapshotEndpoints.list),
    ...Object.values(snapshotEndpoints.remove)
  ],
  confirmTarget: byName(),
  plan: ({ vmid, node, name, force }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      yield* requireSnapshot(guest, name)
      const step = yield* planStep(
        snapshotEndpoints.remove[guest.type],
        { node: guest.node, vmid: guest.vmid, snapname: name },
        { force: force === true ? 1 : undefined }
      )
      return plan([step], (done) =>
        Effect.gen(function* () {
          const tree = yield* listSnapshots(guest)
          const task = done[0]!.task!
          return {
            vmid: guest.vmid,
            node: guest.node,
            type: guest.type,
            deleted: name,
            upid: task.upid,
            exitStatus: task.exitStatus,
            remaining: tree.snapshots.map((s) => s.name)
          }
        })
      )
    }),
  render: ({ vmid, node, type, deleted, exitStatus, remaining }) =>
    `deleted snapshot "${deleted}" of ${type} ${vmid} on ${node}: ${exitStatus}; ${remaining.length === 0 ? "no snapshots left" : `left: ${remaining.join(", ")}`}`
})

export const snapshotTools: ReadonlyArray<AnyTool> = [
  pveListSnapshots,
  pveSnapshotCreate,
  pveSnapshotRollback,
  pveSnapshotDelete
]
