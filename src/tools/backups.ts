import type { FastCheck } from "effect"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import {
  archiveGuestType,
  type Backup,
  type BackupJob,
  backupJobsEndpoint,
  createBackupJobEndpoint,
  listAllBackups,
  listBackupJobs,
  listBackupStores,
  restoreEndpoints,
  retentionOf,
  storageContentEndpoint,
  updateBackupJobEndpoint,
  vzdumpEndpoint
} from "../proxmox/backups.js"
import { calendarEventProblem } from "../proxmox/CalendarEvent.js"
import { clusterResourcesEndpoint, getNextVmid, nextVmidEndpoint } from "../proxmox/cluster.js"
import { call } from "../proxmox/Endpoint.js"
import { InvalidInput, PveNotFound } from "../proxmox/errors.js"
import { GuestType, getGuestStatus, guestStatusEndpoints, listGuests } from "../proxmox/guests.js"
import { segmentFormats } from "../proxmox/Path.js"
import { plan, planStep, type StepDone } from "../proxmox/Plan.js"
import type { Params } from "../proxmox/ProxmoxClient.js"
import { getTaskLogTail } from "../proxmox/Tasks.js"
import { type AnyTool, destructiveTool, readTool, writeTool } from "../proxmox/Tool.js"
import { parseUpid } from "../proxmox/Upid.js"
import { NoArguments, Node, Vmid, VmidItem } from "./fields.js"
import { bytes, duration, iso, utc, utcMinute } from "./format.js"
import { pageLimit } from "./paging.js"
import { described, nowSeconds } from "./snapshots.js"

// Valid values for property tests (the volume format's lookaheads are beyond fast-check's stringMatching).
const valuesOf: Record<"storage" | "volume" | "poolid", (fc: typeof FastCheck) => FastCheck.Arbitrary<string>> = {
  storage: (fc) => fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
  poolid: (fc) => fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  volume: (fc) =>
    fc
      .record({ vmid: fc.integer({ min: 100, max: 999_999 }), lxc: fc.boolean() })
      .map(({ vmid, lxc }) =>
        lxc
          ? `nfs-shared:backup/vzdump-lxc-${vmid}-2026_01_01-00_00_00.tar.zst`
          : `nfs-shared:backup/vzdump-qemu-${vmid}-2026_01_01-00_00_00.vma.zst`
      )
}

/** A string checked with one of the path segment formats (it may end up in a path or a parameter PVE checks). */
const formatted = (name: "storage" | "volume" | "poolid", description: string) =>
  Schema.String.pipe(
    Schema.filter((v) => segmentFormats[name].check(v) || `expected ${segmentFormats[name].describe}`, {
      jsonSchema: { ...segmentFormats[name].jsonSchema, description },
      description,
      arbitrary: () => (fc) => valuesOf[name](fc)
    })
  )

const StorageId = formatted("storage", "Storage id as listed by PVE, e.g. nfs-shared or local")
const ArchiveId = formatted("volume", "Volume id from pve_list_backups, e.g. nfs:backup/vzdump-qemu-100-….vma.zst")
const PoolId = formatted("poolid", "A resource pool: every guest in it")

const Limit = (max: number, fallback: number) =>
  pageLimit(max, `How many to return (default ${fallback}, at most ${max})`)
const Cursor = Schema.String.pipe(Schema.maxLength(512)).annotations({
  description: "nextCursor of the previous page, to read the next one"
})

/** An opaque cursor: the position key of the last entry of a page, base64url JSON. */
const encodeCursor = (key: ReadonlyArray<string | number>): string =>
  Buffer.from(JSON.stringify(key), "utf8").toString("base64url")

const decodeCursor = (cursor: string) =>
  Effect.try({
    try: () => {
      const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown
      if (!Array.isArray(key)) throw new Error("not a key")
      return key as ReadonlyArray<string | number>
    },
    catch: () =>
      new InvalidInput({ field: "cursor", message: "cursor is not one this tool gave; pass nextCursor unchanged" })
  })

const Compression = Schema.Literal("zstd", "lzo", "gzip", "none").annotations({
  description: "Default zstd"
})
const compressParam = (c: typeof Compression.Type | undefined) => (c === undefined ? undefined : c === "none" ? "0" : c)
const compressionOf = (compress: string | undefined) =>
  compress === undefined ? undefined : compress === "0" ? "none" : compress === "1" ? "lzo" : compress

const BackupMode = Schema.Literal("snapshot", "suspend", "stop").annotations({
  description: "Default snapshot (live); stop: shut down meanwhile"
})

/** PVE's notes-template is one line: a newline and a backslash are written as \n and \\. */
const notesTemplate = (notes: string) => notes.replace(/\\/g, "\\\\").replace(/\r?\n/g, "\\n")

const label = (type: string | undefined, vmid: number | undefined) =>
  `${type === "lxc" ? "CT" : type === "qemu" ? "VM" : "guest"} ${vmid ?? "?"}`

