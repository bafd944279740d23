/**
 * Backups: `POST /nodes/{node}/vzdump` as a `vzdump` worker that locks each guest (`lock: backup`) and writes
 * an archive to the storage (failing with PVE's texts when a guest is locked or the storage is full), and the
 * scheduled backup jobs of `/cluster/backup`.
 */
import { splitList } from "../../src/proxmox/ApiSchema.js"
import { addGuestVolumes, backedUpConfig, backupVolume } from "../generate.js"
import {
  type BackupJob,
  type ConfigValue,
  diskKeyRe,
  type Guest,
  type GuestType,
  guestDisks,
  guestName,
  storageAvailableOn,
  storageUsed,
  type Volume,
  volumesOn
} from "../model.js"
import {
  die,
  lockForTask,
  paramError,
  permissionDenied,
  type Route,
  type RouteContext,
  type RouteResult,
  startGuestTask
} from "../routing.js"
import { storageAt } from "./storage.js"

const timestamp = (epochMs: number): string => new Date(epochMs).toISOString().replace("T", " ").slice(0, 19)

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`

/** The guests a vzdump call covers on this node. */
const selectGuests = (ctx: RouteContext, node: string): Array<Guest> => {
  const exclude = new Set(splitList(ctx.optStr("exclude") ?? "").map(Number))
  if (ctx.bool("all")) {
    return [...ctx.model.guests.values()].filter((guest) => guest.node === node && !exclude.has(guest.vmid))
  }
  const pool = ctx.optStr("pool")
  if (pool !== undefined) {
    return [...ctx.model.guests.values()].filter((guest) => guest.node === node && guest.pool === pool)
  }
  const vmids = splitList(ctx.optStr("vmid") ?? "").map(Number)
  if (vmids.length === 0) paramError({ vmid: "property is missing and it is not optional" })
  const guests: Array<Guest> = []
  for (const vmid of vmids) {
    const guest = ctx.model.guests.get(vmid)
    if (guest === undefined) die(`no such VM ('${vmid}')`)
    else if (guest.node === node) guests.push(guest)
  }
  return guests
}

const vzdump: Route = (ctx) => {
  const node = ctx.str("node")
  const storageId = ctx.optStr("storage") ?? "local"
  const storage = storageAt(ctx, storageId)
  if (!ctx.can(`/storage/${storageId}`, ["Datastore.AllocateSpace"])) {
    permissionDenied(`/storage/${storageId}, Datastore.AllocateSpace`)
  }
  const guests = selectGuests(ctx, node)
  for (const guest of guests) {
    if (!ctx.can(`/vms/${guest.vmid}`, ["VM.Backup"])) permissionDenied(`/vms/${guest.vmid}, VM.Backup`)
  }
  const mode = ctx.optStr("mode") ?? "snapshot"
  const compress = ctx.optStr("compress") ?? "0"
  const now = ctx.state.now
  const started = now()
  const id = guests.length === 1 ? String(guests[0]!.vmid) : ""
  const lines = [
    `INFO: starting new backup job: vzdump ${guests.map((g) => g.vmid).join(" ")} --storage ${storageId} --mode ${mode} --compress ${compress} --node ${node}`
  ]
  const failures: Array<string> = []
  const planned: Array<{ guest: Guest; size: number; release: () => void }> = []
  let free = storage.total - storageUsed(storage, node)
  const wrongContent = !storage.content.includes("backup")
  for (const guest of guests) {
    const label = guest.type === "qemu" ? "VM" : "CT"
    lines.push(`INFO: Starting Backup of ${label} ${guest.vmid} (${guest.type})`)
    lines.push(`INFO: Backup started at ${timestamp(started)}`)
    lines.push(`INFO: status = ${guest.status}`)
    if (guest.config.lock !== undefined) {
      const error = `ERROR: Backup of ${label} ${guest.vmid} failed - ${label} is locked (${guest.config.lock})`
      lines.push(error)
      failures.push(error)
      continue
    }
    const diskBytes = guestDisks(guest.config).reduce((sum, disk) => sum + disk.size, 0)
    const size = Math.max(64 * 1024 ** 2, Math.floor(diskBytes * 0.05))
    lines.push(`INFO: ${guest.type === "qemu" ? "VM Name" : "CT Name"}: ${guestName(guest)}`)
    for (const disk of guestDisks(guest.config))
      lines.push(`INFO: include disk '${disk.key}' '${disk.volid}' ${gib(disk.size)}`)
    lines.push(`INFO: backup mode: ${mode}`)
    if (size > free) {
      const error = `ERROR: Backup of ${label} ${guest.vmid} failed - vma_queue_write: write failed - No space left on device`
      lines.push(error)
      failures.push(error)
      continue
    }
    free -= size
    // vzdump prints how far it is; progress notifications carry these percentages
    for (let percent = 0; percent <= 100; percent += 10) {
      const seconds = Math.round((12 * percent) / 100)
      lines.push(
        `INFO: ${String(percent).padStart(3)}% (${gib((diskBytes * percent) / 100)} of ${gib(diskBytes)}) in ${seconds}s, read: 512.00 MiB/s, write: 480.00 MiB/s`
      )
    }
    lines.push(`INFO: transferred ${gib(diskBytes)} in 12 seconds`)
    lines.push(`INFO: archive file size: ${(size / 1024 ** 2).toFixed(0)}MB`)
    lines.push(`INFO: Finished Backup of ${label} ${guest.vmid} (00:00:12)`)
    // vzdump holds the guest lock for the whole job, as PVE does.
    guest.config.lock = "backup"
    planned.push({
      guest,
      size,
      release: () => {
        if (guest.config.lock === "backup") delete guest.config.lock
      }
    })
  }
  lines.push(failures.length === 0 ? "INFO: Backup job finished successfully" : "INFO: Backup job finished with errors")
  const error = wrongContent
    ? `can't use storage '${storageId}' for backups - wrong content type`
    : failures.length > 0
      ? "job errors"
      : undefined
  const notesTemplate = ctx.optStr("notes-template")
  const task = ctx.state.tasks.start({
    node,
    type: "vzdump",
    id,
    user: ctx.principal.authid,
    lines: wrongContent ? [] : lines,
    ...(error === undefined ? {} : { outcome: { _tag: "error", message: error } }),
    onEnd: () => {
      for (const entry of planned) entry.release()
    },
    onSuccess: () => {
      for (const { guest, size } of planned) {
        const volume = backupVolume(
          storageId,
          guest.type,
          guest.vmid,
          Math.floor(started / 1000),
          size,
          storage.type === "pbs"
        )
        const notes =
          notesTemplate === undefined
            ? undefined
            : notesTemplate
                .replace(/\{\{guestname\}\}/g, guestName(guest))
                .replace(/\{\{vmid\}\}/g, String(guest.vmid))
                .replace(/\{\{node\}\}/g, node)
        volumesOn(storage, node).set(volume.volid, {
          ...volume,
          config: backedUpConfig(guest),
          ...(notes === undefined ? {} : { notes }),
          ...(ctx.bool("protected") ? { protected: true } : {})
        })
      }
    }
  })
  return { data: task.upid }
}

