/**
 * The simulated cluster's state: nodes, guests, storages and their volumes, snapshots, pools, backup jobs,
 * network interfaces and the task table. Plain mutable data; the routes change it, the task engine advances it.
 */
import { createHash } from "node:crypto"

export type GuestType = "qemu" | "lxc"
export type ConfigValue = string | number

export interface NetworkInterface {
  iface: string
  type: "eth" | "bridge" | "bond" | "vlan" | "alias" | "OVSBridge" | "OVSBond" | "OVSPort" | "OVSIntPort" | "unknown"
  method: string
  method6: string
  families: Array<string>
  priority: number
  active?: number
  autostart?: number
  exists?: number | null
  address?: string
  netmask?: string
  cidr?: string
  gateway?: string
  bridge_ports?: string
  bridge_stp?: string
  bridge_fd?: string
  bridge_vlan_aware?: number
  bridge_vids?: string
  slaves?: string
  bond_mode?: string
  "vlan-id"?: string
  "vlan-raw-device"?: string
  mtu?: number
  comments?: string
}

export interface SimNode {
  readonly name: string
  readonly nodeid: number
  readonly ip: string
  online: boolean
  readonly cpuModel: string
  readonly sockets: number
  readonly cores: number
  readonly maxmem: number
  readonly rootfsTotal: number
  readonly rootfsUsed: number
  /** Epoch ms of the node's boot; uptime and UPID pstart derive from it. */
  readonly bootedAt: number
  readonly sslFingerprint: string
  readonly cpuLoad: number
  nextPid: number
  network: Map<string, NetworkInterface>
  /** Staged interface changes (/etc/network/interfaces.new) until `PUT /nodes/{node}/network` applies them. */
  pendingNetwork: Map<string, NetworkInterface> | undefined
}

export interface Snapshot {
  readonly name: string
  description: string
  readonly snaptime: number
  readonly vmstate: boolean
  readonly parent: string | undefined
  readonly config: Record<string, ConfigValue>
}

export interface Guest {
  readonly vmid: number
  readonly type: GuestType
  node: string
  status: "running" | "stopped"
  /** qmpstatus; `paused` only for a suspended QEMU guest. */
  paused: boolean
  /** Epoch ms when started (running guests). */
  startedAt: number
  pid: number
  config: Record<string, ConfigValue>
  pending: Record<string, ConfigValue>
  pendingDelete: Set<string>
  snapshots: Map<string, Snapshot>
  /** The snapshot the current state descends from (`parent` in config). */
  parent: string | undefined
  pool: string | undefined
  haManaged: boolean
  /** The guest OS ignores ACPI power-down, so a shutdown times out (as a hung guest does on real PVE). */
  ignoresShutdown: boolean
  readonly cpuLoad: number
  readonly memFraction: number
  readonly diskFraction: number
  readonly netBase: number
}

export type StorageType = "dir" | "lvmthin" | "nfs" | "pbs"

export interface Volume {
  readonly volid: string
  readonly content: "iso" | "vztmpl" | "images" | "rootdir" | "backup"
  readonly format: string
  size: number
  readonly vmid?: number
  readonly ctime: number
  notes?: string
  protected?: boolean
  /** a backup on a PBS storage: the last verification's result */
  verification?: { readonly state: "ok" | "failed"; readonly upid: string }
  /** a backup: the guest configuration it holds, which a restore brings back */
  config?: Readonly<Record<string, ConfigValue>>
}

export interface Storage {
  readonly storage: string
  readonly type: StorageType
  readonly content: ReadonlyArray<string>
  readonly shared: boolean
  readonly path?: string
  readonly thinpool?: string
  readonly vgname?: string
  readonly server?: string
  readonly export?: string
  /** PBS: the datastore on the backup server */
  readonly datastore?: string
  /** Nodes the storage is available on; undefined = all. */
  readonly nodes: ReadonlyArray<string> | undefined
  /** Capacity in bytes (tests shrink it to fill the storage). */
  total: number
  /** Volumes by node; a shared storage keeps them under the key "". */
  readonly volumes: Map<string, Map<string, Volume>>
  readonly prune?: string
}

export interface Pool {
  readonly poolid: string
  comment: string
}

export interface BackupJob {
  readonly id: string
  schedule: string
  storage: string
  vmid?: string
  all?: number
  mode: string
  compress: string
  enabled: number
  "notes-template"?: string
  comment?: string
  "prune-backups"?: string
}