// ---------------------------------------------------------------------------------------------------------------
// pve_list_backups

const BackupRow = Schema.Struct({
  volid: Schema.String,
  storage: Schema.String,
  node: Schema.optional(Schema.String.annotations({ description: "The node of a local storage (shared: absent)" })),
  vmid: Schema.optional(Schema.Number),
  type: Schema.optional(GuestType),
  time: Schema.optional(Schema.String.annotations({ description: "When it was made (ISO 8601, UTC)" })),
  ageSeconds: Schema.optional(Schema.Number),
  size: Schema.Number.annotations({ description: "Bytes" }),
  notes: Schema.optional(Schema.String),
  protected: Schema.Boolean,
  verification: Schema.optional(
    Schema.String.annotations({ description: "PBS only: the last verification's state (ok, failed, none)" })
  ),
  encrypted: Schema.optional(Schema.Boolean)
})
type BackupRow = typeof BackupRow.Type

const rowOf = (b: Backup, now: number): BackupRow => ({
  volid: b.volid,
  storage: b.storage,
  ...(b.node === undefined ? {} : { node: b.node }),
  ...(b.vmid === undefined ? {} : { vmid: b.vmid }),
  ...(b.guestType === undefined ? {} : { type: b.guestType }),
  ...(b.ctime === undefined ? {} : { time: iso(b.ctime), ageSeconds: Math.max(0, now - b.ctime) }),
  size: b.size,
  ...(b.notes === undefined ? {} : { notes: b.notes.split("\n")[0]! }),
  protected: b.protected,
  ...(b.verification === undefined ? {} : { verification: b.verification }),
  ...(b.encrypted ? { encrypted: true } : {})
})

const backupKey = (b: {
  readonly ctime?: number | undefined
  readonly volid: string
  readonly node?: string | undefined
}) => [b.ctime ?? 0, b.volid, b.node ?? ""] as const

/** Whether `b` comes after the position `key` in newest-first order. */
const isAfter = (b: Backup, key: ReadonlyArray<string | number>) => {
  const [ctime, volid, node] = [Number(key[0]), String(key[1] ?? ""), String(key[2] ?? "")]
  const own = backupKey(b)
  if (own[0] !== ctime) return own[0] < ctime
  if (own[1] !== volid) return own[1] > volid
  return own[2] > node
}

const rowLine = (r: BackupRow) =>
  `${r.time ? `${utcMinute(r.time)} (${duration(r.ageSeconds ?? 0)} ago)` : "time unknown"}  ${label(r.type, r.vmid)}  ${bytes(r.size)}  ${r.volid}${r.node ? ` on ${r.node}` : ""}${r.protected ? "  [protected]" : ""}${r.verification ? `  verify: ${r.verification}` : ""}${r.notes ? `  "${r.notes}"` : ""}`

const Unreadable = Schema.Struct({ storage: Schema.String, node: Schema.String, error: Schema.String })

export const pveListBackups = readTool({
  name: "pve_list_backups",
  title: "List backups",
  description:
    "Backup archives on every backup storage, newest first: guest, time, size, notes, protection, verification.",
  toolset: "backup",
  input: Schema.Struct({
    vmid: Schema.optional(described(Vmid, "Only the backups of this guest")),
    storage: Schema.optional(described(StorageId, "Only the backups on this storage")),
    limit: Schema.optional(Limit(200, 50)),
    cursor: Schema.optional(Cursor)
  }),
  output: Schema.Struct({
    backups: Schema.Array(BackupRow),
    count: Schema.Number,
    total: Schema.Number.annotations({ description: "How many backups match, on all pages" }),
    totalBytes: Schema.Number.annotations({ description: "The size of all matching backups together" }),
    nextCursor: Schema.optional(Schema.String.annotations({ description: "Pass as cursor for the next page" })),
    unreadable: Schema.optional(Schema.Array(Unreadable))
  }),
  endpoints: [clusterResourcesEndpoint, storageContentEndpoint],
  handler: ({ vmid, storage, limit, cursor }) =>
    Effect.gen(function* () {
      const after = cursor === undefined ? undefined : yield* decodeCursor(cursor)
      const all = yield* listAllBackups(vmid, storage)
      const matching = all.backups
      const rest = after === undefined ? matching : matching.filter((b) => isAfter(b, after))
      const page = rest.slice(0, limit ?? 50)
      const now = yield* nowSeconds
      const last = page.at(-1)
      return {
        backups: page.map((b) => rowOf(b, now)),
        count: page.length,
        total: matching.length,
        totalBytes: matching.reduce((sum, b) => sum + b.size, 0),
        ...(last !== undefined && rest.length > page.length ? { nextCursor: encodeCursor(backupKey(last)) } : {}),
        ...(all.unreadable.length === 0 ? {} : { unreadable: all.unreadable })
      }
    }),
  render: ({ backups, count, total, totalBytes, nextCursor, unreadable }) =>
    [
      total === 0 ? "no backups match" : `${count} of ${total} backups (${bytes(totalBytes)} in all), newest first:`,
      ...backups.map(rowLine),
      ...(nextCursor === undefined ? [] : [`more: call again with cursor "${nextCursor}"`]),
      ...(unreadable ?? []).map((u) => `could not read ${u.storage} on ${u.node}: ${u.error}`)
    ].join("\n")
})

