import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type ClusterResource, getClusterResources } from "./cluster.js"
import { call, type Endpoint, endpoint, TaskUpid } from "./Endpoint.js"
import { InvalidInput, type ProxmoxError, PveNotFound } from "./errors.js"
import { validateSegment } from "./Path.js"
import { executePlanToEnd, type Plan, plan, planStep } from "./Plan.js"
import type { Params, ProxmoxClient } from "./ProxmoxClient.js"
import { PveBoolean, PveInt, PveNumber } from "./WireSchemas.js"

export const GuestType = Schema.Literal("qemu", "lxc")
export type GuestType = typeof GuestType.Type

/** Where a guest lives. VMIDs are unique in a cluster, so a vmid alone identifies a guest. */
export interface GuestRef {
  readonly vmid: number
  readonly node: string
  readonly type: GuestType
  readonly name: string | undefined
  /** the live status, when finding the guest already read it (looked up on a given node) */
  readonly current?: GuestStatus
}

export const GuestSummary = Schema.Struct({
  vmid: Schema.Number,
  name: Schema.optional(Schema.String),
  type: GuestType,
  node: Schema.String,
  status: Schema.String,
  template: Schema.Boolean,
  tags: Schema.Array(Schema.String),
  pool: Schema.optional(Schema.String),
  lock: Schema.optional(Schema.String),
  hastate: Schema.optional(Schema.String),
  cpu: Schema.optional(Schema.Number),
  maxcpu: Schema.optional(Schema.Number),
  mem: Schema.optional(Schema.Number),
  maxmem: Schema.optional(Schema.Number),
  disk: Schema.optional(Schema.Number),
  maxdisk: Schema.optional(Schema.Number),
  netin: Schema.optional(Schema.Number),
  netout: Schema.optional(Schema.Number),
  diskread: Schema.optional(Schema.Number),
  diskwrite: Schema.optional(Schema.Number),
  uptime: Schema.optional(Schema.Number)
})
export type GuestSummary = typeof GuestSummary.Type

export interface GuestFilter {
  readonly type?: GuestType | undefined
  readonly node?: string | undefined
  readonly status?: string | undefined
  /** guests carrying this tag */
  readonly tag?: string | undefined
  readonly pool?: string | undefined
  /** a name test (a glob or substring, decided by the caller) */
  readonly name?: ((name: string | undefined) => boolean) | undefined
}

/** PVE separates tags with ';' (also ',' and spaces in older configs). */
export const splitTags = (tags: string | undefined) => (tags ?? "").split(/[;, ]+/).filter((t) => t !== "")

/** The guests among /cluster/resources rows, filtered, by vmid. */
export const guestsOfResources = (
  resources: ReadonlyArray<ClusterResource>,
  filter: GuestFilter = {}
): ReadonlyArray<GuestSummary> =>
  resources
    .filter(
      (r): r is typeof r & { vmid: number; node: string } =>
        (r.type === "qemu" || r.type === "lxc") && r.vmid !== undefined && r.node !== undefined
    )
    .map(
      (r): GuestSummary => ({
        vmid: r.vmid,
        name: r.name,
        type: r.type as GuestType,
        node: r.node,
        status: r.status ?? "unknown",
        template: r.template ?? false,
        tags: splitTags(r.tags),
        pool: r.pool,
        lock: r.lock,
        hastate: r.hastate,
        cpu: r.cpu,
        maxcpu: r.maxcpu,
        mem: r.mem,
        maxmem: r.maxmem,
        disk: r.disk,
        maxdisk: r.maxdisk,
        netin: r.netin,
        netout: r.netout,
        diskread: r.diskread,
        diskwrite: r.diskwrite,
        uptime: r.uptime
      })
    )
    .filter(
      (g) =>
        (filter.type === undefined || g.type === filter.type) &&
        (filter.node === undefined || g.node === filter.node) &&
        (filter.status === undefined || g.status === filter.status) &&
        (filter.tag === undefined || g.tags.includes(filter.tag)) &&
        (filter.pool === undefined || g.pool === filter.pool) &&
        (filter.name === undefined || filter.name(g.name))
    )
    .sort((a, b) => a.vmid - b.vmid)

/** VMs and containers of the whole cluster from /cluster/resources, filtered. */
export const listGuests = (filter: GuestFilter = {}) =>
  Effect.gen(function* () {
    if (filter.node !== undefined) yield* validateSegment("node", filter.node)
    return guestsOfResources(yield* getClusterResources("vm"), filter)
  })

export const GuestStatus = Schema.Struct({
  vmid: PveInt,
  status: Schema.String,
  name: Schema.optional(Schema.String),
  qmpstatus: Schema.optional(Schema.String),
  lock: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.String),
  template: Schema.optional(PveBoolean),
  agent: Schema.optional(PveBoolean),
  cpu: Schema.optional(PveNumber),
  cpus: Schema.optional(PveNumber),
  mem: Schema.optional(PveNumber),
  maxmem: Schema.optional(PveNumber),
  disk: Schema.optional(PveNumber),
  maxdisk: Schema.optional(PveNumber),
  uptime: Schema.optional(PveNumber),
  pid: Schema.optional(PveInt),
  netin: Schema.optional(PveNumber),
  netout: Schema.optional(PveNumber),
  "running-qemu": Schema.optional(Schema.String),
  ha: Schema.optional(Schema.Struct({ managed: Schema.optional(PveBoolean), state: Schema.optional(Schema.String) }))
})
export type GuestStatus = typeof GuestStatus.Type

type GuestTemplate<S extends string> = `/nodes/{node}/${GuestType}/{vmid}${S}`