const jobFields = [
  "schedule",
  "storage",
  "vmid",
  "all",
  "mode",
  "compress",
  "enabled",
  "notes-template",
  "comment",
  "prune-backups",
  "pool",
  "exclude",
  "node",
  "mailto",
  "mailnotification",
  "starttime",
  "dow"
] as const

/** The job as the API lists it: property strings such as prune-backups come back parsed. */
const jobView = (job: BackupJob): Record<string, unknown> => {
  const view: Record<string, unknown> = { type: "vzdump", ...job }
  if (typeof job["prune-backups"] === "string") {
    view["prune-backups"] = Object.fromEntries(
      job["prune-backups"].split(",").map((part) => {
        const [key = "", value = ""] = part.split("=")
        return [key, Number(value)]
      })
    )
  }
  return view
}

const jobAt = (ctx: RouteContext): BackupJob => {
  const job = ctx.model.backupJobs.get(ctx.str("id"))
  if (job === undefined) die(`job '${ctx.str("id")}' does not exist`)
  return job!
}

const applyJobParams = (ctx: RouteContext, job: Record<string, unknown>) => {
  for (const field of jobFields) {
    const value = ctx.optStr(field)
    if (value === undefined) continue
    job[field] = field === "enabled" || field === "all" ? Number(value) : value
  }
  for (const field of splitList(ctx.optStr("delete") ?? "")) delete job[field]
}

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

/**
 * When a job with a simple schedule (`[weekdays] HH:MM`, `daily`, `weekly`) runs next after `now` (epoch s, UTC);
 * undefined for schedules this simulator does not compute (PVE computes them all).
 */
