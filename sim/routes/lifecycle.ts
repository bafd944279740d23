/**
 * Guest lifecycle: create (and restore), destroy, clone, migrate, convert to template, resize a disk.
 * Each is a task that locks the guest while it runs (`create`, `clone`, `migrate`, `disk`), with PVE's texts.
 */
import { splitList } from "../../src/proxmox/ApiSchema.js"
import { addGuestVolumes, seededRandom } from "../generate.js"
import {
  type ConfigValue,
  diskKeyRe,
  formatSize,
  GIB,
  type Guest,
  type GuestType,
  guestDigest,
  guestDisks,
  isTemplate,
  MIB,
  parseSize,
  storageAvailableOn,
  volumesOn
} from "../model.js"
import {
  checkLock,
  die,
  guestAt,
  guestLabel,
  lockForTask,
  paramError,
  type Route,
  type RouteContext,
  startGuestTask
} from "../routing.js"
import { restoreArchive } from "./backup.js"
import { normalizeTags, typedConfigValue } from "./guests.js"

const newGuest = (vmid: number, type: GuestType, node: string, config: Record<string, ConfigValue>): Guest => {
  const random = seededRandom(vmid)
  return {
    vmid,
    type,
    node,
    status: "stopped",
    paused: false,
    startedAt: 0,
    pid: 0,
    config,
    pending: {},
    pendingDelete: new Set(),
    snapshots: new Map(),
    parent: undefined,
    pool: undefined,
    haManaged: false,
    ignoresShutdown: false,
    cpuLoad: Number((random.next() * 0.2).toFixed(6)),
    memFraction: 0.3 + random.next() * 0.4,
    diskFraction: 0.2 + random.next() * 0.3,
    netBase: Math.floor(random.next() * 1_000_000_000)
  }
}

/** PVE::Cluster::check_vmid_unused; a VM create says so behind "unable to create VM …" (create_and_lock_config). */
const existsError = (ctx: RouteContext, type: GuestType, vmid: number, creating = false): string => {
  const existing = ctx.model.guests.get(vmid)
  if (existing === undefined) return ""
  const unused = `${guestLabel(existing.type)} ${vmid} already exists on node '${existing.node}'`
  if (creating) return type === "qemu" ? `unable to create VM ${vmid} - ${unused}` : unused
  return type === "qemu" && existing.node === ctx.str("node")
    ? `unable to create VM ${vmid}: config file already exists`
    : unused
}

/** `storage:size` allocation syntax (size in GiB) → a new volume spec with its volid. */
const allocateDisks = (
  ctx: RouteContext,
  type: GuestType,
  vmid: number,
  node: string,
  config: Record<string, ConfigValue>
) => {
  let index = 0
  for (const [key, value] of Object.entries(config)) {
    if (!diskKeyRe.test(key) || typeof value !== "string" || value.includes("media=cdrom")) continue
    const [first = "", ...options] = value.split(",")
    const alloc = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)$/i.exec(first)
    if (!alloc) continue
    const storage = usableStorage(ctx, alloc[1]!, node, type)
    const volid = `${storage.storage}:vm-${vmid}-disk-${index++}`
    // the EFI vars volume is the vars' size (4m vars on LVM: 4M), whatever size was asked
    const size = key === "efidisk0" ? 4 * MIB : Math.round(Number(alloc[2]) * GIB)
    config[key] = [volid, ...options.filter((option) => !option.startsWith("size=")), `size=${formatSize(size)}`].join(
      ","
    )
  }
  // qemu-server: `STORAGE:cloudinit` allocates the cloud-init drive, a CD-ROM
  for (const [key, value] of Object.entries(config)) {
    const drive = typeof value === "string" ? /^([a-z][a-z0-9\-_.]*[a-z0-9]):cloudinit$/i.exec(value) : null
    if (!diskKeyRe.test(key) || drive === null) continue
    const storage = usableStorage(ctx, drive[1]!, node, type)
    config[key] = `${storage.storage}:vm-${vmid}-cloudinit,media=cdrom`
  }
}

/** PVE check_storage_access: the storage exists, is on the node and takes guest disks. */
const usableStorage = (ctx: RouteContext, id: string, node: string, type: GuestType) => {
  const storage = ctx.model.storages.get(id)
  if (storage === undefined) return die(`storage '${id}' does not exist`)
  if (!storageAvailableOn(storage, node)) die(`storage '${id}' is not available on node '${node}'`)
  const content = type === "qemu" ? "images" : "rootdir"
  if (!storage.content.includes(content))
    paramError({
      storage: `storage '${id}' does not support ${type === "qemu" ? "vm images" : "container directories"}`
    })
  return storage
}

