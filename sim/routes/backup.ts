/**
 * Backups: `POST /nodes/{node}/vzdump` as a `vzdump` worker that locks each guest (`lock: backup`) and writes
 * an archive to the storage (failing with PVE's texts when a guest is locked or the storage is full), and the
 * scheduled backup jobs of `/cluster/backup`.
 */
import { splitList } from "../../src/proxmox/ApiSchema.js"
import { backupVolume } from "../generate.js"
import { type BackupJob, type Guest, guestDisks, guestName, storageUsed, volumesOn } from "../model.js"
import { die, paramError, permissionDenied, type Route, type RouteContext } from "../routing.js"
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
        const volume = backupVolume(storageId, guest.type, guest.vmid, Math.floor(started / 1000), size)
        const notes =
          notesTemplate === undefined
            ? undefined
            : notesTemplate
                .replace(/\{\{guestname\}\}/g, guestName(guest))
                .replace(/\{\{vmid\}\}/g, String(guest.vmid))
                .replace(/\{\{node\}\}/g, node)
        volumesOn(storage, node).set(volume.volid, {
          ...volume,
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

const listJobs: Route = (ctx) => ({ data: [...ctx.model.backupJobs.values()].map(jobView) })

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
