/** Guest lists, status and configuration (with pending changes) for QEMU VMs and LXC containers. */
import { propertySchema, splitList } from "../../src/proxmox/ApiSchema.js"
import {
  type ConfigValue,
  diskKeyRe,
  formatSize,
  GIB,
  type Guest,
  type GuestType,
  guestDigest,
  volumesOn
} from "../model.js"
import {
  checkLock,
  die,
  guestAt,
  type Route,
  type RouteContext,
  SimHttpError,
  type SimState,
  startGuestTask
} from "../routing.js"
import { guestCurrentStatus, guestListEntry } from "./guestViews.js"

const listGuests =
  (type: GuestType): Route =>
  (ctx) => {
    const node = ctx.str("node")
    const data: Array<Record<string, unknown>> = []
    for (const guest of ctx.model.guests.values()) {
      if (guest.type !== type || guest.node !== node) continue
      if (!ctx.can(`/vms/${guest.vmid}`, ["VM.Audit"])) continue
      data.push(guestListEntry(guest, ctx.now))
    }
    return { data }
  }

const currentStatus =
  (type: GuestType): Route =>
  (ctx) => ({ data: guestCurrentStatus(guestAt(ctx, type), ctx.now) })

const guestIndex =
  (type: GuestType): Route =>
  (ctx) => {
    guestAt(ctx, type)
    const subdirs =
      type === "qemu"
        ? ["config", "pending", "status", "snapshot", "firewall", "rrd", "rrddata", "migrate", "clone", "resize"]
        : ["config", "pending", "status", "snapshot", "firewall", "rrd", "rrddata", "migrate", "clone", "resize"]
    return { data: subdirs.map((subdir) => ({ subdir })) }
  }

/** Config values as GET config sends them: integer and boolean keys as numbers, everything else as strings. */
export const typedConfigValue = (state: SimState, type: GuestType, key: string, value: unknown): ConfigValue => {
  const endpoint = state.schema.endpoint("GET", `/nodes/{node}/${type}/{vmid}/config`)
  const schema =
    endpoint?.returns.properties === undefined ? undefined : propertySchema(endpoint.returns.properties, key)
  if (schema?.type === "integer" || schema?.type === "boolean") {
    return typeof value === "boolean" ? (value ? 1 : 0) : Number(value)
  }
  return typeof value === "boolean" ? (value ? "1" : "0") : String(value)
}

/** PVE stores tags de-duplicated and sorted, separated by `;`. */
export const normalizeTags = (tags: string): string => [...new Set(splitList(tags))].sort().join(";")

const readConfig =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    const snapname = ctx.optStr("snapshot")
    if (snapname !== undefined) {
      const snapshot = guest.snapshots.get(snapname)
      if (snapshot === undefined) die(`snapshot '${snapname}' does not exist`)
      return { data: { ...snapshot!.config, digest: guestDigest(guest) } }
    }
    const config: Record<string, ConfigValue> = { ...guest.config }
    if (!ctx.bool("current")) {
      for (const key of guest.pendingDelete) delete config[key]
      Object.assign(config, guest.pending)
    }
    if (guest.parent !== undefined) config.parent = guest.parent
    return { data: { ...config, digest: guestDigest(guest) } }
  }

const pendingList =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    const keys = new Set([...Object.keys(guest.config), ...Object.keys(guest.pending), ...guest.pendingDelete])
    const data = [...keys].sort().map((key) => {
      const entry: Record<string, unknown> = { key }
      if (guest.config[key] !== undefined) entry.value = guest.config[key]
      if (guest.pending[key] !== undefined) entry.pending = guest.pending[key]
      if (guest.pendingDelete.has(key)) entry.delete = 1
      return entry
    })
    return { data }
  }

/** Parameters of a config update that are not config keys. */
const controlParams = new Set(["node", "vmid", "digest", "delete", "revert", "skiplock", "force", "background_delay"])

/** Options qemu-server applies at once even while the VM runs ($fast_plug_option); the rest wait for a restart. */
const qemuHotOptions = new Set([
  "name",
  "onboot",
  "shares",
  "startup",
  "description",
  "protection",
  "vmstatestorage",
  "hookscript",
  "tags",
  "lock"
])
const lxcColdOptions = /^(rootfs|mp\d+|features|unprivileged|ostype|arch|dev\d+)$/

/** What a running VM takes at once by its `hotplug` option (default `network,disk,usb`; `0` none, `1` the default). */
const qemuHotplugged = (guest: Guest, key: string): boolean => {
  const raw = String(guest.config.hotplug ?? "network,disk,usb")
  const kinds = new Set(raw === "1" ? ["network", "disk", "usb"] : raw === "0" ? [] : raw.split(","))
  return (
    (kinds.has("network") && /^net\d+$/.test(key)) ||
    (kinds.has("disk") && /^(scsi|virtio)\d+$/.test(key)) ||
    (kinds.has("usb") && /^usb\d+$/.test(key))
  )
}

const isCdrom = (value: unknown): boolean => typeof value === "string" && value.includes("media=cdrom")

