/**
 * Deterministic cluster generation from a seed: the default 3-node cluster with a known cast of guests, or
 * generated clusters from one node to 50 nodes x 10,000 guests for benchmarks.
 */
import {
  type BackupJob,
  type ClusterModel,
  type ConfigValue,
  GIB,
  type Guest,
  type GuestType,
  MIB,
  type NetworkInterface,
  type SimNode,
  type Snapshot,
  type Storage,
  type Volume,
  volumesOn
} from "./model.js"
import { seedTaskHistory } from "./taskHistory.js"

/** mulberry32: small, fast, good enough for reproducible test data. */
export const seededRandom = (seed: number) => {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min: number, max: number): number => min + Math.floor(next() * (max - min + 1)),
    pick: <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!,
    hex: (length: number): string => {
      let out = ""
      for (let i = 0; i < length; i++) out += Math.floor(next() * 16).toString(16)
      return out
    }
  }
}
export type SeededRandom = ReturnType<typeof seededRandom>

export interface GenerateOptions {
  readonly seed: number
  readonly size: "tiny" | "small" | "large"
  readonly nodes?: number | undefined
  /** Epoch ms "now" at generation; boot times and ctimes are placed before it. */
  readonly now: number
}

const mac = (random: SeededRandom): string =>
  `BC:24:11:${[random.hex(2), random.hex(2), random.hex(2)].join(":").toUpperCase()}`

const uuid = (random: SeededRandom): string =>
  `${random.hex(8)}-${random.hex(4)}-4${random.hex(3)}-${random.pick(["8", "9", "a", "b"])}${random.hex(3)}-${random.hex(12)}`

const fingerprint = (random: SeededRandom): string =>
  Array.from({ length: 32 }, () => random.hex(2).toUpperCase()).join(":")

const nodeNetwork = (index: number): Map<string, NetworkInterface> => {
  const address = `10.10.0.${10 + index}`
  const interfaces: Array<NetworkInterface> = [
    {
      iface: "lo",
      type: "unknown",
      method: "loopback",
      method6: "manual",
      families: ["inet"],
      priority: 3,
      active: 1,
      autostart: 1
    },
    {
      iface: "eno1",
      type: "eth",
      method: "manual",
      method6: "manual",
      families: ["inet"],
      priority: 4,
      active: 1,
      exists: 1
    },
    { iface: "eno2", type: "eth", method: "manual", method6: "manual", families: ["inet"], priority: 5, exists: 1 },
    {
      iface: "vmbr0",
      type: "bridge",
      method: "static",
      method6: "manual",
      families: ["inet"],
      priority: 6,
      active: 1,
      autostart: 1,
      address,
      netmask: "24",
      cidr: `${address}/24`,
      gateway: "10.10.0.1",
      bridge_ports: "eno1",
      bridge_stp: "off",
      bridge_fd: "0"
    }
  ]
  return new Map(interfaces.map((iface) => [iface.iface, iface]))
}