export const nextRun = (schedule: string, now: number): number | undefined => {
  const text = { daily: "00:00", weekly: "mon 00:00" }[schedule.trim()] ?? schedule.trim()
  const match = /^(?:([a-z.,]+)\s+)?(\d{1,2}):(\d{2})$/.exec(text)
  if (match === null) return undefined
  const days = new Set<number>()
  for (const item of (match[1] ?? "sun..sat").split(",")) {
    const [from = "", to = from] = item.split("..")
    const a = WEEKDAYS.indexOf(from)
    const b = WEEKDAYS.indexOf(to)
    if (a < 0 || b < 0) return undefined
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d)
      if (d === b) break
    }
  }
  const midnight = Math.floor(now / 86_400) * 86_400
  for (let day = 0; day <= 7; day++) {
    const at = midnight + day * 86_400 + Number(match[2]) * 3600 + Number(match[3]) * 60
    if (at > now && days.has(new Date(at * 1000).getUTCDay())) return at
  }
  return undefined
}

const listJobs: Route = (ctx) => ({
  data: [...ctx.model.backupJobs.values()].map((job) => {
    const next = Number(job.enabled ?? 1) === 1 ? nextRun(job.schedule, Math.floor(ctx.now / 1000)) : undefined
    return { ...jobView(job), ...(next === undefined ? {} : { "next-run": next }) }
  })
})

const createJob: Route = (ctx) => {
  const id =
    ctx.optStr("id") ??
    `backup-${ctx.now.toString(16).slice(-8)}-${ctx.model.backupJobs.size.toString(16).padStart(2, "0")}`
  if (ctx.model.backupJobs.has(id)) die(`Job '${id}' already exists`)
  if (ctx.optStr("vmid") === undefined && !ctx.bool("all") && ctx.optStr("pool") === undefined) {
    paramError({ vmid: "property is missing and it is not optional" })
  }
  const job: Record<string, unknown> = {
    id,
    schedule: "00:00",
    storage: "local",
    mode: "snapshot",
    compress: "zstd",
    enabled: 1
  }
  applyJobParams(ctx, job)
  ctx.model.backupJobs.set(id, job as unknown as BackupJob)
  return { data: null }
}

const updateJob: Route = (ctx) => {
  applyJobParams(ctx, jobAt(ctx) as unknown as Record<string, unknown>)
  return { data: null }
}

const deleteJob: Route = (ctx) => {
  ctx.model.backupJobs.delete(jobAt(ctx).id)
  return { data: null }
}

export const backupRoutes: Record<string, Route> = {
  "POST /nodes/{node}/vzdump": vzdump,
  "GET /cluster/backup": listJobs,
  "POST /cluster/backup": createJob,
  "GET /cluster/backup/{id}": (ctx) => ({ data: jobView(jobAt(ctx)) }),
  "PUT /cluster/backup/{id}": updateJob,
  "DELETE /cluster/backup/{id}": deleteJob
}

/** The guest a restore creates: the backed-up configuration, its disks allocated anew for the target vmid. */
const restoredConfig = (
  ctx: RouteContext,
  archive: Volume,
  vmid: number,
  type: GuestType
): Record<string, ConfigValue> => {
  const config: Record<string, ConfigValue> = { ...(archive.config ?? {}) }
  const target = ctx.optStr("storage")
  let index = 0
  for (const [key, value] of Object.entries(config)) {
    if (!diskKeyRe.test(key) || typeof value !== "string" || value.includes("media=cdrom")) continue
    const [volid = "", ...options] = value.split(",")
    const storeId = target ?? volid.split(":")[0] ?? "local-lvm"
    config[key] = [`${storeId}:vm-${vmid}-disk-${index++}`, ...options].join(",")
  }
  if (archive.config === undefined) {
    // an archive without a recorded configuration: the smallest guest PVE would make of it
    const storeId = target ?? "local-lvm"
    if (type === "qemu")
      Object.assign(config, { memory: 2048, cores: 1, scsi0: `${storeId}:vm-${vmid}-disk-0,size=8G` })
    else Object.assign(config, { memory: 512, hostname: `CT${vmid}`, rootfs: `${storeId}:vm-${vmid}-disk-0,size=8G` })
  }
  if (ctx.optStr("storage") !== undefined) {
    const storage = ctx.model.storages.get(target!)
    if (storage === undefined) die(`storage '${target}' does not exist`)
  }
  return config
}

/**
 * A restore: `POST /nodes/{node}/qemu` with `archive`, or `POST /nodes/{node}/lxc` with `ostemplate` = the archive
 * and `restore=1` (pve-manager's qemu-server and pve-container create_vm). Over an existing guest only with `force`,
 * on the same node, stopped, not protected; as a `qmrestore`/`vzrestore` task holding the `create` lock.
 */
