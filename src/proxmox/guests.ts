import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type ClusterResource, getClusterResources } from "./cluster.js"
import { call, type Endpoint, endpoint, TaskUpid } from "./Endpoint.js"
import { InvalidInput, type ProxmoxError, PveNotFound, PveServerError } from "./errors.js"
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

// ── Guest operations beyond power: config changes, disks, delete, template, addresses ──

/** One row of `GET …/pending`: the current value, the value waiting for a restart, or a delete waiting for one. */
export const PendingEntry = Schema.Struct({
  key: Schema.String,
  value: Schema.optional(Schema.Unknown),
  pending: Schema.optional(Schema.Unknown),
  delete: Schema.optional(PveInt)
})
export type PendingEntry = typeof PendingEntry.Type

export const guestPendingEndpoints = guestEndpoints("GET", "/pending", Schema.Array(PendingEntry))

/**
 * How a config change is sent: a VM's through `POST …/config`, a `qmconfig` task (allocating a new disk can take
 * longer than an HTTP request may), a container's through `PUT …/config`, the only one pve-container has (sync).
 */
export const configUpdateEndpoints = {
  qemu: endpoint("POST", "/nodes/{node}/qemu/{vmid}/config", TaskUpid),
  lxc: endpoint("PUT", "/nodes/{node}/lxc/{vmid}/config", Schema.Null)
} as const

/** `PUT …/resize` answers a task id (PVE 8 and later) for both guest types. */
export const resizeEndpoints = guestEndpoints("PUT", "/resize", TaskUpid)

/** `DELETE /nodes/{node}/{qemu|lxc}/{vmid}`: a `qmdestroy` / `vzdestroy` task. */
export const destroyEndpoints = guestEndpoints("DELETE", "", TaskUpid)

/** A VM's conversion is a `qmtemplate` task; a container's is done within the request (it answers null). */
export const templateEndpoints = {
  qemu: endpoint("POST", "/nodes/{node}/qemu/{vmid}/template", TaskUpid),
  lxc: endpoint("POST", "/nodes/{node}/lxc/{vmid}/template", Schema.Null)
} as const

/** An address as the guest agent and pve-container report it (`ipv4`/`ipv6` from the agent, `inet`/`inet6` from lxc). */
const IpAddress = Schema.Struct({
  "ip-address": Schema.optional(Schema.String),
  "ip-address-type": Schema.optional(Schema.String),
  prefix: Schema.optional(PveInt)
})

/** One interface of the guest agent's `guest-network-get-interfaces` (passed through by PVE as `{result: […]}`). */
export const AgentInterface = Schema.Struct({
  name: Schema.String,
  "hardware-address": Schema.optional(Schema.String),
  "ip-addresses": Schema.optional(Schema.Array(IpAddress))
})

export const agentNetworkEndpoint = endpoint(
  "GET",
  "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
  Schema.Struct({ result: Schema.Array(AgentInterface) })
)

/** `GET /nodes/{node}/lxc/{vmid}/interfaces`: null while the container is not running. */
export const LxcInterface = Schema.Struct({
  name: Schema.String,
  hwaddr: Schema.optional(Schema.String),
  "hardware-address": Schema.optional(Schema.String),
  inet: Schema.optional(Schema.String),
  inet6: Schema.optional(Schema.String),
  "ip-addresses": Schema.optional(Schema.Array(IpAddress))
})

export const lxcInterfacesEndpoint = endpoint(
  "GET",
  "/nodes/{node}/lxc/{vmid}/interfaces",
  Schema.NullOr(Schema.Array(LxcInterface))
)

/** A guest's network interface, the same for both sources. */
export interface GuestInterface {
  readonly name: string
  readonly mac: string | undefined
  /** `address/prefix` */
  readonly ipv4: ReadonlyArray<string>
  readonly ipv6: ReadonlyArray<string>
}