const configFromParams = (
  ctx: RouteContext,
  type: GuestType,
  skip: ReadonlySet<string>
): Record<string, ConfigValue> => {
  const config: Record<string, ConfigValue> = {}
  for (const [key, raw] of Object.entries(ctx.params)) {
    if (skip.has(key) || raw === undefined || raw === null) continue
    config[key] = key === "tags" ? normalizeTags(String(raw)) : typedConfigValue(ctx.state, type, key, raw)
  }
  return config
}

const createSkip = new Set([
  "node",
  "vmid",
  "archive",
  "ostemplate",
  "storage",
  "start",
  "pool",
  "force",
  "unique",
  "password",
  "ssh-public-keys",
  "restore",
  "live-restore",
  "bwlimit",
  "ignore-unpack-errors"
])

const create =
  (type: GuestType): Route =>
  (ctx) => {
    const node = ctx.str("node")
    const vmid = ctx.int("vmid")
    const archive = ctx.optStr(type === "qemu" ? "archive" : "ostemplate")
    const restoring = type === "qemu" ? archive !== undefined : /:backup\//.test(archive ?? "")
    // a restore (an archive, or lxc's restore flag) is backup.ts's; from here on the guest is made new
    if (restoring || (type === "lxc" && ctx.bool("restore"))) return restoreArchive(ctx, type, newGuest)
    const taken = existsError(ctx, type, vmid, true)
    if (taken !== "") die(taken)
    if (type === "lxc" && archive === undefined)
      paramError({ ostemplate: "property is missing and it is not optional" })
    const pool = ctx.optStr("pool")
    if (pool !== undefined && !ctx.model.pools.has(pool)) die(`no such pool '${pool}'`)
    if (archive !== undefined) {
      const [storeId = ""] = archive.split(":")
      const storage = ctx.model.storages.get(storeId)
      if (storage === undefined || !volumesOn(storage, node).has(archive)) die(`volume '${archive}' does not exist`)
    }
    const config = configFromParams(ctx, type, createSkip)
    if (type === "lxc") {
      config.rootfs = ctx.optStr("rootfs") ?? `${ctx.optStr("storage") ?? "local-lvm"}:8`
      config.arch ??= "amd64"
      config.ostype ??= "debian"
      config.memory ??= 512
      config.swap ??= 512
    } else {
      config.memory ??= "2048"
      config.meta = `creation-qemu=9.2.0,ctime=${Math.floor(ctx.now / 1000)}`
    }
    allocateDisks(ctx, type, vmid, node, config)
    const guest = newGuest(vmid, type, node, config)
    if (pool !== undefined) guest.pool = pool
    ctx.model.guests.set(vmid, guest)
    const unlock = lockForTask(guest, "create")
    const start = ctx.bool("start")
    const now = ctx.state.now
    const lines = guestDisks(config).map((disk) => `  Logical volume "${disk.volid.split(":")[1]}" created.`)
    return startGuestTask(ctx, guest, type === "qemu" ? "qmcreate" : "vzcreate", {
      lines,
      onEnd: unlock,
      onSuccess: () => {
        addGuestVolumes(ctx.model, guest, Math.floor(now() / 1000))
        if (start) {
          guest.status = "running"
          guest.startedAt = now()
          guest.pid = 10_000 + vmid
        }
      }
    })
  }

