/**
 * Backups: the archives on every storage that holds backup content (a shared storage read once, a local one on each
 * node), vzdump, restore (`POST /nodes/{node}/qemu` with `archive`, `POST /nodes/{node}/lxc` with `restore`), and
 * the cluster's scheduled backup jobs.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { getClusterResources } from "./cluster.js"
import { call, endpoint, TaskUpid } from "./Endpoint.js"
import type { ProxmoxError } from "./errors.js"
import type { GuestType } from "./guests.js"
import type { ProxmoxClient } from "./ProxmoxClient.js"
import { PveBoolean, PveInt, PveNumber } from "./WireSchemas.js"

/** One row of `GET /nodes/{node}/storage/{storage}/content?content=backup`. */
export const BackupVolume = Schema.Struct({
  volid: Schema.String,
  content: Schema.optional(Schema.String),
  format: Schema.optional(Schema.String),
  size: PveNumber,
  ctime: Schema.optional(PveInt),
  vmid: Schema.optional(PveInt),
  notes: Schema.optional(Schema.String),
  protected: Schema.optional(PveBoolean),
  encrypted: Schema.optional(Schema.String),
  verification: Schema.optional(
    Schema.Struct({ state: Schema.optional(Schema.String), upid: Schema.optional(Schema.String) })
  )
})
export type BackupVolume = typeof BackupVolume.Type

export const storageContentEndpoint = endpoint(
  "GET",
  "/nodes/{node}/storage/{storage}/content",
  Schema.Array(BackupVolume)
)
export const vzdumpEndpoint = endpoint("POST", "/nodes/{node}/vzdump", TaskUpid)
export const restoreEndpoints = {
  qemu: endpoint("POST", "/nodes/{node}/qemu", TaskUpid),
  lxc: endpoint("POST", "/nodes/{node}/lxc", TaskUpid)
} as const

/** Where backups can be read: a storage with `backup` content, and the node to read it through. */
export interface BackupStore {
  readonly storage: string
  readonly shared: boolean
  /** the nodes that see it (a local storage: exactly one) */
  readonly nodes: ReadonlyArray<string>
  readonly plugintype: string | undefined
}

/**
 * Every storage holding backups, from one /cluster/resources read: a shared storage once (with all the nodes that
 * see it), a local one per node. Storages that are not available (offline node, inactive) are left out.
 */
export const listBackupStores = Effect.gen(function* () {
  const rows = yield* getClusterResources("storage")
  const stores = new Map<
    string,
    { storage: string; shared: boolean; nodes: string[]; plugintype: string | undefined }
  >()
  for (const row of rows) {
    if (row.type !== "storage" || row.storage === undefined || row.node === undefined) continue
    if (!(row.content ?? "").split(",").includes("backup")) continue
    if (row.status !== undefined && row.status !== "available") continue
    const shared = row.shared === true
    const key = shared ? row.storage : `${row.storage}@${row.node}`
    const store = stores.get(key) ?? { storage: row.storage, shared, nodes: [], plugintype: row.plugintype }
    store.nodes.push(row.node)
    stores.set(key, store)
  }
  return [...stores.values()]
    .map((s): BackupStore => ({ ...s, nodes: [...s.nodes].sort() }))
    .sort((a, b) => a.storage.localeCompare(b.storage) || a.nodes[0]!.localeCompare(b.nodes[0]!))
})

/** A backup archive, wherever it is. */
export interface Backup {
  readonly volid: string
  readonly storage: string
  /** the node of a local storage; undefined on a shared one */
  readonly node: string | undefined
  readonly vmid: number | undefined
  readonly guestType: GuestType | undefined
  readonly ctime: number | undefined
  readonly size: number
  readonly format: string | undefined
  readonly notes: string | undefined
  readonly protected: boolean
  readonly verification: string | undefined
  readonly encrypted: boolean
}