// ---------------------------------------------------------------------------------------------------------------
// pve_last_backup

const LastBackup = Schema.Struct({
  vmid: Schema.Number,
  name: Schema.optional(Schema.String),
  type: GuestType,
  node: Schema.String,
  backups: Schema.Number.annotations({ description: "How many backups of it exist" }),
  last: Schema.optional(BackupRow)
})

export const pveLastBackup = readTool({
  name: "pve_last_backup",
  title: "Last backup per guest",
  description: "Each guest's newest backup (when, where, size) and backup count, or that it has none.",
  toolset: "backup",
  input: Schema.Struct({
    vmid: Schema.optional(described(Vmid, "Only this guest")),
    missingOnly: Schema.optional(Schema.Boolean.annotations({ description: "Only guests that have no backup at all" })),
    limit: Schema.optional(Limit(200, 100)),
    cursor: Schema.optional(Cursor)
  }),
  output: Schema.Struct({
    guests: Schema.Array(LastBackup),
    count: Schema.Number,
    total: Schema.Number.annotations({ description: "Guests that match, on all pages" }),
    withBackup: Schema.Number,
    withoutBackup: Schema.Number,
    nextCursor: Schema.optional(Schema.String),
    unreadable: Schema.optional(Schema.Array(Unreadable))
  }),
  endpoints: [clusterResourcesEndpoint, storageContentEndpoint],
  handler: ({ vmid, missingOnly, limit, cursor }) =>
    Effect.gen(function* () {
      const after = cursor === undefined ? undefined : Number((yield* decodeCursor(cursor))[0])
      const guests = (yield* listGuests()).filter((g) => vmid === undefined || g.vmid === vmid)
      if (vmid !== undefined && guests.length === 0) {
        return yield* new PveNotFound({
          message: `no VM or container ${vmid} in the cluster; archives of a removed guest are listed by pve_list_backups with vmid ${vmid}`
        })
      }
      const all = yield* listAllBackups(vmid)
      const byVmid = new Map<number, Backup[]>()
      for (const b of all.backups) if (b.vmid !== undefined) byVmid.set(b.vmid, [...(byVmid.get(b.vmid) ?? []), b])
      const now = yield* nowSeconds
      const rows = guests.map((g) => {
        const backups = byVmid.get(g.vmid) ?? []
        return {
          vmid: g.vmid,
          ...(g.name === undefined ? {} : { name: g.name }),
          type: g.type,
          node: g.node,
          backups: backups.length,
          // the list is newest first
          ...(backups[0] === undefined ? {} : { last: rowOf(backups[0], now) })
        }
      })
      const withBackup = rows.filter((r) => r.backups > 0).length
      const matching = rows.filter((r) => missingOnly !== true || r.backups === 0)
      const rest = after === undefined ? matching : matching.filter((r) => r.vmid > after)
      const page = rest.slice(0, limit ?? 100)
      const last = page.at(-1)
      return {
        guests: page,
        count: page.length,
        total: matching.length,
        withBackup,
        withoutBackup: rows.length - withBackup,
        ...(last !== undefined && rest.length > page.length ? { nextCursor: encodeCursor([last.vmid]) } : {}),
        ...(all.unreadable.length === 0 ? {} : { unreadable: all.unreadable })
      }
    }),
  render: ({ guests, count, total, withBackup, withoutBackup, nextCursor, unreadable }) =>
    [
      `${withBackup} guest${withBackup === 1 ? "" : "s"} backed up, ${withoutBackup} without any backup; showing ${count} of ${total}:`,
      ...guests.map((g) =>
        g.last === undefined
          ? `${label(g.type, g.vmid)}${g.name ? ` (${g.name})` : ""} on ${g.node}: NO BACKUP`
          : `${label(g.type, g.vmid)}${g.name ? ` (${g.name})` : ""} on ${g.node}: last ${g.last.time ? `${utcMinute(g.last.time)}, ${duration(g.last.ageSeconds ?? 0)} ago` : "at an unknown time"}, ${bytes(g.last.size)} on ${g.last.storage}${g.last.node ? ` (${g.last.node})` : ""}${g.last.verification ? `, verify: ${g.last.verification}` : ""}; ${g.backups} backup${g.backups === 1 ? "" : "s"}`
      ),
      ...(nextCursor === undefined ? [] : [`more: call again with cursor "${nextCursor}"`]),
      ...(unreadable ?? []).map((u) => `could not read ${u.storage} on ${u.node}: ${u.error}`)
    ].join("\n")
})