/** The same endpoint for VMs and for containers: `/nodes/{node}/qemu/{vmid}…` and `/nodes/{node}/lxc/{vmid}…`. */
const guestEndpoints = <const S extends string, A, I>(
  method: "GET" | "POST" | "PUT" | "DELETE",
  suffix: S,
  response: Schema.Schema<A, I>
): { readonly [T in GuestType]: Endpoint<GuestTemplate<S>, A, I> } => ({
  qemu: endpoint(method, `/nodes/{node}/qemu/{vmid}${suffix}` as GuestTemplate<S>, response),
  lxc: endpoint(method, `/nodes/{node}/lxc/{vmid}${suffix}` as GuestTemplate<S>, response)
})

export const guestStatusEndpoints = guestEndpoints("GET", "/status/current", GuestStatus)

/**
 * Finds a guest's node and type. With `node`, /cluster/resources is skipped and the guest is looked up on that
 * node only, so a guest that is elsewhere is reported missing rather than silently addressed.
 */
export const resolveGuest = (vmid: number, node?: string): Effect.Effect<GuestRef, ProxmoxError, ProxmoxClient> =>
  Effect.gen(function* () {
    yield* validateSegment("vmid", vmid)
    if (node !== undefined) {
      yield* validateSegment("node", node)
      for (const type of ["qemu", "lxc"] as const) {
        const found = yield* call(guestStatusEndpoints[type], { node, vmid }).pipe(
          Effect.map((s) => ({ vmid, node, type, name: s.name, current: s }) satisfies GuestRef),
          Effect.catchTag("PveNotFound", () => Effect.succeed(undefined))
        )
        if (found !== undefined) return found
      }
      return yield* new PveNotFound({ message: `no VM or container ${vmid} on node ${node}` })
    }
    const guests = yield* listGuests()
    const guest = guests.find((g) => g.vmid === vmid)
    if (guest === undefined) {
      return yield* new PveNotFound({ message: `no VM or container with id ${vmid} in the cluster` })
    }
    return { vmid, node: guest.node, type: guest.type, name: guest.name } satisfies GuestRef
  })

export const getGuestStatus = (guest: GuestRef) =>
  call(guestStatusEndpoints[guest.type], { node: guest.node, vmid: guest.vmid })

/** A guest config: keys are PVE's own (cores, memory, net0, scsi0, …); values as PVE sends them. */
export const GuestConfig = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const guestConfigEndpoints = guestEndpoints("GET", "/config", GuestConfig)

export const getGuestConfig = (
  guest: GuestRef,
  options: { readonly current?: boolean; readonly snapshot?: string } = {}
) =>
  Effect.gen(function* () {
    if (options.snapshot !== undefined) yield* validateSegment("snapname", options.snapshot)
    return yield* call(
      guestConfigEndpoints[guest.type],
      { node: guest.node, vmid: guest.vmid },
      { current: options.current, snapshot: options.snapshot }
    )
  })

export const PowerAction = Schema.Literal("start", "shutdown", "stop", "reboot", "reset", "suspend", "resume")
export type PowerAction = typeof PowerAction.Type

/** `POST …/status/{action}` for each guest type; containers have no reset. */
export const powerEndpoints = {
  start: guestEndpoints("POST", "/status/start", TaskUpid),
  shutdown: guestEndpoints("POST", "/status/shutdown", TaskUpid),
  stop: guestEndpoints("POST", "/status/stop", TaskUpid),
  reboot: guestEndpoints("POST", "/status/reboot", TaskUpid),
  reset: { qemu: endpoint("POST", "/nodes/{node}/qemu/{vmid}/status/reset", TaskUpid) },
  suspend: guestEndpoints("POST", "/status/suspend", TaskUpid),
  resume: guestEndpoints("POST", "/status/resume", TaskUpid)
} as const

/** The endpoints of one power action, for a tool's list of what it may call. */
export const powerActionEndpoints = (action: PowerAction) => Object.values(powerEndpoints[action])

/**
 * The plan of a power action: one task, waited for; the answer reads the guest's status afterwards.
 */
export const powerPlan = (guest: GuestRef, action: PowerAction, params: Params = {}) =>
  Effect.gen(function* () {
    const endpoints: Partial<Record<GuestType, Endpoint<GuestTemplate<`/status/${string}`>, string, string>>> =
      powerEndpoints[action]
    const target = endpoints[guest.type]
    if (target === undefined) {
      return yield* new InvalidInput({ field: "action", message: "containers cannot be reset; use reboot or stop" })
    }
    const step = yield* planStep(target, { node: guest.node, vmid: guest.vmid }, params)
    return plan([step], (done) =>
      Effect.gen(function* () {
        const outcome = done[0]!.task!
        const after = yield* getGuestStatus(guest)
        return {
          ...outcome,
          vmid: guest.vmid,
          node: guest.node,
          guestType: guest.type,
          action,
          statusAfter: after.status
        }
      })
    )
  })

export type PowerPlan = Effect.Effect.Success<ReturnType<typeof powerPlan>>
export type PowerOutcome = PowerPlan extends Plan<infer O, infer _R> ? O : never

/** Runs a power action as a PVE task, waits for it, and reads the guest's status afterwards (no policies: embedding). */
export const changePowerState = (guest: GuestRef, action: PowerAction, params: Params = {}) =>
  powerPlan(guest, action, params).pipe(
    Effect.flatMap(executePlanToEnd),
    Effect.catchTag("PlanFailed", (e) => Effect.fail(e.failure)),
    Effect.withSpan("guests.changePowerState", { attributes: { vmid: guest.vmid, action } })
  )