const makeNode = (name: string, index: number, random: SeededRandom, now: number, large: boolean): SimNode => {
  const cores = large ? random.pick([16, 24, 32]) : random.pick([4, 8, 12])
  return {
    name,
    nodeid: index + 1,
    ip: `10.10.0.${10 + index}`,
    online: true,
    cpuModel: random.pick([
      "Intel(R) Xeon(R) E-2236 CPU @ 3.40GHz",
      "AMD EPYC 7302P 16-Core Processor",
      "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    ]),
    sockets: 1,
    cores,
    maxmem: (large ? random.pick([256, 384, 512]) : random.pick([32, 64])) * GIB,
    rootfsTotal: 100 * GIB,
    rootfsUsed: random.int(8, 20) * GIB,
    bootedAt: now - random.int(2, 40) * 86_400_000 - random.int(0, 86_400) * 1000,
    sslFingerprint: fingerprint(random),
    cpuLoad: Number((random.next() * 0.2).toFixed(4)),
    nextPid: random.int(100_000, 900_000),
    network: nodeNetwork(index),
    pendingNetwork: undefined
  }
}

const makeGuest = (
  fields: {
    vmid: number
    type: GuestType
    node: string
    running: boolean
    config: Record<string, ConfigValue>
    pool?: string
    ignoresShutdown?: boolean
  },
  random: SeededRandom,
  now: number
): Guest => ({
  vmid: fields.vmid,
  type: fields.type,
  node: fields.node,
  status: fields.running ? "running" : "stopped",
  paused: false,
  startedAt: fields.running ? now - random.int(600, 30 * 86_400) * 1000 : 0,
  pid: fields.running ? random.int(1000, 4_000_000) : 0,
  config: fields.config,
  pending: {},
  pendingDelete: new Set(),
  snapshots: new Map(),
  parent: undefined,
  pool: fields.pool,
  haManaged: false,
  ignoresShutdown: fields.ignoresShutdown ?? false,
  cpuLoad: Number((random.next() * 0.3).toFixed(6)),
  memFraction: 0.3 + random.next() * 0.5,
  diskFraction: 0.2 + random.next() * 0.5,
  netBase: random.int(1_000_000, 5_000_000_000)
})

const qemuConfig = (
  random: SeededRandom,
  vmid: number,
  name: string,
  opts: {
    memory: number
    cores: number
    disk: number
    ostype?: string
    tags?: string
    template?: boolean
    storage?: string
  }
): Record<string, ConfigValue> => {
  const config: Record<string, ConfigValue> = {
    boot: "order=scsi0;ide2;net0",
    cores: opts.cores,
    cpu: "x86-64-v2-AES",
    ide2: "none,media=cdrom",
    memory: String(opts.memory),
    meta: `creation-qemu=9.2.0,ctime=${1_736_000_000 + vmid}`,
    name,
    net0: `virtio=${mac(random)},bridge=vmbr0,firewall=1`,
    numa: 0,
    ostype: opts.ostype ?? "l26",
    scsi0: `${opts.storage ?? "local-lvm"}:${opts.template ? "base" : "vm"}-${vmid}-disk-0,iothread=1,size=${opts.disk}G`,
    scsihw: "virtio-scsi-single",
    smbios1: `uuid=${uuid(random)}`,
    sockets: 1,
    vmgenid: uuid(random)
  }
  if (opts.tags !== undefined) config.tags = opts.tags
  if (opts.template) config.template = 1
  return config
}

const lxcConfig = (
  random: SeededRandom,
  vmid: number,
  hostname: string,
  opts: { memory: number; cores: number; disk: number; tags?: string; template?: boolean }
): Record<string, ConfigValue> => {
  const config: Record<string, ConfigValue> = {
    arch: "amd64",
    cores: opts.cores,
    features: "nesting=1",
    hostname,
    memory: opts.memory,
    net0: `name=eth0,bridge=vmbr0,firewall=1,hwaddr=${mac(random)},ip=dhcp,type=veth`,
    ostype: "debian",
    rootfs: `local-lvm:${opts.template ? "base" : "vm"}-${vmid}-disk-0,size=${opts.disk}G`,
    swap: 512,
    unprivileged: 1
  }
  if (opts.tags !== undefined) config.tags = opts.tags
  if (opts.template) config.template = 1
  return config
}

const makeStorages = (nodeNames: ReadonlyArray<string>, large: boolean): Map<string, Storage> => {
  const storages: Array<Storage> = [
    {
      storage: "local",
      type: "dir",
      content: ["backup", "iso", "vztmpl"],
      shared: false,
      path: "/var/lib/vz",
      nodes: undefined,
      total: 100 * GIB,
      volumes: new Map(),
      prune: "keep-all=1"
    },
    {
      storage: "local-lvm",
      type: "lvmthin",
      content: ["images", "rootdir"],
      shared: false,
      thinpool: "data",
      vgname: "pve",
      nodes: undefined,
      total: (large ? 8192 : 800) * GIB,
      volumes: new Map()
    },
    {
      storage: "nfs-shared",
      type: "nfs",
      content: ["backup", "images", "iso"],
      shared: true,
      path: "/mnt/pve/nfs-shared",
      server: "10.10.0.200",
      export: "/export/pve",
      nodes: undefined,
      total: 4096 * GIB,
      volumes: new Map(),
      prune: "keep-daily=7,keep-weekly=4"
    }
  ]
  for (const storage of storages) {
    if (storage.shared) storage.volumes.set("", new Map())
    else for (const node of nodeNames) storage.volumes.set(node, new Map())
  }
  return new Map(storages.map((storage) => [storage.storage, storage]))
}

const addVolume = (storage: Storage, node: string, volume: Volume): void => {
  volumesOn(storage, node).set(volume.volid, volume)
}

/** Registers the guest's disks as volumes on their storages. */
export const addGuestVolumes = (model: Pick<ClusterModel, "storages">, guest: Guest, ctime: number): void => {
  for (const [key, value] of Object.entries(guest.config)) {
    if (typeof value !== "string" || !/^(scsi|virtio|sata|efidisk|tpmstate)\d+$|^rootfs$|^mp\d+$/.test(key)) continue
    if (value.includes("media=cdrom")) continue
    const volid = value.split(",")[0]!
    const [storeId] = volid.split(":")
    const storage = model.storages.get(storeId ?? "")
    if (storage === undefined) continue
    const size = /size=(\d+)G/.exec(value)
    addVolume(storage, guest.node, {
      volid,
      content: guest.type === "lxc" ? "rootdir" : "images",
      format: storage.type === "lvmthin" ? "raw" : "qcow2",
      size: Number(size?.[1] ?? 8) * GIB,
      vmid: guest.vmid,
      ctime
    })
  }
}

const backupName = (type: GuestType, vmid: number, epoch: number): string => {
  const d = new Date(epoch * 1000)
  const pad = (n: number) => String(n).padStart(2, "0")
  const stamp = `${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}-${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}`
  return type === "qemu" ? `vzdump-qemu-${vmid}-${stamp}.vma.zst` : `vzdump-lxc-${vmid}-${stamp}.tar.zst`
}

/** A backup archive as vzdump names it; on a PBS storage as the backup server does (`backup/vm/100/<time>`). */
export const backupVolume = (
  storageId: string,
  type: GuestType,
  vmid: number,
  epoch: number,
  size: number,
  pbs = false
): Volume => ({
  volid: pbs
    ? `${storageId}:backup/${type === "qemu" ? "vm" : "ct"}/${vmid}/${new Date(epoch * 1000).toISOString().replace(".000", "")}`
    : `${storageId}:backup/${backupName(type, vmid, epoch)}`,
  content: "backup",
  format: pbs ? (type === "qemu" ? "pbs-vm" : "pbs-ct") : type === "qemu" ? "vma.zst" : "tar.zst",
  size,
  vmid,
  ctime: epoch,
  notes: `${type === "qemu" ? "VM" : "CT"} ${vmid}`
})

/** The configuration a backup holds: the guest's, without its lock. */
export const backedUpConfig = (guest: Guest): Record<string, ConfigValue> => {
  const { lock: _lock, ...config } = guest.config
  return config
}

const snapshot = (
  name: string,
  description: string,
  snaptime: number,
  parent: string | undefined,
  config: Record<string, ConfigValue>,
  vmstate = false
): Snapshot => ({ name, description, snaptime, vmstate, parent, config: { ...config } })

const seedTemplatesAndIsos = (storages: Map<string, Storage>, nodeNames: ReadonlyArray<string>, base: number) => {
  const local = storages.get("local")!
  for (const node of nodeNames) {
    addVolume(local, node, {
      volid: "local:iso/debian-12.9.0-amd64-netinst.iso",
      content: "iso",
      format: "iso",
      size: 661_651_456,
      ctime: base - 90 * 86_400
    })
    addVolume(local, node, {
      volid: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      content: "vztmpl",
      format: "tzst",
      size: 126_127_341,
      ctime: base - 80 * 86_400
    })
    addVolume(local, node, {
      volid: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
      content: "vztmpl",
      format: "tzst",
      size: 141_733_616,
      ctime: base - 40 * 86_400
    })
  }
  const nfs = storages.get("nfs-shared")!
  addVolume(nfs, "", {
    volid: "nfs-shared:iso/ubuntu-24.04.1-live-server-amd64.iso",
    content: "iso",
    format: "iso",
    size: 2_773_874_688,
    ctime: base - 60 * 86_400
  })
}

const emptyModel = (
  nodeNames: ReadonlyArray<string>,
  random: SeededRandom,
  now: number,
  large: boolean
): ClusterModel => ({
  clusterName: "sim-cluster",
  localNode: nodeNames[0]!,
  nodes: new Map(nodeNames.map((name, index) => [name, makeNode(name, index, random, now, large)])),
  guests: new Map(),
  storages: makeStorages(nodeNames, large),
  pools: new Map(),
  backupJobs: new Map(),
  haRules: new Map(),
  replicationJobs: new Map(),
  tasks: new Map(),
  taskOrder: [],
  version: { version: "9.1.2", release: "9.1", repoid: "b5e1c4a6f8d93c21" }
})

/** The default cluster: a known cast the tests and the README rely on. */
const smallCluster = (random: SeededRandom, now: number, nodeCount: number): ClusterModel => {
  const nodeNames = Array.from({ length: nodeCount }, (_, i) => `pve${i + 1}`)
  const model = emptyModel(nodeNames, random, now, false)
  const on = (i: number) => nodeNames[i % nodeNames.length]!
  const base = Math.floor(now / 1000)
  seedTemplatesAndIsos(model.storages, nodeNames, base)
  model.pools.set("production", { poolid: "production", comment: "Production workloads" })
  model.pools.set("lab", { poolid: "lab", comment: "" })
  model.pools.set("staging", { poolid: "staging", comment: "Nothing here yet" })

  const add = (guest: Guest) => {
    model.guests.set(guest.vmid, guest)
    addGuestVolumes(model, guest, base - 30 * 86_400)
  }
  const q = (vmid: number, name: string, opts: Parameters<typeof qemuConfig>[3]) => qemuConfig(random, vmid, name, opts)
  const c = (vmid: number, name: string, opts: Parameters<typeof lxcConfig>[3]) => lxcConfig(random, vmid, name, opts)

  add(
    makeGuest(
      {
        vmid: 100,
        type: "qemu",
        node: on(0),
        running: true,
        pool: "production",
        config: { ...q(100, "web-01", { memory: 2048, cores: 2, disk: 32, tags: "prod;web" }), onboot: 1, agent: "1" }
      },
      random,
      now
    )
  )
  const db = makeGuest(
    {
      vmid: 101,
      type: "qemu",
      node: on(0),
      running: true,
      pool: "production",
      config: { ...q(101, "db-01", { memory: 4096, cores: 4, disk: 64, tags: "db;prod" }), onboot: 1, agent: "1" }
    },
    random,
    now
  )
  db.snapshots.set(
    "pre-upgrade",
    snapshot("pre-upgrade", "Before the PostgreSQL 16 upgrade", base - 20 * 86_400, undefined, db.config)
  )
  db.snapshots.set(
    "after-upgrade",
    snapshot("after-upgrade", "PostgreSQL 16 running", base - 19 * 86_400, "pre-upgrade", db.config)
  )
  db.parent = "after-upgrade"
  add(db)
  add(
    makeGuest(
      {
        vmid: 102,
        type: "qemu",
        node: on(1),
        running: true,
        pool: "lab",
        config: q(102, "build-runner", { memory: 8192, cores: 4, disk: 100, tags: "ci" })
      },
      random,
      now
    )
  )
  add(
    makeGuest(
      {
        vmid: 103,
        type: "qemu",
        node: on(1),
        running: true,
        ignoresShutdown: true,
        config: q(103, "legacy-app", { memory: 1024, cores: 1, disk: 16, ostype: "other" })
      },
      random,
      now
    )
  )
  add(
    makeGuest(
      {
        vmid: 104,
        type: "qemu",
        node: on(2),
        running: false,
        pool: "lab",
        config: {
          ...q(104, "win-test", { memory: 8192, cores: 4, disk: 80, ostype: "win11" }),
          bios: "ovmf",
          machine: "pc-q35-9.2+pve1"
        }
      },
      random,
      now
    )
  )
  add(
    makeGuest(
      {
        vmid: 105,
        type: "lxc",
        node: on(0),
        running: true,
        config: { ...c(105, "dns-01", { memory: 512, cores: 1, disk: 8, tags: "infra" }), onboot: 1 }
      },
      random,
      now
    )
  )
  add(
    makeGuest(
      {
        vmid: 106,
        type: "lxc",
        node: on(1),
        running: true,
        pool: "production",
        config: c(106, "proxy-01", { memory: 1024, cores: 2, disk: 8, tags: "infra;prod" })
      },
      random,
      now
    )
  )
  const sandbox = makeGuest(
    {
      vmid: 107,
      type: "lxc",
      node: on(2),
      running: false,
      pool: "lab",
      config: c(107, "sandbox", { memory: 512, cores: 1, disk: 8 })
    },
    random,
    now
  )
  sandbox.snapshots.set("clean", snapshot("clean", "Freshly installed", base - 10 * 86_400, undefined, sandbox.config))
  sandbox.parent = "clean"
  add(sandbox)
  add(
    makeGuest(
      {
        vmid: 108,
        type: "qemu",
        node: on(2),
        running: false,
        config: q(108, "old-monitoring", { memory: 2048, cores: 2, disk: 32, storage: "nfs-shared" })
      },
      random,
      now
    )
  )
  add(
    makeGuest(
      {
        vmid: 9000,
        type: "qemu",
        node: on(0),
        running: false,
        config: q(9000, "debian-12-cloud", { memory: 2048, cores: 2, disk: 8, template: true, tags: "template" })
      },
      random,
      now
    )
  )

  const nfs = model.storages.get("nfs-shared")!
  for (const [vmid, type, daysAgo] of [
    [100, "qemu", 2],
    [100, "qemu", 1],
    [101, "qemu", 1],
    [105, "lxc", 1]
  ] as const) {
    const epoch = base - daysAgo * 86_400 - 7200
    const volume = backupVolume("nfs-shared", type, vmid, epoch, random.int(300, 3000) * MIB)
    volumesOn(nfs, "").set(volume.volid, { ...volume, config: backedUpConfig(model.guests.get(vmid)!) })
  }
  // A Proxmox Backup Server datastore: its backups carry the last verification's state.
  const pbs: Storage = {
    storage: "pbs-backup",
    type: "pbs",
    content: ["backup"],
    shared: true,
    server: "10.10.0.210",
    datastore: "store1",
    nodes: undefined,
    total: 2048 * GIB,
    volumes: new Map([["", new Map()]]),
    prune: "keep-daily=14"
  }
  model.storages.set(pbs.storage, pbs)
  for (const [vmid, type, daysAgo, state] of [
    [100, "qemu", 3, undefined],
    [101, "qemu", 2, "ok"],
    [102, "qemu", 1, "failed"]
  ] as const) {
    const epoch = base - daysAgo * 86_400 - 3600
    const volume = backupVolume("pbs-backup", type, vmid, epoch, random.int(300, 3000) * MIB, true)
    volumesOn(pbs, "").set(volume.volid, {
      ...volume,
      config: backedUpConfig(model.guests.get(vmid)!),
      ...(state === undefined
        ? {}
        : {
            verification: {
              state,
              upid: `UPID:pbs:0000A1B2:0001C3D4:${(epoch + 7200).toString(16).toUpperCase()}:verificationjob:store1\\x3av-1a2b3c4d:root@pam:`
            }
          })
    })
  }
  const jobs: Array<BackupJob> = [
    {
      id: "backup-7a1c2e3f-01",
      schedule: "02:00",
      storage: "nfs-shared",
      vmid: "100,101,105",
      mode: "snapshot",
      compress: "zstd",
      enabled: 1,
      "notes-template": "{{guestname}}",
      "prune-backups": "keep-daily=7,keep-weekly=4"
    },
    {
      id: "backup-7a1c2e3f-02",
      schedule: "sun 03:00",
      storage: "nfs-shared",
      all: 1,
      mode: "snapshot",
      compress: "zstd",
      enabled: 0,
      comment: "weekly full"
    }
  ]
  for (const job of jobs) model.backupJobs.set(job.id, job)
  model.haRules.set("db-on-pve1", {
    rule: "db-on-pve1",
    type: "node-affinity",
    resources: "vm:101",
    nodes: "pve1:2,pve2"
  })
  model.haRules.set("web-with-db", {
    rule: "web-with-db",
    type: "resource-affinity",
    resources: "vm:100,vm:101",
    affinity: "positive"
  })
  model.haRules.set("web-on-pve1", { rule: "web-on-pve1", type: "node-affinity", resources: "vm:100", nodes: "pve1" })
  for (const [guest, target] of [
    [100, on(1)],
    [101, on(1)]
  ] as const) {
    model.replicationJobs.set(`${guest}-0`, {
      id: `${guest}-0`,
      guest,
      jobnum: 0,
      type: "local",
      target,
      schedule: "*/15"
    })
  }
  return model
}

/** Generated clusters for size tiny (1 node) and large (benchmarks). */
const generatedCluster = (random: SeededRandom, now: number, nodeCount: number, guestCount: number): ClusterModel => {
  const width = Math.max(2, String(nodeCount).length)
  const nodeNames = Array.from({ length: nodeCount }, (_, i) =>
    nodeCount === 1 ? "pve1" : `pve${String(i + 1).padStart(width, "0")}`
  )
  const model = emptyModel(nodeNames, random, now, nodeCount > 3)
  const base = Math.floor(now / 1000)
  seedTemplatesAndIsos(model.storages, nodeNames, base)
  model.pools.set("production", { poolid: "production", comment: "Production workloads" })
  const roles = ["web", "db", "cache", "worker", "api", "mq", "log", "ci"]
  for (let i = 0; i < guestCount; i++) {
    const vmid = 100 + i
    const node = nodeNames[i % nodeNames.length]!
    const type: GuestType = random.next() < 0.8 ? "qemu" : "lxc"
    const role = random.pick(roles)
    const name = `${role}-${String(i + 1).padStart(5, "0")}`
    const tags = random.next() < 0.5 ? `${role};${random.pick(["prod", "staging", "dev"])}` : undefined
    const opts = {
      memory: random.pick([512, 1024, 2048, 4096, 8192]),
      cores: random.pick([1, 2, 4]),
      disk: random.pick([8, 16, 32, 64]),
      ...(tags === undefined ? {} : { tags })
    }
    const config = type === "qemu" ? qemuConfig(random, vmid, name, opts) : lxcConfig(random, vmid, name, opts)
    const guest = makeGuest(
      {
        vmid,
        type,
        node,
        running: random.next() < 0.6,
        config,
        ...(random.next() < 0.1 ? { pool: "production" } : {})
      },
      random,
      now
    )
    model.guests.set(vmid, guest)
    addGuestVolumes(model, guest, base - 30 * 86_400)
  }
  // Backups of most guests, on the shared storage or the guest's node; some guests have none.
  const nfs = model.storages.get("nfs-shared")!
  const local = model.storages.get("local")!
  for (const guest of model.guests.values()) {
    if (random.next() < 0.5) continue
    const count = random.next() < 0.8 ? 1 : 2
    for (let n = 0; n < count; n++) {
      const onShared = random.next() < 0.7
      const epoch = base - (n + 1) * 86_400 - random.int(0, 7200)
      const volume = backupVolume(
        onShared ? "nfs-shared" : "local",
        guest.type,
        guest.vmid,
        epoch,
        random.int(200, 4000) * MIB
      )
      volumesOn(onShared ? nfs : local, guest.node).set(volume.volid, volume)
    }
  }
  return model
}

const clusterOfSize = (options: GenerateOptions): ClusterModel => {
  const random = seededRandom(options.seed)
  switch (options.size) {
    case "tiny":
      return generatedCluster(random, options.now, options.nodes ?? 1, 4)
    case "large":
      return generatedCluster(random, options.now, options.nodes ?? 50, 10_000)
    case "small":
      return smallCluster(random, options.now, options.nodes ?? 3)
  }
}

export const generateCluster = (options: GenerateOptions): ClusterModel => {
  const model = clusterOfSize(options)
  seedTaskHistory(model, seededRandom(options.seed ^ 0x5eed7a5c), options.now)
  return model
}