const addressesOf = (addresses: ReadonlyArray<typeof IpAddress.Type>, family: "4" | "6") =>
  addresses
    .filter((a) => a["ip-address"] !== undefined && familyOf(a) === family)
    .map((a) => (a.prefix === undefined ? a["ip-address"]! : `${a["ip-address"]}/${a.prefix}`))

const familyOf = (a: typeof IpAddress.Type): "4" | "6" | undefined => {
  const type = a["ip-address-type"]
  if (type === "ipv4" || type === "inet") return "4"
  if (type === "ipv6" || type === "inet6") return "6"
  return a["ip-address"]?.includes(":") ? "6" : a["ip-address"] === undefined ? undefined : "4"
}

/**
 * The addresses of a guest: a VM's from its QEMU guest agent, a container's from pve-container. PVE's own texts
 * for an agent that is not configured or not answering become errors that say what to do.
 */
export const getGuestInterfaces = (
  guest: GuestRef
): Effect.Effect<ReadonlyArray<GuestInterface> | undefined, ProxmoxError, ProxmoxClient> =>
  guest.type === "lxc"
    ? Effect.map(call(lxcInterfacesEndpoint, { node: guest.node, vmid: guest.vmid }), (rows) =>
        rows === null
          ? undefined
          : rows.map((row) => ({
              name: row.name,
              mac: row["hardware-address"] ?? row.hwaddr,
              // pve-container before `ip-addresses` (PVE 7) sent one `inet` and one `inet6` per interface
              ipv4: row["ip-addresses"] === undefined ? [row.inet ?? []].flat() : addressesOf(row["ip-addresses"], "4"),
              ipv6: row["ip-addresses"] === undefined ? [row.inet6 ?? []].flat() : addressesOf(row["ip-addresses"], "6")
            }))
      )
    : call(agentNetworkEndpoint, { node: guest.node, vmid: guest.vmid }).pipe(
        Effect.map(({ result }) =>
          result.map((row) => ({
            name: row.name,
            mac: row["hardware-address"],
            ipv4: addressesOf(row["ip-addresses"] ?? [], "4"),
            ipv6: addressesOf(row["ip-addresses"] ?? [], "6")
          }))
        ),
        Effect.catchTag("PveServerError", (e) => Effect.fail(agentProblem(guest, e)))
      )

/** PVE's guest agent errors (qemu-server assert_agent_available), rewritten to say what to do. */
const agentProblem = (guest: GuestRef, e: PveServerError): PveServerError => {
  const said = e.message.trim()
  const vm = `VM ${guest.vmid}`
  if (/No QEMU guest agent configured/i.test(said))
    return new PveServerError({
      status: e.status,
      message: `${vm} has no QEMU guest agent configured (PVE: "${said}"): set agent to 1 with pve_guest_set_config, install and start qemu-guest-agent in the guest, then restart the VM (the agent device is added at start)`
    })
  if (/QEMU guest agent is not running/i.test(said))
    return new PveServerError({
      status: e.status,
      message: `the QEMU guest agent of ${vm} does not answer (PVE: "${said}"): the guest may still be booting or paused, or qemu-guest-agent is not installed or not started in it`
    })
  if (/is not running/i.test(said))
    return new PveServerError({
      status: e.status,
      message: `${vm} is not running (PVE: "${said}"): a stopped VM has no addresses; start it first`
    })
  return e
}

const GIB = 1024 ** 3
const sizeUnits: Readonly<Record<string, number>> = { K: 1024, M: 1024 ** 2, G: GIB, T: 1024 * GIB }

/** PVE's size notation (`32G`, `528K`, bare bytes) in bytes; undefined when it is not one. */
export const parseSizeBytes = (text: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(text.trim())
  return match === null ? undefined : Math.round(Number(match[1]) * (sizeUnits[match[2] ?? ""] ?? 1))
}

