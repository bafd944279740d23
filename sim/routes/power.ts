/**
 * `POST /nodes/{node}/{qemu|lxc}/{vmid}/status/{start|stop|shutdown|reboot|reset|suspend|resume}`:
 * real tasks with PVE's failure texts. qemu-server does most checks inside the worker (so they surface as a
 * failed task, e.g. `VM 102 already running`); pve-container checks before forking (HTTP 500 `CT 105 not running`).
 */
import { type Guest, type GuestType, isTemplate } from "../model.js"
import { checkLock, die, guestAt, guestLabel, type Route, type RouteContext, startGuestTask } from "../routing.js"

/** Pending changes take effect when a guest (re)starts. */
export const applyPending = (guest: Guest): void => {
  for (const key of guest.pendingDelete) delete guest.config[key]
  Object.assign(guest.config, guest.pending)
  guest.pending = {}
  guest.pendingDelete = new Set()
}

const markStarted = (guest: Guest, now: () => number, pidSeed: number) => {
  applyPending(guest)
  guest.status = "running"
  guest.paused = false
  guest.startedAt = now()
  guest.pid = 1000 + ((pidSeed * 7919) % 3_000_000)
}

const markStopped = (guest: Guest) => {
  guest.status = "stopped"
  guest.paused = false
  guest.pid = 0
  guest.startedAt = 0
}

const taskDuration = (ctx: RouteContext, type: string): number => ctx.state.taskDuration(type)

const startTask = startGuestTask

/** The worker-side lock check of qemu-server's vm_start / vm_stop (skiplock bypasses it). */
const workerLockError = (ctx: RouteContext, guest: Guest): string | undefined =>
  guest.config.lock !== undefined && !ctx.bool("skiplock")
    ? `${guestLabel(guest.type)} ${guest.vmid} is locked (${guest.config.lock})`
    : undefined

const haRequest = (ctx: RouteContext, guest: Guest, action: "start" | "stop", apply: () => void) =>
  startTask(ctx, guest, action === "start" ? "hastart" : "hastop", {
    lines: [`Requesting HA ${action} for ${guestLabel(guest.type)} ${guest.vmid}`],
    onSuccess: apply
  })

const qemuStart: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  if (isTemplate(guest)) die("you can't start a vm if it's a template")
  const now = ctx.state.now
  if (guest.haManaged) return haRequest(ctx, guest, "start", () => markStarted(guest, now, guest.vmid))
  const error =
    workerLockError(ctx, guest) ?? (guest.status === "running" ? `VM ${guest.vmid} already running` : undefined)
  return startTask(ctx, guest, "qmstart", {
    ...(error === undefined ? {} : { error, durationMs: Math.min(50, taskDuration(ctx, "qmstart")) }),
    onSuccess: () => markStarted(guest, now, guest.vmid + ctx.now)
  })
}

const qemuStop: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  if (guest.haManaged) return haRequest(ctx, guest, "stop", () => markStopped(guest))
  const error = workerLockError(ctx, guest)
  return startTask(ctx, guest, "qmstop", {
    ...(error === undefined ? {} : { error }),
    onSuccess: () => markStopped(guest)
  })
}

const qemuShutdown: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  if (guest.status === "running" && guest.paused && !ctx.bool("forceStop")) die("VM is paused - cannot shutdown")
  if (guest.haManaged) return haRequest(ctx, guest, "stop", () => markStopped(guest))
  const lockError = workerLockError(ctx, guest)
  if (lockError !== undefined) return startTask(ctx, guest, "qmshutdown", { error: lockError })
  if (guest.status !== "running") return startTask(ctx, guest, "qmshutdown", {})
  if (!guest.ignoresShutdown) return startTask(ctx, guest, "qmshutdown", { onSuccess: () => markStopped(guest) })
  // The guest ignores ACPI: qemu-server waits `timeout` seconds, then fails or (forceStop) kills it.
  const timeoutSeconds = ctx.optInt("timeout")
  const durationMs = timeoutSeconds === undefined ? 2 * taskDuration(ctx, "qmshutdown") : timeoutSeconds * 1000
  if (ctx.bool("forceStop")) {
    return startTask(ctx, guest, "qmshutdown", {
      durationMs,
      lines: ["VM still running - terminating now with SIGTERM"],
      onSuccess: () => markStopped(guest)
    })
  }
  return startTask(ctx, guest, "qmshutdown", { durationMs, error: "VM quit/powerdown failed - got timeout" })
}

const requireRunning = (guest: Guest): void => {
  if (guest.status !== "running") die(`${guestLabel(guest.type)} ${guest.vmid} not running`)
}

const qemuReboot: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  requireRunning(guest)
  const now = ctx.state.now
  if (guest.ignoresShutdown) {
    return startTask(ctx, guest, "qmreboot", {
      durationMs: 2 * taskDuration(ctx, "qmreboot"),
      error: "VM quit/powerdown failed - got timeout"
    })
  }
  return startTask(ctx, guest, "qmreboot", { onSuccess: () => markStarted(guest, now, guest.vmid + 1) })
}

const qemuReset: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  checkLock(guest)
  requireRunning(guest)
  const now = ctx.state.now
  return startTask(ctx, guest, "qmreset", { onSuccess: () => markStarted(guest, now, guest.vmid + 2) })
}

