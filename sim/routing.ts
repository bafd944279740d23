/**
 * What every endpoint implementation gets (the cluster, the caller, validated parameters) and how it fails
 * (PVE's `die` → 500 with the message, `raise_param_exc` → 400 with per-parameter errors).
 */
import type { ApiSchema, EndpointDef } from "../src/proxmox/ApiSchema.js"
import type { Auth } from "./auth.js"
import { type Principal, privilegesOn } from "./auth.js"
import { type ClusterModel, configPath, type Guest, type GuestType } from "./model.js"
import type { TaskEngine } from "./tasks.js"

export interface SimState {
  readonly model: ClusterModel
  readonly tasks: TaskEngine
  readonly auth: Auth
  readonly schema: ApiSchema
  readonly now: () => number
  /** Configured running time of a worker type. */
  readonly taskDuration: (type: string) => number
}

/** A PVE error response: status and message (with PVE's trailing newline), plus parameter errors for 400s. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Readonly<Record<string, string>>
  ) {
    super(message)
  }
}

/** PVE `die "…\n"` inside a handler: HTTP 500 with the text. */
export const die = (message: string): never => {
  throw new SimHttpError(500, message.endsWith("\n") ? message : `${message}\n`)
}

/** PVE raise_param_exc: HTTP 400 "Parameter verification failed." with errors. */
export const paramError = (errors: Record<string, string>): never => {
  throw new SimHttpError(400, "Parameter verification failed.\n", errors)
}

/** PVE raise_perm_exc. */
export const permissionDenied = (what?: string): never => {
  throw new SimHttpError(403, what === undefined ? "Permission check failed\n" : `Permission check failed (${what})\n`)
}

export interface RouteResult {
  readonly data: unknown
  readonly total?: number
  readonly changes?: unknown
}

export interface RouteContext {
  readonly state: SimState
  readonly model: ClusterModel
  readonly endpoint: EndpointDef
  readonly principal: Principal
  readonly params: Readonly<Record<string, unknown>>
  readonly now: number
  readonly str: (name: string) => string
  readonly optStr: (name: string) => string | undefined
  readonly int: (name: string) => number
  readonly optInt: (name: string) => number | undefined
  readonly bool: (name: string, fallback?: boolean) => boolean
  /** Whether the caller holds the privileges on the path (all of them, or any with `any`). */
  readonly can: (path: string, privs: ReadonlyArray<string>, any?: boolean) => boolean
}

export type Route = (ctx: RouteContext) => RouteResult

export const makeRouteContext = (
  state: SimState,
  endpoint: EndpointDef,
  principal: Principal,
  params: Readonly<Record<string, unknown>>
): RouteContext => {
  const optStr = (name: string): string | undefined => {
    const value = params[name]
    if (value === undefined || value === null) return undefined
    if (typeof value === "boolean") return value ? "1" : "0"
    return String(value)
  }
  const poolOf = (vmid: number) => state.model.guests.get(vmid)?.pool
  const cache = new Map<string, ReadonlySet<string>>()
  return {
    state,
    model: state.model,
    endpoint,
    principal,
    params,
    now: state.now(),
    optStr,
    str: (name) => optStr(name) ?? "",
    int: (name) => Number(optStr(name)),
    optInt: (name) => {
      const value = optStr(name)
      return value === undefined ? undefined : Number(value)
    },
    bool: (name, fallback = false) => {
      const value = optStr(name)
      return value === undefined ? fallback : value === "1" || value === "true"
    },
    can: (path, privs, any = false) => {
      let held = cache.get(path)
      if (held === undefined) {
        held = privilegesOn(principal, path, poolOf)
        cache.set(path, held)
      }
      return any ? privs.some((priv) => held.has(priv)) : privs.every((priv) => held.has(priv))
    }
  }
}

export const guestLabel = (type: GuestType): string => (type === "qemu" ? "VM" : "CT")

/** The guest addressed by {node}/{qemu|lxc}/{vmid}; PVE reads the config from that node's directory. */
export const guestAt = (ctx: RouteContext, type: GuestType): Guest => {
  const node = ctx.str("node")
  const vmid = ctx.int("vmid")
  const guest = ctx.model.guests.get(vmid)
  if (guest === undefined || guest.type !== type || guest.node !== node) {
    return die(`Configuration file '${configPath(node, type, vmid)}' does not exist`)
  }
  return guest
}

/** PVE::AbstractConfig check_lock. */
export const checkLock = (guest: Guest): void => {
  const lock = guest.config.lock
  if (lock !== undefined) die(`${guestLabel(guest.type)} ${guest.vmid} is locked (${lock})`)
}

/** PVE check_protection. */
export const checkNotTemplate = (guest: Guest, what: string): void => {
  if (Number(guest.config.template ?? 0) === 1) die(`${what} - ${guestLabel(guest.type)} ${guest.vmid} is a template`)
}

/** Starts a worker for a guest, as the calling principal; answers with the UPID like PVE. */
export const startGuestTask = (
  ctx: RouteContext,
  guest: Guest,
  type: string,
  fields: {
    readonly lines?: ReadonlyArray<string>
    readonly error?: string
    readonly warnings?: number
    readonly durationMs?: number
    readonly onSuccess?: () => void
    readonly onEnd?: () => void
    readonly node?: string
  }
): RouteResult => {
  const task = ctx.state.tasks.start({
    node: fields.node ?? guest.node,
    type,
    id: String(guest.vmid),
    user: ctx.principal.authid,
    ...(fields.lines === undefined ? {} : { lines: fields.lines }),
    ...(fields.error !== undefined
      ? { outcome: { _tag: "error", message: fields.error } }
      : fields.warnings !== undefined && fields.warnings > 0
        ? { outcome: { _tag: "warnings", count: fields.warnings } }
        : {}),
    ...(fields.durationMs === undefined ? {} : { durationMs: fields.durationMs }),
    ...(fields.onSuccess === undefined ? {} : { onSuccess: fields.onSuccess }),
    ...(fields.onEnd === undefined ? {} : { onEnd: fields.onEnd })
  })
  return { data: task.upid }
}

/** Locks the guest for the task's duration (`lock: backup` etc. in its config), as PVE's lock_config does. */
export const lockForTask = (guest: Guest, lock: string): (() => void) => {
  guest.config.lock = lock
  return () => {
    if (guest.config.lock === lock) delete guest.config.lock
  }
}