export type TaskOutcome =
  | { readonly _tag: "ok" }
  | { readonly _tag: "warnings"; readonly count: number }
  | { readonly _tag: "error"; readonly message: string }

export interface HaRule {
  readonly rule: string
  readonly type: "node-affinity" | "resource-affinity"
  /** `vm:100,ct:105` */
  resources: string
  /** node-affinity only: `pve1:2,pve2` */
  nodes?: string
  /** resource-affinity only */
  affinity?: "positive" | "negative"
  strict?: number
  disable?: number
  comment?: string
}

export interface ReplicationJob {
  readonly id: string
  readonly guest: number
  readonly jobnum: number
  readonly type: "local"
  target: string
  schedule?: string
  rate?: number
  comment?: string
  disable?: number
}

export interface Task {
  readonly upid: string
  readonly node: string
  readonly pid: number
  readonly pstart: number
  readonly starttime: number
  readonly type: string
  readonly id: string
  /** Full auth id, `user@realm` or `user@realm!token`. */
  readonly user: string
  readonly startedAt: number
  /** Epoch ms at which the task ends; Infinity for a task that never finishes. */
  finishAt: number
  /** Log lines with the ms offset from the start at which each appears. */
  readonly lines: Array<{ readonly at: number; readonly text: string }>
  outcome: TaskOutcome
  /** Applied when the task finishes successfully (state changes of the operation). */
  readonly onSuccess: (() => void) | undefined
  /** Always applied when the task ends (lock release). */
  readonly onEnd: (() => void) | undefined
  finished: boolean
  endtime: number | undefined
  /** Final exit status once stopped. */
  exitstatus: string | undefined
}

export interface ClusterModel {
  readonly clusterName: string
  /** The node the API is served from (`local: 1` in cluster/status). */
  readonly localNode: string
  readonly nodes: Map<string, SimNode>
  readonly guests: Map<number, Guest>
  readonly storages: Map<string, Storage>
  readonly pools: Map<string, Pool>
  readonly backupJobs: Map<string, BackupJob>
  /** HA rules (ha/rules.cfg): node affinity and resource affinity between HA resources. */
  readonly haRules: Map<string, HaRule>
  /** Storage replication jobs (replication.cfg), keyed `<guest>-<jobnum>`. */
  readonly replicationJobs: Map<string, ReplicationJob>
  readonly tasks: Map<string, Task>
  /** Tasks in start order, for listing. */
  readonly taskOrder: Array<Task>
  readonly version: { readonly version: string; readonly release: string; readonly repoid: string }
}

export const GIB = 1024 ** 3
export const MIB = 1024 ** 2

/** PVE property-string size (`32G`, `512M`) in bytes. */
export const parseSize = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(text)
  if (!match) return 0
  const unit = { K: 1024, M: MIB, G: GIB, T: 1024 * GIB }[match[2] ?? ""] ?? 1
  return Math.floor(Number(match[1]) * unit)
}