/** Bytes as a person reads them: `32 GiB`, `1.5 TiB`, `528 KiB`. */
export const readableBytes = (bytes: number): string => {
  for (const [unit, factor] of [
    ["TiB", 1024 * GIB],
    ["GiB", GIB],
    ["MiB", 1024 ** 2],
    ["KiB", 1024]
  ] as const) {
    if (bytes >= factor) return `${Number((bytes / factor).toFixed(1))} ${unit}`
  }
  return `${bytes} B`
}

/** The config keys that hold a disk of each guest type (`unusedN` are detached volumes of either). */
const diskKeys: Readonly<Record<GuestType, RegExp>> = {
  qemu: /^((ide|sata|scsi|virtio)\d+|efidisk0|tpmstate0)$/,
  lxc: /^(rootfs|mp\d+)$/
}
const unusedKey = /^unused\d+$/

/** A disk of a guest config: its key, volume, size and the whole property string. */
export interface GuestDisk {
  readonly key: string
  readonly volume: string
  readonly sizeBytes: number | undefined
  readonly value: string
}

const propertyPart = (value: string, name: string) =>
  value
    .split(",")
    .find((part) => part.startsWith(`${name}=`))
    ?.slice(name.length + 1)

/** The volume a disk property string names: its first, unnamed part, or `volume=` / `file=`. */
const volumeOf = (value: string): string => {
  const first = value.split(",")[0] ?? ""
  return first.includes("=") ? (propertyPart(value, "volume") ?? propertyPart(value, "file") ?? "") : first
}

/** The disks of a config (CD/DVD drives excluded: they hold an ISO, not a disk of the guest). */
export const configDisks = (type: GuestType, config: Readonly<Record<string, unknown>>): ReadonlyArray<GuestDisk> =>
  Object.entries(config).flatMap(([key, raw]) => {
    if (!diskKeys[type].test(key) || typeof raw !== "string" || /(^|,)media=cdrom(,|$)/.test(raw)) return []
    const size = propertyPart(raw, "size")
    return [
      { key, volume: volumeOf(raw), sizeBytes: size === undefined ? undefined : parseSizeBytes(size), value: raw }
    ]
  })

const diskList = (disks: ReadonlyArray<GuestDisk>) =>
  disks.length === 0
    ? "it has none"
    : `its disks: ${disks.map((d) => `${d.key} (${d.sizeBytes === undefined ? "size unknown" : readableBytes(d.sizeBytes)})`).join(", ")}`

const guestLabelOf = (guest: GuestRef) => `${guest.type === "qemu" ? "VM" : "CT"} ${guest.vmid}`

const runningOf = (guest: GuestRef) =>
  Effect.map(guest.current === undefined ? getGuestStatus(guest) : Effect.succeed(guest.current), (s) => s.status)

/** A size change as the caller writes it: `+10G` (grow by) or `50G` (grow to). */
export const DiskSizeChange = /^(\+)?(\d+(?:\.\d+)?)([KMGT])$/

/**
 * The plan of a disk resize: the current size is read from the config, so a shrink (which PVE does not do) or an
 * unknown disk is refused before anything is sent; the config digest goes with the request.
 */