const destroy =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    if (!ctx.bool("skiplock")) checkLock(guest)
    if (Number(guest.config.protection ?? 0) === 1)
      die(`can't remove ${guestLabel(type)} ${guest.vmid} - protection mode enabled`)
    if (guest.status === "running") {
      die(
        type === "qemu"
          ? `VM ${guest.vmid} is running - destroy failed`
          : `unable to destroy CT ${guest.vmid} - container is running`
      )
    }
    const purge = ctx.bool("purge")
    if (guest.haManaged && !purge)
      die(`unable to remove ${guestLabel(type)} ${guest.vmid} - used in HA resources and purge parameter not set.`)
    const unlock = lockForTask(guest, "destroyed")
    const disks = guestDisks(guest.config)
    return startGuestTask(ctx, guest, type === "qemu" ? "qmdestroy" : "vzdestroy", {
      lines: disks.map((disk) => `  Logical volume "${disk.volid.split(":")[1]}" successfully removed.`),
      onEnd: unlock,
      onSuccess: () => {
        ctx.model.guests.delete(guest.vmid)
        for (const storage of ctx.model.storages.values()) {
          const volumes = volumesOn(storage, guest.node)
          for (const [volid, volume] of volumes) {
            if (volume.vmid === guest.vmid && (volume.content === "images" || volume.content === "rootdir"))
              volumes.delete(volid)
          }
        }
        if (purge) {
          for (const job of ctx.model.backupJobs.values()) {
            if (job.vmid === undefined) continue
            const rest = splitList(job.vmid).filter((id) => id !== String(guest.vmid))
            job.vmid = rest.join(",")
          }
          // replication jobs of the guest, and the guest as an HA resource (a rule left without one goes too)
          for (const [id, job] of ctx.model.replicationJobs)
            if (job.guest === guest.vmid) ctx.model.replicationJobs.delete(id)
          const sid = `${type === "qemu" ? "vm" : "ct"}:${guest.vmid}`
          for (const [name, rule] of ctx.model.haRules) {
            const rest = splitList(rule.resources).filter((resource) => resource !== sid)
            if (rest.length === 0) ctx.model.haRules.delete(name)
            else rule.resources = rest.join(",")
          }
        }
      }
    })
  }

const clone =
  (type: GuestType): Route =>
  (ctx) => {
    const source = guestAt(ctx, type)
    const newid = ctx.int("newid")
    const target = ctx.optStr("target") ?? source.node
    if (!ctx.model.nodes.has(target)) die(`no such node '${target}'`)
    const taken = existsError(ctx, type, newid)
    if (taken !== "") die(taken)
    const template = isTemplate(source)
    const full = ctx.optStr("full") === undefined ? !template : ctx.bool("full")
    if (!full && ctx.optStr("storage") !== undefined)
      paramError({ storage: "parameter 'storage' not allowed for linked clones" })
    if (!full && !template)
      die(`Linked clone feature is not supported for drive '${guestDisks(source.config)[0]?.key ?? "scsi0"}'`)
    if (target !== source.node && !full) die("Linked clone feature only works on the same node")
    if (source.config.lock !== undefined && source.config.lock !== "clone") checkLock(source)
    const pool = ctx.optStr("pool")
    if (pool !== undefined && !ctx.model.pools.has(pool)) die(`no such pool '${pool}'`)
    const storage = ctx.optStr("storage")
    const config: Record<string, ConfigValue> = { ...source.config }
    delete config.template
    delete config.lock
    const name = ctx.optStr(type === "qemu" ? "name" : "hostname")
    if (name !== undefined) config[type === "qemu" ? "name" : "hostname"] = name
    else if (type === "qemu") config.name = `Copy-of-VM-${String(source.config.name ?? source.vmid)}`
    const description = ctx.optStr("description")
    if (description !== undefined) config.description = description
    const lines: Array<string> = []
    let index = 0
    for (const disk of guestDisks(source.config)) {
      const [storeId = "local-lvm"] = disk.volid.split(":")
      const volid = `${full ? (storage ?? storeId) : storeId}:vm-${newid}-disk-${index++}`
      const value = String(source.config[disk.key])
      config[disk.key] = [volid, ...value.split(",").slice(1)].join(",")
      lines.push(
        full
          ? `drive-${disk.key}: transferred ${formatSize(disk.size)} of ${formatSize(disk.size)} (100.00%)`
          : `create linked clone of drive ${disk.key} (${disk.volid})`
      )
    }
    const guest = newGuest(newid, type, target, config)
    if (pool !== undefined) guest.pool = pool
    ctx.model.guests.set(newid, guest)
    const unlock = lockForTask(guest, type === "qemu" ? "clone" : "create")
    const now = ctx.state.now
    return startGuestTask(ctx, source, type === "qemu" ? "qmclone" : "vzclone", {
      lines,
      onEnd: unlock,
      onSuccess: () => addGuestVolumes(ctx.model, guest, Math.floor(now() / 1000))
    })
  }

/** Disks on storages that are not shared: they move with the guest. */
const localDisks = (ctx: RouteContext, guest: Guest) =>
  guestDisks(guest.config).filter((disk) => !ctx.model.storages.get(disk.volid.split(":")[0] ?? "")?.shared)