export const formatSize = (bytes: number): string => {
  for (const [unit, factor] of [
    ["T", 1024 * GIB],
    ["G", GIB],
    ["M", MIB],
    ["K", 1024]
  ] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`
  }
  return String(bytes)
}

/** Property-string value of `key` (or of the unnamed first part when key is undefined). */
export const propertyOf = (text: string, key: string): string | undefined => {
  for (const part of text.split(",")) {
    const eq = part.indexOf("=")
    if (eq > 0 && part.slice(0, eq) === key) return part.slice(eq + 1)
  }
  return undefined
}

export const diskKeyRe = /^(scsi|virtio|sata|ide|efidisk|tpmstate)\d+$|^(rootfs|mp\d+)$/

/** The disks of a guest config: key, volid, size in bytes (cdrom entries excluded). */
export const guestDisks = (config: Readonly<Record<string, ConfigValue>>) => {
  const disks: Array<{ key: string; volid: string; size: number }> = []
  for (const [key, value] of Object.entries(config)) {
    if (!diskKeyRe.test(key) || typeof value !== "string") continue
    if (value.includes("media=cdrom")) continue
    const volid = value.split(",")[0]!
    if (!volid.includes(":")) continue
    const volume = volid.includes("=") ? (propertyOf(value, "volume") ?? "") : volid
    disks.push({ key, volid: volume, size: parseSize(propertyOf(value, "size") ?? "0") })
  }
  return disks
}

export const guestMaxmem = (guest: Guest): number => {
  const memory = guest.config.memory
  const mib =
    typeof memory === "number"
      ? memory
      : Number(
          String(memory ?? "512")
            .split(",")[0]!
            .replace("current=", "")
        )
  return mib * MIB
}

export const guestCpus = (guest: Guest): number => {
  const cores = Number(guest.config.cores ?? 1)
  const sockets = guest.type === "qemu" ? Number(guest.config.sockets ?? 1) : 1
  return guest.type === "lxc" && guest.config.cores === undefined ? 1 : cores * sockets
}

/** Size of the boot/root disk (looked up directly: this runs for every guest of a 10,000-guest listing). */
export const guestMaxdisk = (guest: Guest): number => {
  const keys = guest.type === "lxc" ? ["rootfs"] : ["scsi0", "virtio0", "sata0", "ide0"]
  for (const key of keys) {
    const value = guest.config[key]
    if (typeof value !== "string" || value.includes("media=cdrom")) continue
    const size = /(?:^|,)size=([^,]+)/.exec(value)
    return size ? parseSize(size[1]!) : 0
  }
  return 0
}

export const guestName = (guest: Guest): string =>
  String(
    guest.type === "qemu" ? (guest.config.name ?? `VM ${guest.vmid}`) : (guest.config.hostname ?? `CT${guest.vmid}`)
  )

export const isTemplate = (guest: Guest): boolean => Number(guest.config.template ?? 0) === 1

/**
 * The `digest` of a guest's config: PVE hashes the whole config file, so a pending change, a pending delete, a
 * snapshot section or its description changes it as much as a change of the current values does.
 */
export const guestDigest = (guest: Guest): string =>
  createHash("sha1")
    .update(
      JSON.stringify([
        Object.entries(guest.config).sort(),
        guest.parent ?? null,
        Object.entries(guest.pending).sort(),
        [...guest.pendingDelete].sort(),
        [...guest.snapshots.values()]
          .map((s) => [s.name, s.description, s.snaptime, s.vmstate, s.parent ?? null, Object.entries(s.config).sort()])
          .sort()
      ])
    )
    .digest("hex")

/** Path of the guest's config file in pmxcfs, as PVE names it in errors. */
export const configPath = (node: string, type: GuestType, vmid: number | string): string =>
  `nodes/${node}/${type === "qemu" ? "qemu-server" : "lxc"}/${vmid}.conf`

/** Volumes of a storage as seen from a node. */
export const volumesOn = (storage: Storage, node: string): Map<string, Volume> => {
  const key = storage.shared ? "" : node
  let volumes = storage.volumes.get(key)
  if (volumes === undefined) {
    volumes = new Map()
    storage.volumes.set(key, volumes)
  }
  return volumes
}

export const storageAvailableOn = (storage: Storage, node: string): boolean =>
  storage.nodes === undefined || storage.nodes.includes(node)

export const storageUsed = (storage: Storage, node: string): number => {
  let used = 0
  for (const volume of volumesOn(storage, node).values()) used += volume.size
  return used
}

/** The first free VMID from `from` on. */
export const nextFreeVmid = (model: ClusterModel, from = 100): number => {
  let vmid = from
  while (model.guests.has(vmid)) vmid++
  return vmid
}

export const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, "0")

/** UPID per pve-common PVE/UPID.pm. */
export const formatUpid = (task: {
  node: string
  pid: number
  pstart: number
  starttime: number
  type: string
  id: string
  user: string
}): string =>
  `UPID:${task.node}:${hex8(task.pid)}:${hex8(task.pstart)}:${hex8(task.starttime)}:${task.type}:${task.id}:${task.user}:`

const upidRe =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/

export const parseUpid = (upid: string) => {
  const match = upidRe.exec(upid)
  if (!match) return undefined
  return {
    node: match[1]!,
    pid: Number.parseInt(match[3]!, 16),
    pstart: Number.parseInt(match[4]!, 16),
    starttime: Number.parseInt(match[5]!, 16),
    type: match[6]!,
    id: match[7]!,
    user: match[8]!
  }
}

export const exitStatusOf = (outcome: TaskOutcome): string =>
  outcome._tag === "ok" ? "OK" : outcome._tag === "warnings" ? `WARNINGS: ${outcome.count}` : outcome.message

export const finalLogLine = (outcome: TaskOutcome): string =>
  outcome._tag === "ok"
    ? "TASK OK"
    : outcome._tag === "warnings"
      ? `TASK WARNINGS: ${outcome.count}`
      : `TASK ERROR: ${outcome.message}`