// ---------------------------------------------------------------------------------------------------------------
// pve_backup_create

const BackupStepResult = Schema.Struct({
  node: Schema.String,
  vmids: Schema.Array(Schema.Number),
  upid: Schema.String,
  exitStatus: Schema.String,
  logTail: Schema.Array(Schema.String)
})

const NewArchive = Schema.Struct({
  vmid: Schema.Number,
  volid: Schema.String,
  storage: Schema.String,
  size: Schema.Number,
  time: Schema.optional(Schema.String),
  notes: Schema.optional(Schema.String),
  protected: Schema.Boolean
})

export const pveBackupCreate = writeTool({
  name: "pve_backup_create",
  title: "Back up guests now",
  description:
    "Backs up guests now, one vzdump task per node; reports the new archives. storage must take backups on every node involved.",
  toolset: "backup",
  input: Schema.Struct({
    vmids: Schema.Array(VmidItem).pipe(Schema.minItems(1), Schema.maxItems(100)).annotations({
      description: "e.g. [100, 105]"
    }),
    storage: Schema.optional(described(StorageId, "Default: the node's vzdump default")),
    mode: Schema.optional(BackupMode),
    compression: Schema.optional(Compression),
    notes: Schema.optional(
      Schema.String.pipe(Schema.maxLength(1000)).annotations({
        description: "Archive notes; {{guestname}}, {{vmid}} filled in (needs storage)"
      })
    ),
    protected: Schema.optional(
      Schema.Boolean.annotations({ description: "Protect from pruning and deletion (needs storage)" })
    )
  }),
  output: Schema.Struct({
    steps: Schema.Array(BackupStepResult),
    archives: Schema.Array(NewArchive),
    withoutArchive: Schema.Array(Schema.Number)
  }),
  endpoints: [clusterResourcesEndpoint, storageContentEndpoint, vzdumpEndpoint],
  plan: (input) =>
    Effect.gen(function* () {
      const vmids = [...new Set(input.vmids)]
      if ((input.notes !== undefined || input.protected !== undefined) && input.storage === undefined) {
        return yield* new InvalidInput({ field: "storage", message: "notes and protected need storage: name it" })
      }
      const guests = yield* listGuests()
      const missing = vmids.filter((v) => !guests.some((g) => g.vmid === v))
      if (missing.length > 0) {
        return yield* new PveNotFound({ message: `no VM or container ${missing.join(", ")} in the cluster` })
      }
      const byNode = new Map<string, number[]>()
      for (const vmid of vmids) {
        const node = guests.find((g) => g.vmid === vmid)!.node
        byNode.set(node, [...(byNode.get(node) ?? []), vmid])
      }
      if (input.storage !== undefined) {
        const stores = (yield* listBackupStores).filter((s) => s.storage === input.storage)
        for (const node of byNode.keys()) {
          if (!stores.some((s) => s.nodes.includes(node))) {
            return yield* new InvalidInput({
              field: "storage",
              message: `storage ${input.storage} does not hold backups on node ${node} (guests ${byNode.get(node)!.join(", ")}); choose a storage with backup content there`
            })
          }
        }
      }
      const nodes = [...byNode.keys()].sort()
      const steps = yield* Effect.forEach(nodes, (node) =>
        planStep(vzdumpEndpoint, { node }, {
          vmid: byNode.get(node)!.join(","),
          storage: input.storage,
          mode: input.mode,
          compress: compressParam(input.compression ?? "zstd"),
          "notes-template": input.notes === undefined ? undefined : notesTemplate(input.notes),
          protected: input.protected === true ? 1 : undefined
        } satisfies Params)
      )
      return plan(steps, (done) => backupFinish(done, nodes, byNode, input.storage))
    }),
  render: ({ steps, archives, withoutArchive }) =>
    [
      ...steps.map(
        (s) =>
          `vzdump on ${s.node} of ${s.vmids.join(", ")}: ${s.exitStatus}${s.logTail.length ? `\n  ${s.logTail.slice(-4).join("\n  ")}` : ""}`
      ),
      ...archives.map(
        (a) =>
          `${a.vmid}: ${a.volid} ${bytes(a.size)}${a.protected ? " [protected]" : ""}${a.notes ? ` "${a.notes}"` : ""}`
      ),
      ...(withoutArchive.length === 0 ? [] : [`no new archive found for ${withoutArchive.join(", ")}`])
    ].join("\n")
})