/** ISO images of a node's own storage in a CD-ROM drive: they keep a VM from migrating ("local cdrom image"). */
const localCdroms = (ctx: RouteContext, guest: Guest) =>
  Object.entries(guest.config).flatMap(([key, value]) => {
    if (!diskKeyRe.test(key) || typeof value !== "string" || !value.includes("media=cdrom")) return []
    const volid = value.split(",")[0]!
    const storage = ctx.model.storages.get(volid.split(":")[0] ?? "")
    if (storage === undefined || storage.shared || !volid.includes(":iso/")) return []
    return [{ key, volid, size: volumesOn(storage, guest.node).get(volid)?.size ?? 0 }]
  })

/** PCI and USB passthrough: PVE's check_local_resources. */
const localResources = (guest: Guest) =>
  Object.entries(guest.config)
    .filter(([key, value]) => /^hostpci\d+$/.test(key) || (/^usb\d+$/.test(key) && !String(value).startsWith("spice")))
    .map(([key]) => key)

/** `GET …/migrate`: the nodes a VM could move to (every other online node that has its storages) and its local disks and devices. */
const migrationTargets: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  const others = [...ctx.model.nodes.values()].filter((node) => node.name !== guest.node)
  const unavailable = (node: string) =>
    [...new Set(guestDisks(guest.config).map((disk) => disk.volid.split(":")[0] ?? ""))].filter((id) => {
      const storage = ctx.model.storages.get(id)
      return storage !== undefined && !storageAvailableOn(storage, node)
    })
  const online = others.filter((node) => node.online)
  return {
    data: {
      running: guest.status === "running",
      allowed_nodes: online.filter((node) => unavailable(node.name).length === 0).map((node) => node.name),
      not_allowed_nodes: Object.fromEntries([
        ...others.filter((node) => !node.online).map((node) => [node.name, { unavailable_storages: [] }]),
        ...online
          .filter((node) => unavailable(node.name).length > 0)
          .map((node) => [node.name, { unavailable_storages: unavailable(node.name) }])
      ]),
      local_disks: [
        ...localDisks(ctx, guest).map((disk) => ({
          volid: disk.volid,
          size: disk.size,
          drivename: disk.key,
          cdrom: 0,
          is_unused: 0
        })),
        ...localCdroms(ctx, guest).map((drive) => ({
          volid: drive.volid,
          size: drive.size,
          drivename: drive.key,
          cdrom: 1,
          is_unused: 0
        }))
      ],
      local_resources: localResources(guest),
      "mapped-resources": [],
      "mapped-resource-info": {},
      "has-dbus-vmstate": false
    }
  }
}

const migrate =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    const target = ctx.str("target")
    const targetNode = ctx.model.nodes.get(target)
    if (target === guest.node) paramError({ target: "target is local node." })
    if (targetNode === undefined) die(`no such cluster node '${target}'`)
    if (!targetNode!.online) die(`target node '${target}' is not online`)
    checkLock(guest)
    if (guest.status === "running") {
      if (type === "qemu" && !ctx.bool("online")) die(`can't migrate running VM without --online`)
      if (type === "lxc" && ctx.bool("online")) die("lxc live migration is currently not implemented")
      if (type === "lxc" && !ctx.bool("restart")) die("running container can only be migrated in restart mode")
    }
    const disks = localDisks(ctx, guest)
    // QemuMigrate's prepare and scan_local_volumes run in the worker: these refusals end the task with an error
    const resources = type === "qemu" ? localResources(guest) : []
    const cdroms = type === "qemu" ? localCdroms(ctx, guest) : []
    const error =
      resources.length > 0 && !ctx.bool("force")
        ? `can't migrate VM which uses local devices: ${resources.join(", ")}`
        : cdroms.length > 0
          ? `can't migrate local disk '${cdroms[0]!.volid}': local cdrom image`
          : type === "qemu" && guest.status === "running" && disks.length > 0 && !ctx.bool("with-local-disks")
            ? "can't live migrate attached local disks without with-local-disks option"
            : undefined
    const source = guest.node
    const unlock = lockForTask(guest, "migrate")
    if (error !== undefined) {
      return startGuestTask(ctx, guest, type === "qemu" ? "qmigrate" : "vzmigrate", {
        lines: [`starting migration of ${guestLabel(type)} ${guest.vmid} to node '${target}' (${targetNode!.ip})`],
        error: `migration aborted (duration 00:00:01): ${error}`,
        onEnd: unlock
      })
    }
    const lines = [
      `starting migration of ${guestLabel(type)} ${guest.vmid} to node '${target}' (${targetNode!.ip})`,
      ...disks.map((disk) => `found local disk '${disk.volid}' (attached)`),
      ...(guest.status !== "running"
        ? []
        : type === "qemu"
          ? ["migration active, transferred 1.0 GiB of 2.0 GiB VM-state", "migration completed"]
          : [`shutdown CT ${guest.vmid}`, `start container on target node '${target}'`]),
      "migration finished successfully (duration 00:00:05)"
    ]
    return startGuestTask(ctx, guest, type === "qemu" ? "qmigrate" : "vzmigrate", {
      lines,
      onEnd: unlock,
      onSuccess: () => {
        for (const disk of disks) {
          const storage = ctx.model.storages.get(disk.volid.split(":")[0] ?? "")
          if (storage === undefined) continue
          const volume = volumesOn(storage, source).get(disk.volid)
          if (volume === undefined) continue
          volumesOn(storage, source).delete(disk.volid)
          volumesOn(storage, target).set(disk.volid, volume)
        }
        guest.node = target
      }
    })
  }