export const restoreArchive = (
  ctx: RouteContext,
  type: GuestType,
  makeGuest: (vmid: number, type: GuestType, node: string, config: Record<string, ConfigValue>) => Guest
): RouteResult => {
  const node = ctx.str("node")
  const vmid = ctx.int("vmid")
  const label = type === "qemu" ? "VM" : "CT"
  const emsg = `unable to restore ${label} ${vmid} -`
  const volid = ctx.str(type === "qemu" ? "archive" : "ostemplate")
  const storage = ctx.model.storages.get(volid.split(":")[0] ?? "")
  if (storage === undefined) die(`storage '${volid.split(":")[0]}' does not exist`)
  if (!storageAvailableOn(storage!, node)) die(`storage '${storage!.storage}' is not available on node '${node}'`)
  const archive = volumesOn(storage!, node).get(volid)
  if (archive === undefined || archive.content !== "backup") die(`volume '${volid}' does not exist`)
  const existing = ctx.model.guests.get(vmid)
  const force = ctx.bool("force")
  if (existing !== undefined) {
    const here = existing.node === node && existing.type === type
    if (!force || !here) {
      const taken = `${existing.type === "qemu" ? "VM" : "CT"} ${vmid} already exists on node '${existing.node}'`
      die(type === "qemu" ? `${emsg} ${taken}` : taken)
    }
    if (type === "lxc" && existing.status === "running") die("can't overwrite running container")
    if (existing.config.lock !== undefined) die(`${emsg} ${label} ${vmid} is locked (${existing.config.lock})`)
    if (Number(existing.config.protection ?? 0) === 1) die(`${emsg} protection mode enabled`)
    if (existing.status === "running") die(`${emsg} vm is running`)
  }
  const config = restoredConfig(ctx, archive!, vmid, type)
  const restored = makeGuest(vmid, type, node, config)
  const now = ctx.state.now
  const path = `${storage!.path ?? `/mnt/pve/${storage!.storage}`}/dump/${volid.slice(volid.indexOf("/") + 1)}`
  const disks = guestDisks(config)
  const lines =
    type === "qemu"
      ? [
          `restore vma archive: zstd -q -d -c ${path} | vma extract -v -r /var/tmp/vzdumptmp${vmid}.fifo - /var/tmp/vzdumptmp${vmid}`,
          `CFG: size: 512 name: qemu-server.conf`,
          ...disks.map((disk, i) => `DEV: dev_id=${i + 1} size: ${disk.size} devname: drive-${disk.key}`),
          ...disks.map((disk) => `  Logical volume "${disk.volid.split(":")[1]}" created.`),
          ...disks.map((disk) => `map 'drive-${disk.key}' to '/dev/pve/${disk.volid.split(":")[1]}' (write zeros = 0)`),
          "progress 100% (read 8589934592 bytes, duration 12 sec)",
          `total bytes read ${disks.reduce((sum, disk) => sum + disk.size, 0)}, sparse bytes 0 (0%)`,
          "rescan volumes..."
        ]
      : [
          `recovering backed-up configuration from '${volid}'`,
          ...disks.map((disk) => `  Logical volume "${disk.volid.split(":")[1]}" created.`),
          `restoring '${volid}' now..`,
          `extracting archive '${path}'`,
          `Total bytes read: ${archive!.size}`,
          "Detected container architecture: amd64",
          "merging backed-up configuration into new configuration.."
        ]
  // the guest's config is locked for the whole restore; an existing guest is replaced only when it succeeds
  const holder = existing ?? restored
  if (existing === undefined) ctx.model.guests.set(vmid, restored)
  const unlock = lockForTask(holder, "create")
  const start = ctx.bool("start")
  return startGuestTask(ctx, holder, type === "qemu" ? "qmrestore" : "vzrestore", {
    lines,
    onEnd: unlock,
    onSuccess: () => {
      if (existing !== undefined) {
        for (const store of ctx.model.storages.values()) {
          const volumes = volumesOn(store, existing.node)
          for (const [key, volume] of volumes) {
            if (volume.vmid === vmid && (volume.content === "images" || volume.content === "rootdir"))
              volumes.delete(key)
          }
        }
        delete restored.config.lock
        ctx.model.guests.set(vmid, restored)
      }
      addGuestVolumes(ctx.model, restored, Math.floor(now() / 1000))
      if (start) {
        restored.status = "running"
        restored.startedAt = now()
        restored.pid = 10_000 + vmid
      }
    }
  })
}