/** qemu or lxc, from the archive's name: `vzdump-qemu-100-….vma.zst`, PBS `backup/vm/100/…` or `ct/…`. */
export const archiveGuestType = (volid: string): GuestType | undefined => {
  const name = volid.slice(volid.indexOf(":") + 1)
  if (/(^|\/)vzdump-qemu-\d+-/.test(name) || /^backup\/vm\/\d+\//.test(name)) return "qemu"
  if (/(^|\/)vzdump-(lxc|openvz)-\d+-/.test(name) || /^backup\/ct\/\d+\//.test(name)) return "lxc"
  return undefined
}

/** The vmid an archive's name carries, when the listing did not say. */
const archiveVmid = (volid: string): number | undefined => {
  const match = /vzdump-(?:qemu|lxc|openvz)-(\d+)-|backup\/(?:vm|ct)\/(\d+)\//.exec(volid)
  const digits = match?.[1] ?? match?.[2]
  return digits === undefined ? undefined : Number(digits)
}

const backupOf = (store: BackupStore, node: string, v: BackupVolume): Backup => ({
  volid: v.volid,
  storage: store.storage,
  node: store.shared ? undefined : node,
  vmid: v.vmid ?? archiveVmid(v.volid),
  guestType: archiveGuestType(v.volid),
  ctime: v.ctime,
  size: v.size,
  format: v.format,
  notes: v.notes === undefined || v.notes === "" ? undefined : v.notes,
  protected: v.protected ?? false,
  verification: v.verification?.state,
  encrypted: v.encrypted !== undefined && v.encrypted !== "" && v.encrypted !== "0"
})

/** A store that could not be read: the listing says so instead of silently missing its backups. */
export interface UnreadableStore {
  readonly storage: string
  readonly node: string
  readonly error: string
}

/** The backups of one store (read through its first node), filtered by vmid on PVE's side. */
export const listStoreBackups = (
  store: BackupStore,
  vmid?: number
): Effect.Effect<ReadonlyArray<Backup>, ProxmoxError, ProxmoxClient> =>
  Effect.map(
    call(storageContentEndpoint, { node: store.nodes[0]!, storage: store.storage }, { content: "backup", vmid }),
    (volumes) =>
      volumes
        .filter((v) => v.content === undefined || v.content === "backup")
        .map((v) => backupOf(store, store.nodes[0]!, v))
  )

/** Newest first; equal times by volid, then node, so the order is total and a cursor can resume it. */
export const compareBackups = (a: Backup, b: Backup): number =>
  (b.ctime ?? 0) - (a.ctime ?? 0) || a.volid.localeCompare(b.volid) || (a.node ?? "").localeCompare(b.node ?? "")

/**
 * Every backup of the cluster (optionally of one guest, or on one storage), newest first, and the stores that could
 * not be read.
 */
export const listAllBackups = (vmid?: number, storage?: string) =>
  Effect.gen(function* () {
    const stores = (yield* listBackupStores).filter((s) => storage === undefined || s.storage === storage)
    const read = yield* Effect.forEach(
      stores,
      (store) =>
        listStoreBackups(store, vmid).pipe(
          Effect.map((backups) => ({ backups, unreadable: undefined as UnreadableStore | undefined })),
          Effect.catchAll((error) =>
            Effect.succeed({
              backups: [] as ReadonlyArray<Backup>,
              unreadable: { storage: store.storage, node: store.nodes[0]!, error: error.message } as UnreadableStore
            })
          )
        ),
      { concurrency: 4 }
    )
    const backups = read.flatMap((r) => r.backups).filter((b) => vmid === undefined || b.vmid === vmid)
    return {
      stores,
      backups: backups.sort(compareBackups),
      unreadable: read.flatMap((r) => (r.unreadable === undefined ? [] : [r.unreadable]))
    }
  })

/** A scheduled backup job as `GET /cluster/backup` lists it (property strings may come parsed or not). */
export const BackupJob = Schema.Struct({
  id: Schema.String,
  schedule: Schema.optional(Schema.String),
  starttime: Schema.optional(Schema.String),
  dow: Schema.optional(Schema.String),
  enabled: Schema.optional(PveBoolean),
  storage: Schema.optional(Schema.String),
  vmid: Schema.optional(Schema.String),
  all: Schema.optional(PveBoolean),
  pool: Schema.optional(Schema.String),
  exclude: Schema.optional(Schema.String),
  node: Schema.optional(Schema.String),
  mode: Schema.optional(Schema.String),
  compress: Schema.optional(Schema.String),
  "prune-backups": Schema.optional(
    Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Union(PveNumber, Schema.String) }))
  ),
  "notes-template": Schema.optional(Schema.String),
  comment: Schema.optional(Schema.String),
  protected: Schema.optional(PveBoolean),
  "next-run": Schema.optional(PveInt)
})
export type BackupJob = typeof BackupJob.Type

export const backupJobsEndpoint = endpoint("GET", "/cluster/backup", Schema.Array(BackupJob))
export const backupJobEndpoint = endpoint("GET", "/cluster/backup/{id}", BackupJob)
export const createBackupJobEndpoint = endpoint("POST", "/cluster/backup", Schema.Null)
export const updateBackupJobEndpoint = endpoint("PUT", "/cluster/backup/{id}", Schema.Null)

export const listBackupJobs = call(backupJobsEndpoint, {})

/** The retention of a job or storage as numbers: `keep-daily=7,keep-weekly=4` or its parsed object. */
export const retentionOf = (prune: BackupJob["prune-backups"]): Readonly<Record<string, number>> => {
  if (prune === undefined) return {}
  const pairs =
    typeof prune === "string"
      ? prune
          .split(",")
          .filter((p) => p.includes("="))
          .map((p) => p.split("=") as [string, string])
      : Object.entries(prune).map(([k, v]) => [k, String(v)] as [string, string])
  return Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)]).filter(([, v]) => Number.isFinite(v)))
}
