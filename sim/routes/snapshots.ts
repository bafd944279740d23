/**
 * Snapshots: a tree (each with `parent`) plus the pseudo-entry `current`, create / rollback / delete as
 * `qmsnapshot` / `qmrollback` / `qmdelsnapshot` (`vz…` for containers) tasks that lock the guest meanwhile.
 */
import { type Guest, type GuestType, isTemplate } from "../model.js"
import { checkLock, die, guestAt, lockForTask, type Route, type RouteContext, startGuestTask } from "../routing.js"

const prefix = (type: GuestType) => (type === "qemu" ? "qm" : "vz")

const snapshotOf = (guest: Guest, name: string) => {
  const snapshot = guest.snapshots.get(name)
  if (snapshot === undefined) die(`snapshot '${name}' does not exist`)
  return snapshot!
}

const list =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    const data: Array<Record<string, unknown>> = [...guest.snapshots.values()].map((snapshot) => ({
      name: snapshot.name,
      description: snapshot.description,
      snaptime: snapshot.snaptime,
      ...(type === "qemu" ? { vmstate: snapshot.vmstate ? 1 : 0 } : {}),
      ...(snapshot.parent === undefined ? {} : { parent: snapshot.parent })
    }))
    data.push({
      name: "current",
      description: "You are here!",
      ...(guest.parent === undefined ? {} : { parent: guest.parent }),
      ...(type === "qemu" && guest.status === "running" ? { running: 1 } : {})
    })
    return { data }
  }

const create =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    const name = ctx.str("snapname")
    if (name === "current") die("invalid snapshot name 'current'")
    checkLock(guest)
    if (guest.snapshots.has(name)) die(`snapshot name '${name}' already used`)
    if (isTemplate(guest)) die("you can't take a snapshot if it's a template")
    const vmstate = type === "qemu" && ctx.bool("vmstate") && guest.status === "running"
    const unlock = lockForTask(guest, "snapshot")
    const lines =
      type === "qemu"
        ? vmstate
          ? ["saving VM state and RAM using storage 'local-lvm'", "completed saving the VM state in 2s"]
          : [`snapshotting 'drive-scsi0' (${String(guest.config.scsi0 ?? "").split(",")[0]})`]
        : ["create full clone of mountpoint rootfs"]
    return startGuestTask(ctx, guest, `${prefix(type)}snapshot`, {
      lines,
      onEnd: unlock,
      onSuccess: () => {
        const config = { ...guest.config }
        delete config.lock
        guest.snapshots.set(name, {
          name,
          description: ctx.optStr("description") ?? "",
          snaptime: Math.floor(ctx.state.now() / 1000),
          vmstate,
          parent: guest.parent,
          config
        })
        guest.parent = name
      }
    })
  }

const rollback =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    const name = ctx.str("snapname")
    const snapshot = snapshotOf(guest, name)
    checkLock(guest)
    const start = ctx.bool("start")
    const unlock = lockForTask(guest, "rollback")
    const lines = guest.status === "running" ? [`stopping ${type === "qemu" ? "VM" : "CT"} for rollback`] : []
    return startGuestTask(ctx, guest, `${prefix(type)}rollback`, {
      lines,
      onEnd: unlock,
      onSuccess: () => {
        guest.config = { ...snapshot.config }
        guest.pending = {}
        guest.pendingDelete = new Set()
        guest.parent = name
        // A snapshot with RAM resumes running; otherwise the guest is stopped unless `start` was asked.
        const running = snapshot.vmstate || start
        guest.status = running ? "running" : "stopped"
        guest.startedAt = running ? ctx.state.now() : 0
      }
    })
  }

const remove =
  (type: GuestType): Route =>
  (ctx) => {
    const guest = guestAt(ctx, type)
    const name = ctx.str("snapname")
    snapshotOf(guest, name)
    if (!ctx.bool("force")) checkLock(guest)
    const unlock = lockForTask(guest, "snapshot-delete")
    return startGuestTask(ctx, guest, `${prefix(type)}delsnapshot`, {
      onEnd: unlock,
      onSuccess: () => {
        const removed = guest.snapshots.get(name)
        if (removed === undefined) return
        guest.snapshots.delete(name)
        // Children of the removed snapshot now hang off its parent.
        for (const [key, snapshot] of guest.snapshots) {
          if (snapshot.parent === name) guest.snapshots.set(key, { ...snapshot, parent: removed.parent })
        }
        if (guest.parent === name) guest.parent = removed.parent
      }
    })
  }

const index =
  (type: GuestType): Route =>
  (ctx) => {
    snapshotOf(guestAt(ctx, type), ctx.str("snapname"))
    return {
      data: [
        { rel: "child", href: "rollback" },
        { rel: "child", href: "config" }
      ]
    }
  }

const readSnapshotConfig =
  (type: GuestType): Route =>
  (ctx) => ({ data: { ...snapshotOf(guestAt(ctx, type), ctx.str("snapname")).config } })

const updateSnapshot =
  (type: GuestType): Route =>
  (ctx: RouteContext) => {
    const snapshot = snapshotOf(guestAt(ctx, type), ctx.str("snapname"))
    const description = ctx.optStr("description")
    if (description !== undefined) snapshot.description = description
    return { data: null }
  }

const routesFor = (type: GuestType): Record<string, Route> => {
  const base = `/nodes/{node}/${type}/{vmid}/snapshot`
  return {
    [`GET ${base}`]: list(type),
    [`POST ${base}`]: create(type),
    [`GET ${base}/{snapname}`]: index(type),
    [`DELETE ${base}/{snapname}`]: remove(type),
    [`POST ${base}/{snapname}/rollback`]: rollback(type),
    [`GET ${base}/{snapname}/config`]: readSnapshotConfig(type),
    [`PUT ${base}/{snapname}/config`]: updateSnapshot(type)
  }
}

export const snapshotRoutes: Record<string, Route> = { ...routesFor("qemu"), ...routesFor("lxc") }