/** qemu-server changes (or ejects) a running VM's CD-ROM medium at once, whatever its hotplug option. */
const cdromMediumChange = (guest: Guest, key: string, value: unknown): boolean =>
  guest.type === "qemu" && /^(ide|sata|scsi)\d+$/.test(key) && isCdrom(guest.config[key]) && isCdrom(value)

const appliesNow = (guest: Guest, key: string, value?: unknown): boolean =>
  guest.status !== "running" ||
  cdromMediumChange(guest, key, value) ||
  (guest.type === "qemu" ? qemuHotOptions.has(key) || qemuHotplugged(guest, key) : !lxcColdOptions.test(key))

/**
 * A new disk in PVE's allocation syntax (`scsi1: local-lvm:10`, size in GiB) becomes a volume of the guest, as
 * qemu-server and pve-container allocate it when the config is updated; anything else is kept as given.
 */
const allocateNewDisk = (ctx: RouteContext, guest: Guest, key: string, value: ConfigValue): ConfigValue => {
  if (!diskKeyRe.test(key) || typeof value !== "string" || value.includes("media=cdrom")) return value
  const [first = "", ...options] = value.split(",")
  const alloc = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)$/i.exec(first)
  if (alloc === null) return value
  const storage = ctx.model.storages.get(alloc[1]!)
  if (storage === undefined) return die(`storage '${alloc[1]}' does not exist`)
  const volumes = volumesOn(storage, guest.node)
  let index = 0
  while (volumes.has(`${storage.storage}:vm-${guest.vmid}-disk-${index}`)) index++
  const volid = `${storage.storage}:vm-${guest.vmid}-disk-${index}`
  const size = Math.round(Number(alloc[2]) * GIB)
  volumes.set(volid, {
    volid,
    content: guest.type === "lxc" ? "rootdir" : "images",
    format: storage.type === "lvmthin" ? "raw" : "qcow2",
    size,
    vmid: guest.vmid,
    ctime: Math.floor(ctx.now / 1000)
  })
  return [volid, ...options.filter((o) => !o.startsWith("size=")), `size=${formatSize(size)}`].join(",")
}

/** The update shared by PUT (sync) and POST (qmconfig task) config. */
const updateConfig = (ctx: RouteContext, guest: Guest): void => {
  if (!ctx.bool("skiplock")) checkLock(guest)
  const digest = ctx.optStr("digest")
  if (digest !== undefined && digest !== guestDigest(guest)) {
    die("detected modified configuration - file changed by other user? Try again.")
  }
  for (const key of splitList(ctx.optStr("revert") ?? "")) {
    delete guest.pending[key]
    guest.pendingDelete.delete(key)
  }
  for (const key of splitList(ctx.optStr("delete") ?? "")) {
    if (guest.config[key] === undefined && guest.pending[key] === undefined) continue
    if (appliesNow(guest, key)) {
      delete guest.config[key]
      delete guest.pending[key]
    } else {
      delete guest.pending[key]
      guest.pendingDelete.add(key)
    }
  }
  for (const [key, raw] of Object.entries(ctx.params)) {
    if (controlParams.has(key) || raw === undefined || raw === null) continue
    const typed = key === "tags" ? normalizeTags(String(raw)) : typedConfigValue(ctx.state, guest.type, key, raw)
    const value = allocateNewDisk(ctx, guest, key, typed)
    if (appliesNow(guest, key, value)) {
      guest.config[key] = value
      delete guest.pending[key]
    } else {
      guest.pending[key] = value
    }
    guest.pendingDelete.delete(key)
  }
}

const putConfig =
  (type: GuestType): Route =>
  (ctx) => {
    updateConfig(ctx, guestAt(ctx, type))
    return { data: null }
  }

/**
 * POST config: the same update, run as a `qmconfig` worker. qemu-server checks the lock and the digest inside
 * the worker, so a stale digest answers a UPID and the task fails with PVE's text.
 */
const postConfig: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  try {
    updateConfig(ctx, guest)
  } catch (error) {
    if (!(error instanceof SimHttpError) || error.status !== 500) throw error
    return startGuestTask(ctx, guest, "qmconfig", { error: error.message.trim(), durationMs: 20 })
  }
  return startGuestTask(ctx, guest, "qmconfig", {})
}

export const guestRoutes: Record<string, Route> = {
  "GET /nodes/{node}/qemu": listGuests("qemu"),
  "GET /nodes/{node}/lxc": listGuests("lxc"),
  "GET /nodes/{node}/qemu/{vmid}": guestIndex("qemu"),
  "GET /nodes/{node}/lxc/{vmid}": guestIndex("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/status/current": currentStatus("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/status/current": currentStatus("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/config": readConfig("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/config": readConfig("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/pending": pendingList("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/pending": pendingList("lxc"),
  "PUT /nodes/{node}/qemu/{vmid}/config": putConfig("qemu"),
  "POST /nodes/{node}/qemu/{vmid}/config": postConfig,
  "PUT /nodes/{node}/lxc/{vmid}/config": putConfig("lxc")
}