const backupFinish = (
  done: ReadonlyArray<StepDone>,
  nodes: ReadonlyArray<string>,
  byNode: ReadonlyMap<string, ReadonlyArray<number>>,
  storage: string | undefined
) =>
  Effect.gen(function* () {
    const steps = yield* Effect.forEach(done, (step, index) =>
      Effect.gen(function* () {
        const task = step.task!
        const logTail = yield* getTaskLogTail(task.upid, 8).pipe(Effect.orElseSucceed(() => [] as string[]))
        const node = nodes[index]!
        return { node, vmids: [...byNode.get(node)!], upid: task.upid, exitStatus: task.exitStatus, logTail }
      })
    )
    // the archives made by these tasks: per guest the newest one written since its task started
    const startedAt = new Map<number, number>()
    for (const step of steps) {
      const started = parseUpid(step.upid)?.starttime ?? 0
      for (const vmid of step.vmids) startedAt.set(vmid, started)
    }
    const all = yield* listAllBackups()
    const archives = [...startedAt.entries()].flatMap(([vmid, started]) => {
      const made = all.backups.find(
        (b) => b.vmid === vmid && (b.ctime ?? 0) >= started && (storage === undefined || b.storage === storage)
      )
      return made === undefined
        ? []
        : [
            {
              vmid,
              volid: made.volid,
              storage: made.storage,
              size: made.size,
              ...(made.ctime === undefined ? {} : { time: iso(made.ctime) }),
              ...(made.notes === undefined ? {} : { notes: made.notes }),
              protected: made.protected
            }
          ]
    })
    return {
      steps,
      archives,
      withoutArchive: [...startedAt.keys()].filter((v) => !archives.some((a) => a.vmid === v))
    }
  })

// ---------------------------------------------------------------------------------------------------------------
// pve_backup_restore

export const pveBackupRestore = destructiveTool({
  name: "pve_backup_restore",
  title: "Restore a backup",
  description:
    "Restores a backup archive as a guest: new vmid, or over a stopped guest with force (replaces its disks and config).",
  toolset: "backup",
  input: Schema.Struct({
    archive: ArchiveId,
    vmid: Schema.optional(described(Vmid, "The vmid to restore to (default: the next free vmid)")),
    node: Schema.optional(
      described(Node, "Node to restore on (default: the existing guest's node, else a node that sees the archive)")
    ),
    storage: Schema.optional(described(StorageId, "For the disks (default: as backed up)")),
    force: Schema.optional(Schema.Boolean.annotations({ description: "Overwrite the stopped guest with this vmid" }))
  }),
  output: Schema.Struct({
    vmid: Schema.Number,
    node: Schema.String,
    type: GuestType,
    archive: Schema.String,
    overwritten: Schema.Boolean.annotations({ description: "An existing guest was replaced" }),
    upid: Schema.String,
    exitStatus: Schema.String,
    statusAfter: Schema.String
  }),
  endpoints: [
    clusterResourcesEndpoint,
    storageContentEndpoint,
    nextVmidEndpoint,
    ...Object.values(restoreEndpoints),
    ...Object.values(guestStatusEndpoints)
  ],
  confirmTarget: { echo: "name", what: "backup archive (volume id)", of: (input) => input.archive },
  plan: ({ archive, vmid, node, storage, force }) =>
    Effect.gen(function* () {
      const type = archiveGuestType(archive)
      if (type === undefined) {
        return yield* new InvalidInput({
          field: "archive",
          message: `${archive} is not a vzdump archive of a VM or container (vzdump-qemu-…, vzdump-lxc-…, or PBS backup/vm/… and backup/ct/…)`
        })
      }
      const storeId = archive.slice(0, archive.indexOf(":"))
      const stores = (yield* listBackupStores).filter((s) => s.storage === storeId)
      if (stores.length === 0) {
        return yield* new PveNotFound({
          message: `no storage ${storeId} holding backups on a node that is online; pve_list_backups lists the archives`
        })
      }
      const guests = yield* listGuests()
      const existing = vmid === undefined ? undefined : guests.find((g) => g.vmid === vmid)
      if (existing !== undefined) {
        if (force !== true) {
          return yield* new InvalidInput({
            field: "force",
            message: `${label(existing.type, existing.vmid)}${existing.name ? ` (${existing.name})` : ""} exists on ${existing.node}; restoring over it replaces its disks and configuration: pass force: true to overwrite it, or leave vmid out to restore to a new vmid`
          })
        }
        if (existing.status !== "stopped") {
          return yield* new InvalidInput({
            field: "vmid",
            message: `${label(existing.type, existing.vmid)} is ${existing.status}: a running guest cannot be restored over; shut it down first (pve_guest_shutdown)`
          })
        }
        if (existing.type !== type) {
          return yield* new InvalidInput({
            field: "archive",
            message: `${archive} is a ${type === "qemu" ? "VM" : "container"} backup, but ${vmid} is a ${existing.type === "qemu" ? "VM" : "container"}`
          })
        }
        if (node !== undefined && node !== existing.node) {
          return yield* new InvalidInput({
            field: "node",
            message: `${label(existing.type, existing.vmid)} is on ${existing.node}: restore over it there`
          })
        }
      }
      const archiveVmid = Number(
        /-(\d+)-|\/(\d+)\//
          .exec(archive.slice(archive.indexOf(":")))
          ?.slice(1)
          .find(Boolean)
      )
      const originalNode = guests.find((g) => g.vmid === archiveVmid)?.node
      const seeing = stores.flatMap((s) => s.nodes)
      const target =
        node ??
        existing?.node ??
        (originalNode !== undefined && seeing.includes(originalNode) ? originalNode : seeing[0]!)
      const store = stores.find((s) => s.nodes.includes(target))
      if (store === undefined) {
        return yield* new InvalidInput({
          field: "node",
          message: `node ${target} does not see storage ${storeId}; it is available on ${seeing.join(", ")}`
        })
      }
      const listed = yield* call(storageContentEndpoint, { node: target, storage: storeId }, { content: "backup" })
      if (!listed.some((v) => v.volid === archive)) {
        return yield* new PveNotFound({
          message: `no archive ${archive} on ${storeId} (seen from ${target}); pve_list_backups lists the archives`
        })
      }
      const newVmid = vmid ?? (yield* getNextVmid)
      const common = { vmid: newVmid, storage, force: existing === undefined ? undefined : 1 }
      const step = yield* planStep(
        restoreEndpoints[type],
        { node: target },
        type === "qemu" ? { ...common, archive } : { ...common, ostemplate: archive, restore: 1 }
      )
      return plan([step], (done) =>
        Effect.gen(function* () {
          const task = done[0]!.task!
          const after = yield* getGuestStatus({ vmid: newVmid, node: target, type, name: undefined })
          return {
            vmid: newVmid,
            node: target,
            type,
            archive,
            overwritten: existing !== undefined,
            upid: task.upid,
            exitStatus: task.exitStatus,
            statusAfter: after.status
          }
        })
      )
    }),
  render: ({ vmid, node, type, archive, overwritten, exitStatus, statusAfter }) =>
    `restored ${archive} as ${label(type, vmid)} on ${node}${overwritten ? " (over the existing guest)" : ""}: ${exitStatus}; now ${statusAfter}`
})