const toTemplate =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    checkLock(guest)
    if (isTemplate(guest)) die(`you can't convert a template to a template`)
    if (guest.status === "running")
      die(
        `you can't convert a ${type === "qemu" ? "VM" : "CT"} to template if ${type === "qemu" ? "VM" : "CT"} is running`
      )
    const convert = () => {
      guest.config.template = 1
      for (const disk of guestDisks(guest.config)) {
        const based = disk.volid.replace(/:vm-/, ":base-")
        guest.config[disk.key] = String(guest.config[disk.key]).replace(disk.volid, based)
      }
    }
    if (type === "lxc") {
      convert()
      return { data: null }
    }
    return startGuestTask(ctx, guest, "qmtemplate", { onSuccess: convert })
  }

const resize =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    if (!ctx.bool("skiplock")) checkLock(guest)
    const digest = ctx.optStr("digest")
    if (digest !== undefined && digest !== guestDigest(guest))
      die("detected modified configuration - file changed by other user? Try again.")
    const key = ctx.str("disk")
    const value = guest.config[key]
    if (value === undefined || typeof value !== "string") die(`disk '${key}' does not exist`)
    const current = parseSize(/size=([^,]+)/.exec(String(value))?.[1] ?? "0")
    const sizeText = ctx.str("size")
    const match = /^(\+)?(\d+(?:\.\d+)?)([KMGT])?$/.exec(sizeText)
    if (!match) die(`invalid size: ${sizeText}`)
    const amount = parseSize(`${match![2]}${match![3] ?? ""}`)
    const wanted = match![1] === "+" ? current + amount : amount
    if (wanted < current) die("shrinking disks is not supported")
    const unlock = lockForTask(guest, "disk")
    return startGuestTask(ctx, guest, "resize", {
      lines: [
        `  Size of logical volume pve/vm-${guest.vmid}-disk-0 changed from ${formatSize(current)} to ${formatSize(wanted)}.`
      ],
      onEnd: unlock,
      onSuccess: () => {
        guest.config[key] = String(guest.config[key]).replace(/size=[^,]+/, `size=${formatSize(wanted)}`)
        const volid = String(guest.config[key]).split(",")[0]!
        for (const storage of ctx.model.storages.values()) {
          const volume = volumesOn(storage, guest.node).get(volid)
          if (volume !== undefined) volume.size = wanted
        }
      }
    })
  }

export const lifecycleRoutes: Record<string, Route> = {
  "POST /nodes/{node}/qemu": create("qemu"),
  "POST /nodes/{node}/lxc": create("lxc"),
  "DELETE /nodes/{node}/qemu/{vmid}": destroy("qemu"),
  "DELETE /nodes/{node}/lxc/{vmid}": destroy("lxc"),
  "POST /nodes/{node}/qemu/{vmid}/clone": clone("qemu"),
  "POST /nodes/{node}/lxc/{vmid}/clone": clone("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/migrate": migrationTargets,
  "POST /nodes/{node}/qemu/{vmid}/migrate": migrate("qemu"),
  "POST /nodes/{node}/lxc/{vmid}/migrate": migrate("lxc"),
  "POST /nodes/{node}/qemu/{vmid}/template": toTemplate("qemu"),
  "POST /nodes/{node}/lxc/{vmid}/template": toTemplate("lxc"),
  "PUT /nodes/{node}/qemu/{vmid}/resize": resize("qemu"),
  "PUT /nodes/{node}/lxc/{vmid}/resize": resize("lxc")
}