export const resizeDiskPlan = (guest: GuestRef, disk: string, size: string) =>
  Effect.gen(function* () {
    const change = DiskSizeChange.exec(size.trim())
    if (change === null) {
      return yield* new InvalidInput({
        field: "size",
        message: `"${size}" is not a size: write +10G to grow by 10 GiB or 50G to grow to 50 GiB (units K, M, G, T)`
      })
    }
    const config = yield* getGuestConfig(guest, { current: true })
    const disks = configDisks(guest.type, config)
    const found = disks.find((d) => d.key === disk)
    if (found === undefined) {
      const cdrom = typeof config[disk] === "string" && /media=cdrom/.test(String(config[disk]))
      return yield* new InvalidInput({
        field: "disk",
        message: `${guestLabelOf(guest)} has ${cdrom ? `a CD/DVD drive, not a disk, at ${disk}` : `no disk ${disk}`}; ${diskList(disks)}`
      })
    }
    const amount = Math.round(Number(change[2]) * sizeUnits[change[3]!]!)
    const grow = change[1] === "+"
    const before = found.sizeBytes
    if (before === undefined && !grow) {
      return yield* new InvalidInput({
        field: "size",
        message: `the config of ${guestLabelOf(guest)} does not say how large ${disk} is, so an absolute size cannot be checked against shrinking; give the growth instead, e.g. +10G`
      })
    }
    const after = grow ? (before ?? 0) + amount : amount
    if (before !== undefined && after < before) {
      return yield* new InvalidInput({
        field: "size",
        message: `${disk} of ${guestLabelOf(guest)} is ${readableBytes(before)}; ${size} would shrink it to ${readableBytes(after)}, and disks can only grow (PVE does not shrink them). Give a size above ${readableBytes(before)} or a growth such as +10G`
      })
    }
    const at = { node: guest.node, vmid: guest.vmid }
    const unchanged = { disk, volume: found.volume, sizeBefore: before, sizeAfter: after }
    if (after === before) return plan([], () => Effect.succeed({ ...unchanged, changed: false, task: undefined }))
    const step = yield* planStep(resizeEndpoints[guest.type], at, {
      disk,
      size: `${grow ? "+" : ""}${change[2]}${change[3]}`,
      digest: typeof config.digest === "string" ? config.digest : undefined
    })
    return plan([step], (done) =>
      Effect.gen(function* () {
        const now = yield* getGuestConfig(guest, { current: true })
        const resized = configDisks(guest.type, now).find((d) => d.key === disk)
        return { ...unchanged, sizeAfter: resized?.sizeBytes ?? after, changed: true, task: done[0]?.task }
      })
    )
  })

/** Parameters of a config update that are not config keys: the tool sets them itself, or never. */
const controlKeys = new Set(["node", "vmid", "digest", "delete", "revert", "skiplock", "background_delay", "force"])

export interface ConfigChanges {
  readonly set: Readonly<Record<string, string | number | boolean>>
  readonly delete: ReadonlyArray<string>
  readonly digest: string | undefined
}

/** Why a key may not be changed here, or undefined when it may. */
const refusal = (
  guest: GuestRef,
  disks: ReadonlyArray<GuestDisk>,
  key: string,
  value: string | number | boolean | undefined
): InvalidInput | undefined => {
  const field = value === undefined ? "delete" : "set"
  if (controlKeys.has(key))
    return new InvalidInput({
      field,
      message: `${key} is not a config key${key === "digest" ? "; give it as the digest argument" : ""}`
    })
  if (!/^[a-z][a-z0-9_-]*$/.test(key))
    return new InvalidInput({ field, message: `"${key}" is not a config key (PVE keys look like cores, net0, scsi1)` })
  const disk = disks.find((d) => d.key === key)
  if (value === undefined) {
    if (disk !== undefined)
      return new InvalidInput({
        field,
        message: `deleting ${key} would detach the disk ${disk.volume} of ${guestLabelOf(guest)}: disks are not removed here (pve_guest_delete removes a whole guest with its disks)`
      })
    if (unusedKey.test(key))
      return new InvalidInput({
        field,
        message: `deleting ${key} destroys the detached volume it names, and its data: not done here`
      })
    return undefined
  }
  if (disk !== undefined) {
    const text = String(value)
    if (volumeOf(text) !== disk.volume)
      return new InvalidInput({
        field,
        message: `${key} holds ${disk.volume}; setting it to "${text}" would detach that disk: change only its options (keep ${disk.volume} first)`
      })
    const size = propertyPart(text, "size")
    if (size !== undefined && disk.sizeBytes !== undefined && parseSizeBytes(size) !== disk.sizeBytes)
      return new InvalidInput({
        field,
        message: `the size of ${key} is changed with pve_guest_resize_disk, not in its config`
      })
  }
  if (unusedKey.test(key)) return new InvalidInput({ field, message: `${key} (a detached volume) is not set here` })
  return undefined
}