// ---------------------------------------------------------------------------------------------------------------
// pve_list_backup_jobs

// the bound is checked; Effect's default sentence for it would only lengthen tools/list
const Count = Schema.Int.pipe(Schema.between(0, 10_000)).annotations({ jsonSchema: { type: "integer" } })

const Retention = Schema.Struct({
  keepLast: Schema.optional(Count),
  keepHourly: Schema.optional(Count),
  keepDaily: Schema.optional(Count),
  keepWeekly: Schema.optional(Count),
  keepMonthly: Schema.optional(Count),
  keepYearly: Schema.optional(Count)
}).annotations({
  description: "Backups to keep, e.g. {keepDaily: 7}; default: the storage's"
})
type Retention = typeof Retention.Type

const retentionKeys: ReadonlyArray<readonly [keyof Retention, string]> = [
  ["keepLast", "keep-last"],
  ["keepHourly", "keep-hourly"],
  ["keepDaily", "keep-daily"],
  ["keepWeekly", "keep-weekly"],
  ["keepMonthly", "keep-monthly"],
  ["keepYearly", "keep-yearly"]
]

const JobView = Schema.Struct({
  id: Schema.String,
  enabled: Schema.Boolean,
  schedule: Schema.optional(Schema.String),
  nextRun: Schema.optional(Schema.String.annotations({ description: "When it runs next (ISO 8601, UTC)" })),
  nextRunInSeconds: Schema.optional(Schema.Number),
  selection: Schema.String.annotations({ description: "Which guests, in words" }),
  vmids: Schema.optional(Schema.Array(Schema.Number)),
  all: Schema.optional(Schema.Boolean),
  pool: Schema.optional(Schema.String),
  exclude: Schema.optional(Schema.Array(Schema.Number)),
  node: Schema.optional(Schema.String),
  storage: Schema.optional(Schema.String),
  mode: Schema.optional(Schema.String),
  compression: Schema.optional(Schema.String),
  retention: Schema.Record({ key: Schema.String, value: Schema.Number }),
  notes: Schema.optional(Schema.String),
  comment: Schema.optional(Schema.String)
})
type JobView = typeof JobView.Type

const vmidList = (text: string | undefined) =>
  (text ?? "")
    .split(/[,;\s]+/)
    .filter((v) => v !== "")
    .map(Number)