const qemuSuspend: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  requireRunning(guest)
  if (ctx.bool("todisk")) {
    return startTask(ctx, guest, "qmsuspend", {
      onSuccess: () => {
        markStopped(guest)
        guest.config.lock = "suspended"
      }
    })
  }
  return startTask(ctx, guest, "qmpause", { onSuccess: () => (guest.paused = true) })
}

const qemuResume: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  const now = ctx.state.now
  if (guest.config.lock === "suspended") {
    return startTask(ctx, guest, "qmresume", {
      onSuccess: () => {
        delete guest.config.lock
        markStarted(guest, now, guest.vmid + 3)
      }
    })
  }
  requireRunning(guest)
  return startTask(ctx, guest, "qmresume", { onSuccess: () => (guest.paused = false) })
}

const lxcStart: Route = (ctx) => {
  const guest = guestAt(ctx, "lxc")
  if (guest.status === "running") die(`CT ${guest.vmid} already running`)
  if (!ctx.bool("skiplock")) checkLock(guest)
  if (isTemplate(guest)) die("you can't start a CT if it's a template")
  const now = ctx.state.now
  if (guest.haManaged) return haRequest(ctx, guest, "start", () => markStarted(guest, now, guest.vmid))
  return startTask(ctx, guest, "vzstart", { onSuccess: () => markStarted(guest, now, guest.vmid + ctx.now) })
}

const lxcStop: Route = (ctx) => {
  const guest = guestAt(ctx, "lxc")
  requireRunning(guest)
  if (!ctx.bool("skiplock")) checkLock(guest)
  if (guest.haManaged) return haRequest(ctx, guest, "stop", () => markStopped(guest))
  return startTask(ctx, guest, "vzstop", { onSuccess: () => markStopped(guest) })
}

const lxcShutdown: Route = (ctx) => {
  const guest = guestAt(ctx, "lxc")
  requireRunning(guest)
  checkLock(guest)
  if (guest.haManaged) return haRequest(ctx, guest, "stop", () => markStopped(guest))
  if (guest.ignoresShutdown && !ctx.bool("forceStop")) {
    const timeoutSeconds = ctx.optInt("timeout")
    return startTask(ctx, guest, "vzshutdown", {
      durationMs: timeoutSeconds === undefined ? 2 * taskDuration(ctx, "vzshutdown") : timeoutSeconds * 1000,
      error: "shutdown failed: container did not stop"
    })
  }
  return startTask(ctx, guest, "vzshutdown", { onSuccess: () => markStopped(guest) })
}

const lxcReboot: Route = (ctx) => {
  const guest = guestAt(ctx, "lxc")
  requireRunning(guest)
  const now = ctx.state.now
  return startTask(ctx, guest, "vzreboot", { onSuccess: () => markStarted(guest, now, guest.vmid + 1) })
}

const lxcSuspend: Route = (ctx) => {
  const guest = guestAt(ctx, "lxc")
  requireRunning(guest)
  return startTask(ctx, guest, "vzsuspend", { onSuccess: () => (guest.paused = true) })
}

const lxcResume: Route = (ctx) => {
  const guest = guestAt(ctx, "lxc")
  requireRunning(guest)
  return startTask(ctx, guest, "vzresume", { onSuccess: () => (guest.paused = false) })
}

const statusIndex =
  (type: GuestType): Route =>
  (ctx) => {
    guestAt(ctx, type)
    const commands =
      type === "qemu"
        ? ["current", "reboot", "reset", "resume", "shutdown", "start", "stop", "suspend"]
        : ["current", "reboot", "resume", "shutdown", "start", "stop", "suspend"]
    return { data: commands.map((subdir) => ({ subdir })) }
  }

export const powerRoutes: Record<string, Route> = {
  "GET /nodes/{node}/qemu/{vmid}/status": statusIndex("qemu"),
  "POST /nodes/{node}/qemu/{vmid}/status/start": qemuStart,
  "POST /nodes/{node}/qemu/{vmid}/status/stop": qemuStop,
  "POST /nodes/{node}/qemu/{vmid}/status/shutdown": qemuShutdown,
  "POST /nodes/{node}/qemu/{vmid}/status/reboot": qemuReboot,
  "POST /nodes/{node}/qemu/{vmid}/status/reset": qemuReset,
  "POST /nodes/{node}/qemu/{vmid}/status/suspend": qemuSuspend,
  "POST /nodes/{node}/qemu/{vmid}/status/resume": qemuResume,
  "GET /nodes/{node}/lxc/{vmid}/status": statusIndex("lxc"),
  "POST /nodes/{node}/lxc/{vmid}/status/start": lxcStart,
  "POST /nodes/{node}/lxc/{vmid}/status/stop": lxcStop,
  "POST /nodes/{node}/lxc/{vmid}/status/shutdown": lxcShutdown,
  "POST /nodes/{node}/lxc/{vmid}/status/reboot": lxcReboot,
  "POST /nodes/{node}/lxc/{vmid}/status/suspend": lxcSuspend,
  "POST /nodes/{node}/lxc/{vmid}/status/resume": lxcResume
}