/**
 * The plan of a config change: keys set and deleted in one request, with the digest of the config read now
 * (or the caller's), so that PVE refuses it if the config changed meanwhile. Disks are neither detached nor
 * resized here. The answer reads `…/pending` after: what waits for the next start of the guest.
 */
export const setConfigPlan = (guest: GuestRef, changes: ConfigChanges) =>
  Effect.gen(function* () {
    const setKeys = Object.keys(changes.set)
    if (setKeys.length === 0 && changes.delete.length === 0)
      return yield* new InvalidInput({ field: "set", message: "nothing to change: give keys to set or to delete" })
    const both = setKeys.filter((k) => changes.delete.includes(k))
    if (both.length > 0)
      return yield* new InvalidInput({ field: "delete", message: `${both.join(", ")} both set and deleted` })
    const config = yield* getGuestConfig(guest)
    const disks = configDisks(guest.type, config)
    for (const [key, value] of [
      ...Object.entries(changes.set),
      ...changes.delete.map((k) => [k, undefined] as const)
    ]) {
      const refused = refusal(guest, disks, key, value)
      if (refused !== undefined) return yield* refused
    }
    const digest = changes.digest ?? (typeof config.digest === "string" ? config.digest : undefined)
    const at = { node: guest.node, vmid: guest.vmid }
    const params: Params = {
      ...changes.set,
      ...(changes.delete.length === 0 ? {} : { delete: changes.delete.join(",") }),
      ...(digest === undefined ? {} : { digest })
    }
    const step = yield* planStep(configUpdateEndpoints[guest.type], at, params)
    return plan([step], (done) =>
      Effect.gen(function* () {
        const rows = yield* call(guestPendingEndpoints[guest.type], at)
        const pending = rows.filter((r) => r.pending !== undefined || (r.delete ?? 0) > 0)
        return { digest, pending, task: done[0]?.task }
      })
    )
  })

export interface DeleteOptions {
  /** stop a running guest first (hard stop) instead of refusing */
  readonly stop: boolean
  readonly purge: boolean
  readonly destroyUnreferencedDisks: boolean
}

/** The plan of deleting a guest: refused while it runs, unless `stop`, which stops it first (its own step). */
export const deleteGuestPlan = (guest: GuestRef, options: DeleteOptions) =>
  Effect.gen(function* () {
    const status = yield* runningOf(guest)
    const running = status !== "stopped"
    if (running && !options.stop) {
      return yield* new InvalidInput({
        field: "stop",
        message: `${guestLabelOf(guest)} is ${status}; shut it down first (pve_guest_shutdown), or call again with stop: true to stop it hard and then delete it`
      })
    }
    const at = { node: guest.node, vmid: guest.vmid }
    const stop = running ? [yield* planStep(powerEndpoints.stop[guest.type], at)] : []
    const destroy = yield* planStep(destroyEndpoints[guest.type], at, {
      purge: options.purge,
      "destroy-unreferenced-disks": options.destroyUnreferencedDisks
    })
    return plan([...stop, destroy], (done) =>
      Effect.succeed({ stopped: running, task: done[done.length - 1]?.task, statusBefore: status })
    )
  })

/** The plan of turning a stopped guest into a template (irreversible: a template cannot start again). */
export const convertToTemplatePlan = (guest: GuestRef) =>
  Effect.gen(function* () {
    const status = yield* runningOf(guest)
    if (status !== "stopped") {
      return yield* new InvalidInput({
        field: "vmid",
        message: `${guestLabelOf(guest)} is ${status}; a running guest cannot become a template: shut it down first (pve_guest_shutdown)`
      })
    }
    const config = yield* getGuestConfig(guest)
    if (Number(config.template ?? 0) === 1)
      return yield* new InvalidInput({ field: "vmid", message: `${guestLabelOf(guest)} is already a template` })
    const step = yield* planStep(templateEndpoints[guest.type], { node: guest.node, vmid: guest.vmid })
    return plan([step], (done) => Effect.succeed({ task: done[0]?.task }))
  })