const jobView = (job: BackupJob, now: number): JobView => {
  const vmids = vmidList(job.vmid)
  const exclude = vmidList(job.exclude)
  const selection =
    job.all === true
      ? `all guests${exclude.length ? ` except ${exclude.join(", ")}` : ""}`
      : job.pool !== undefined
        ? `pool ${job.pool}`
        : vmids.length > 0
          ? `guests ${vmids.join(", ")}`
          : "no guests"
  const schedule =
    job.schedule ?? (job.starttime === undefined ? undefined : `${job.dow ?? ""} ${job.starttime}`.trim())
  const compression = compressionOf(job.compress)
  return {
    id: job.id,
    enabled: job.enabled ?? true,
    ...(schedule === undefined ? {} : { schedule }),
    ...(job["next-run"] === undefined
      ? {}
      : { nextRun: iso(job["next-run"]), nextRunInSeconds: Math.max(0, job["next-run"] - now) }),
    selection: `${selection}${job.node ? ` on ${job.node}` : ""}`,
    ...(vmids.length === 0 ? {} : { vmids }),
    ...(job.all === true ? { all: true } : {}),
    ...(job.pool === undefined ? {} : { pool: job.pool }),
    ...(exclude.length === 0 ? {} : { exclude }),
    ...(job.node === undefined ? {} : { node: job.node }),
    ...(job.storage === undefined ? {} : { storage: job.storage }),
    ...(job.mode === undefined ? {} : { mode: job.mode }),
    ...(compression === undefined ? {} : { compression }),
    retention: { ...retentionOf(job["prune-backups"]) },
    ...(job["notes-template"] === undefined ? {} : { notes: job["notes-template"] }),
    ...(job.comment === undefined ? {} : { comment: job.comment })
  }
}

const retentionText = (retention: Readonly<Record<string, number>>) => {
  const parts = Object.entries(retention).map(([k, v]) => `${k.replace("keep-", "")} ${v}`)
  return parts.length === 0 ? "storage's retention" : `keep ${parts.join(", ")}`
}

const jobLine = (j: JobView) =>
  `${j.id}: ${j.enabled ? "enabled" : "DISABLED"}, ${j.schedule ?? "no schedule"}${j.nextRun ? ` (next ${utc(Date.parse(j.nextRun) / 1000)}, in ${duration(j.nextRunInSeconds ?? 0)})` : ""}; ${j.selection} → ${j.storage ?? "default storage"}, ${j.mode ?? "snapshot"}, ${j.compression ?? "no compression"}, ${retentionText(j.retention)}${j.comment ? `; "${j.comment}"` : ""}`

export const pveListBackupJobs = readTool({
  name: "pve_list_backup_jobs",
  title: "List backup jobs",
  description: "The cluster's scheduled backup jobs: schedule, next run, guests, storage, mode, retention, enabled.",
  toolset: "backup",
  input: NoArguments,
  output: Schema.Struct({ jobs: Schema.Array(JobView), count: Schema.Number }),
  endpoints: [backupJobsEndpoint],
  handler: () =>
    Effect.gen(function* () {
      const jobs = yield* listBackupJobs
      const now = yield* nowSeconds
      return { jobs: jobs.map((j) => jobView(j, now)), count: jobs.length }
    }),
  render: ({ jobs }) => (jobs.length === 0 ? "no backup jobs" : jobs.map(jobLine).join("\n"))
})

// ---------------------------------------------------------------------------------------------------------------
// pve_backup_schedule

const JobId = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_-]{1,49}$/i, { message: () => "a job id: a letter, then letters, digits, - or _" })
).annotations({ description: "Job to change, or a new job's id" })

/** A short stable id for a new job, from what it is: planning twice gives the same id. */
const newJobId = (seed: string, taken: ReadonlySet<string>) => {
  let hash = 0x811c9dc5
  for (const char of seed) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0
  let id = `backup-${hash.toString(16).padStart(8, "0")}`
  for (let n = 2; taken.has(id); n++) id = `backup-${hash.toString(16).padStart(8, "0")}-${n}`
  return id
}

export const pveBackupSchedule = writeTool({
  name: "pve_backup_schedule",
  title: "Create or change a backup job",
  description:
    "Creates a scheduled backup job, or changes one by id (only the fields given). Guests: vmids, all (with exclude) or a pool.",
  toolset: "backup",
  input: Schema.Struct({
    id: Schema.optional(JobId),
    schedule: Schema.optional(
      Schema.String.pipe(Schema.maxLength(128)).annotations({
        description: "Calendar event: sun 01:00, mon..fri 02:30, daily"
      })
    ),
    vmids: Schema.optional(
      Schema.Array(VmidItem).pipe(Schema.minItems(1), Schema.maxItems(1000)).annotations({ description: "Guests" })
    ),
    all: Schema.optional(Schema.Boolean.annotations({ description: "Every guest of the cluster" })),
    exclude: Schema.optional(
      Schema.Array(VmidItem).pipe(Schema.maxItems(1000)).annotations({ description: "With all: guests to leave out" })
    ),
    pool: Schema.optional(PoolId),
    storage: Schema.optional(described(StorageId, "Where the archives go")),
    mode: Schema.optional(BackupMode),
    compression: Schema.optional(Compression),
    retention: Schema.optional(Retention),
    enabled: Schema.optional(Schema.Boolean.annotations({ description: "false: the job is kept but does not run" })),
    notes: Schema.optional(
      Schema.String.pipe(Schema.maxLength(1000)).annotations({
        description: "Archive notes; {{guestname}}, {{vmid}} filled in"
      })
    ),
    comment: Schema.optional(
      Schema.String.pipe(Schema.maxLength(512)).annotations({ description: "What the job is for" })
    )
  }),
  output: Schema.Struct({ created: Schema.Boolean, job: JobView }),
  endpoints: [clusterResourcesEndpoint, backupJobsEndpoint, createBackupJobEndpoint, updateBackupJobEndpoint],
  plan: (input) =>
    Effect.gen(function* () {
      if (input.schedule !== undefined) {
        const problem = calendarEventProblem(input.schedule)
        if (problem !== undefined) {
          return yield* new InvalidInput({
            field: "schedule",
            message: `"${input.schedule}" is not a calendar event PVE accepts: ${problem}; e.g. "sun 01:00", "mon..fri 02:30", "daily"`
          })
        }
      }
      const selections = [input.vmids, input.all === true ? true : undefined, input.pool].filter((s) => s !== undefined)
      if (selections.length > 1) {
        return yield* new InvalidInput({ field: "vmids", message: "give only one of vmids, all or pool" })
      }
      if (input.exclude !== undefined && input.all !== true) {
        return yield* new InvalidInput({ field: "exclude", message: "exclude goes with all: true" })
      }
      const named = [...(input.vmids ?? []), ...(input.exclude ?? [])]
      if (named.length > 0) {
        // a job for a guest that does not exist (or is not visible here) is a mistake, not a plan
        const guests = new Set((yield* listGuests()).map((g) => g.vmid))
        const unknown = named.filter((v) => !guests.has(v))
        if (unknown.length > 0) {
          return yield* new PveNotFound({ message: `no VM or container ${unknown.join(", ")} in the cluster` })
        }
      }
      const jobs = yield* listBackupJobs
      const existing = input.id === undefined ? undefined : jobs.find((j) => j.id === input.id)
      const retention =
        input.retention === undefined
          ? undefined
          : retentionKeys
              .filter(([key]) => input.retention![key] !== undefined)
              .map(([key, name]) => `${name}=${input.retention![key]}`)
              .join(",")
      const params: Record<string, string | number | undefined> = {
        schedule: input.schedule?.trim(),
        vmid: input.vmids?.join(","),
        all: input.all === undefined ? undefined : input.all ? 1 : 0,
        exclude: input.exclude?.join(","),
        pool: input.pool,
        storage: input.storage,
        mode: input.mode,
        compress: compressParam(input.compression),
        "prune-backups": retention === "" ? undefined : retention,
        enabled: input.enabled === undefined ? undefined : input.enabled ? 1 : 0,
        "notes-template": input.notes === undefined ? undefined : notesTemplate(input.notes),
        comment: input.comment
      }
      if (existing !== undefined) {
        // a new selection replaces the old one; an empty retention falls back to the storage's
        const remove = [
          ...(selections.length === 1
            ? (["vmid", "all", "pool", "exclude"] as const).filter(
                (k) => params[k] === undefined && existing[k] !== undefined && existing[k] !== false
              )
            : []),
          ...(retention === "" && existing["prune-backups"] !== undefined ? ["prune-backups"] : [])
        ]
        if (params.all === 0) params.all = undefined
        const step = yield* planStep(
          updateBackupJobEndpoint,
          { id: existing.id },
          { ...params, delete: remove.length === 0 ? undefined : remove.join(",") }
        )
        return plan([step], () => readJob(existing.id, false))
      }
      if (input.schedule === undefined || selections.length === 0) {
        return yield* new InvalidInput({
          field: input.schedule === undefined ? "schedule" : "vmids",
          message: `${input.id === undefined ? "a new job" : `there is no job ${input.id}, so a new one`} needs a schedule and its guests (vmids, all or pool)${jobs.length ? `; existing jobs: ${jobs.map((j) => j.id).join(", ")}` : ""}`
        })
      }
      const id = input.id ?? newJobId(JSON.stringify(params), new Set(jobs.map((j) => j.id)))
      if (params.all === 0) params.all = undefined
      const step = yield* planStep(createBackupJobEndpoint, {}, { id, ...params })
      return plan([step], () => readJob(id, true))
    }),
  render: ({ created, job }) => `${created ? "created" : "updated"} backup job ${jobLine(job)}`
})

/** The job as the list shows it (the list carries next-run; a single job's read does not). */
const readJob = (id: string, created: boolean) =>
  Effect.gen(function* () {
    const job = (yield* listBackupJobs).find((j) => j.id === id)
    if (job === undefined)
      return yield* new InvalidInput({ field: "id", message: `job ${id} is not listed afterwards` })
    return { created, job: jobView(job, yield* nowSeconds) }
  })

export const backupTools: ReadonlyArray<AnyTool> = [
  pveListBackups,
  pveLastBackup,
  pveBackupCreate,
  pveBackupRestore,
  pveListBackupJobs,
  pveBackupSchedule
]
