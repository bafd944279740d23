/**
 * The allowlists as a hard boundary. Every request is checked against the scope of its endpoint
 * (EndpointScope.ts, one per endpoint of the real schema): what it names in its path and parameters must be
 * allowed, what it reaches without naming (every guest of a node, the guests inside a job) is proven by a read
 * first, and what cannot be proven is refused before it is sent. Answers are filtered by their shape.
 */
import * as Effect from "effect/Effect"
import { type EndpointDef, type ParamSchema, propertySchema } from "../proxmox/ApiSchema.js"
import type { ProxmoxError } from "../proxmox/errors.js"
import { pvePath } from "../proxmox/Path.js"
import type { ProxmoxClientShape, PveRequest } from "../proxmox/ProxmoxClient.js"
import { parseUpid } from "../proxmox/Upid.js"
import type { AllowlistKind, EndpointScope } from "./EndpointScope.js"
import { scopeKey } from "./EndpointScope.js"
import { endpointScopes } from "./generated/endpointScopes.js"
import type { Allowlists } from "./PolicyConfig.js"

/** One node, guest, storage or host path a request touches, and where in the request it was named. */
export interface Target {
  readonly kind: "node" | "vmid" | "storage" | "host"
  readonly value: string
  readonly where: string
}

export const isNodeAllowed = (allowlists: Allowlists, node: string) =>
  allowlists.nodes === undefined || allowlists.nodes.includes(node)

export const isVmidAllowed = (allowlists: Allowlists, vmid: number | string) => {
  if (allowlists.vmids === undefined) return true
  const n = typeof vmid === "number" ? vmid : /^\d+$/.test(vmid) ? Number(vmid) : Number.NaN
  return allowlists.vmids.some((r) => n >= r.from && n <= r.to)
}

export const isStorageAllowed = (allowlists: Allowlists, storage: string) =>
  allowlists.storages === undefined || allowlists.storages.includes(storage)

export const hasAllowlist = (allowlists: Allowlists) =>
  allowlists.nodes !== undefined || allowlists.vmids !== undefined || allowlists.storages !== undefined

// A host path or device bypasses storages and reaches any guest's disk, so no allowlist admits one.
const allowed = (allowlists: Allowlists, target: Target) =>
  target.kind === "node"
    ? isNodeAllowed(allowlists, target.value)
    : target.kind === "vmid"
      ? isVmidAllowed(allowlists, target.value)
      : target.kind === "storage"
        ? isStorageAllowed(allowlists, target.value)
        : !hasAllowlist(allowlists)

const describeList = (allowlists: Allowlists, kind: Target["kind"]) => {
  if (kind === "node") return `PVE_NODE_ALLOWLIST (${allowlists.nodes?.join(", ")})`
  if (kind === "storage") return `PVE_STORAGE_ALLOWLIST (${allowlists.storages?.join(", ")})`
  if (kind === "host") return "reach of the allowlists: a host path or device bypasses every storage and guest"
  return `PVE_VMID_ALLOWLIST (${allowlists.vmids?.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(", ")})`
}

const refusal = (allowlists: Allowlists, target: Target) =>
  `${target.kind === "vmid" ? "guest" : target.kind === "host" ? "host path" : target.kind} ${target.value} (${target.where}) is not in ${describeList(allowlists, target.kind)}`

const volumeStoragePattern = /^([a-z][a-z0-9\-_.]*[a-z0-9]):/i
// The guest a volume belongs to: vm-101-disk-0, base-101-disk-0, subvol-101-disk-0, 101/vm-101-disk-0.qcow2,
// backups vzdump-qemu-101-…, and PBS snapshots backup/vm/101/2025-01-01T00:00:00Z.
const volumeOwnerPatterns = [
  /(?:^|[:/\s'])(?:vm|base|subvol|basevol)-(\d+)-/,
  /^[^:]+:(\d+)\//,
  /vzdump-(?:qemu|lxc|openvz)-(\d+)-/,
  /(?:^|[:/])backup\/(?:vm|ct)\/(\d+)(?:\/|$)/
]

/** The guests a text names by their volumes (vm-101-disk-0 in an LV list, a task log line, a backup name). */
const volumeOwners = (text: string, where: string): Target[] =>
  volumeOwnerPatterns.flatMap((pattern) => {
    const owner = pattern.exec(text)
    return owner === null ? [] : [{ kind: "vmid" as const, value: owner[1]!, where }]
  })

/** The storage and owning guest a volume id names; an absolute path is a host path, outside every storage. */
const volumeTargets = (volume: string, where: string): Target[] => {
  if (volume === "none" || volume === "cdrom" || volume === "") return []
  const targets: Target[] = []
  const storage = volumeStoragePattern.exec(volume)
  if (storage !== null) targets.push({ kind: "storage", value: storage[1]!, where })
  else if (volume.startsWith("/")) targets.push({ kind: "host", value: volume, where })
  return [...targets, ...volumeOwners(volume, where)]
}

const volumeFormats = /volume|lxc-mp-string/

/** The guest of an HA resource id: `vm:100`, `ct:105` or just `100`. */
const haResourceGuest = (sid: string) => /^(?:vm:|ct:)?(\d+)$/.exec(sid)?.[1]

const haResourceTargets = (sid: string, where: string): Target[] => {
  const guest = haResourceGuest(sid)
  return guest === undefined ? [] : [{ kind: "vmid", value: guest, where }]
}

/** A replication job id is `<guest>-<jobnum>`. */
const replicationJobTargets = (id: string, where: string): Target[] => {
  const guest = /^(\d+)-\d+$/.exec(id)?.[1]
  return guest === undefined ? [] : [{ kind: "vmid", value: guest, where }]
}

/** Targets named by one value, by its format in the real schema. */
const valueTargets = (format: string, value: string, where: string): Target[] => {
  const items = format.endsWith("-list") ? value.split(/[,;\s\0]+/).filter((v) => v !== "") : [value]
  if (/^pve-(ha-)?node(-list)?$/.test(format)) {
    // HA node lists carry priorities: pve1:2,pve2
    return items.map((v) => ({ kind: "node", value: v.split(":")[0]!, where }))
  }
  if (/^pve-vmid(-list)?$/.test(format)) {
    return items.flatMap((v): Target[] => {
      const range = /^(\d+)-(\d+)$/.exec(v)
      if (range === null) return [{ kind: "vmid", value: v, where }]
      // pve-vmid-list accepts ranges; each end must be allowed and so must everything between
      const from = Number(range[1])
      const to = Number(range[2])
      if (to - from > 10_000) return [{ kind: "vmid", value: v, where }]
      return Array.from({ length: to - from + 1 }, (_, i) => ({
        kind: "vmid" as const,
        value: String(from + i),
        where
      }))
    })
  }
  if (/^pve-storage-id(-list)?$/.test(format)) return items.map((v) => ({ kind: "storage", value: v, where }))
  if (format === "storage-pair-list") {
    // src:dst,src2:dst2 or a single dst
    return items.flatMap((pair) => pair.split(":").map((v): Target => ({ kind: "storage", value: v, where })))
  }
  if (/^pve-ha-resource/.test(format)) {
    return value.split(/[,;\s]+/).flatMap((sid) => haResourceTargets(sid, where))
  }
  if (format === "pve-replication-job-id") return replicationJobTargets(value, where)
  if (format === "pve-lxc-dev-string") return [{ kind: "host", value, where }]
  if (volumeFormats.test(format)) return volumeTargets(value, where)
  return []
}

/** Parameters that hold volume ids without saying so in their format. */
const volumeNamedParams = new Set(["volume", "archive", "ostemplate", "volid", "source"])

/** A property string (`local-lvm:32,iothread=1`) split into its keys, the bare value under the default key. */
const propertyStringTargets = (format: { readonly [key: string]: ParamSchema }, value: string, where: string) => {
  const defaultKey = Object.entries(format).find(([, s]) => s.default_key)?.[0]
  const targets: Target[] = []
  for (const part of value.split(",")) {
    const eq = part.indexOf("=")
    let key = eq === -1 ? defaultKey : part.slice(0, eq)
    const text = eq === -1 ? part : part.slice(eq + 1)
    if (key === undefined) continue
    const alias = format[key]?.alias
    if (alias !== undefined) key = alias
    const schema = format[key]
    if (typeof schema?.format === "string") targets.push(...valueTargets(schema.format, text, `${where}.${key}`))
  }
  return targets
}

/**
 * Guest configuration keys that hand the guest something of the host no allowlist can see: `args` passes any
 * argument to kvm (`-drive file=/dev/…`), virtiofs shares a host directory, a hookscript runs as root on the
 * node, a PCI device may be the controller under other guests' disks.
 */
const hostReachingParams = /^(args|virtiofs\d+|hookscript|hostpci\d+)$/
/** A host device in any value of a guest's configuration: `serial0: /dev/ttyS0`, `path=/dev/sda`. */
const hostDevice = /(?:^|[,=\s])\/dev\//

const paramTargets = (name: string, schema: ParamSchema | undefined, value: unknown, where: string): Target[] => {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value.flatMap((v) => paramTargets(name, schema?.items ?? schema, v, where))
  const text = String(value)
  if (hostReachingParams.test(name)) {
    return [{ kind: "host", value: `${name}: ${text.slice(0, 80)}`, where }]
  }
  const format = schema?.format
  const byFormat =
    typeof format === "string"
      ? valueTargets(format, text, where)
      : format !== undefined
        ? propertyStringTargets(format, text, where)
        : []
  // Some parameters name a volume or a guest without a format that says so.
  const byName = volumeNamedParams.has(name)
    ? volumeTargets(text, where)
    : name === "sid"
      ? haResourceTargets(text, where)
      : []
  return [...byFormat, ...byName]
}

/** Task types whose id is a VM id (qmstart, vzdump, hastart, …). */
export const isGuestTask = (type: string) => /^(qm|vz|ha|lxc)|^(resize|move_volume)$/.test(type)

// Path parameters whose format the schema leaves as a plain string.
const pathParamTargets = (template: string, name: string, value: string, where: string): Target[] => {
  if (name === "node") return [{ kind: "node", value, where }]
  if (name === "vmid" || name === "newid") return [{ kind: "vmid", value, where }]
  if (name === "storage") return [{ kind: "storage", value, where }]
  if (name === "volume") return volumeTargets(value, where)
  if (name === "upid") {
    const fields = parseUpid(value)
    if (fields === undefined) return []
    const targets: Target[] = [{ kind: "node", value: fields.node, where }]
    if (isGuestTask(fields.type) && /^\d+$/.test(fields.id)) targets.push({ kind: "vmid", value: fields.id, where })
    return targets
  }
  if (name === "sid") return haResourceTargets(value, where)
  if (name === "id" && template.includes("/replication/")) return replicationJobTargets(value, where)
  return []
}

/** Every node, guest, storage and host path a request names, in its path and in its parameters. */
export const requestTargets = (request: PveRequest, endpoint: EndpointDef | undefined): Target[] => {
  const properties = endpoint?.parameters.properties ?? {}
  const targets: Target[] = []
  for (const [name, value] of Object.entries(request.path.params)) {
    const where = `path {${name}}`
    targets.push(...pathParamTargets(request.path.template, name, value, where))
    const schema = propertySchema(properties, name)
    if (typeof schema?.format === "string") targets.push(...valueTargets(schema.format, value, where))
  }
  // a node's own disk tools take /dev paths by design (the node allowlist governs them); a guest never should
  const guestEndpoint = /^\/nodes\/\{node\}\/(qemu|lxc)(\/|$)/.test(request.path.template)
  for (const [name, value] of Object.entries(request.params ?? {})) {
    const where = `parameter ${name}`
    targets.push(...paramTargets(name, propertySchema(properties, name), value, where))
    if (guestEndpoint && hostDevice.test(String(value))) targets.push({ kind: "host", value: String(value), where })
  }
  return targets
}

/** Task types that act on several guests under an empty id (vzdump 100 101, startall, migrateall). */
const multiGuestTask = (type: string) => /^(vzdump|startall|stopall|suspendall|migrateall|bulk)/.test(type)

const truthy = (value: unknown) => value === true || value === 1 || value === "1"

/** The scope of an endpoint; one the table does not know is opaque (default-deny). */
export const endpointScope = (method: string, template: string): EndpointScope =>
  endpointScopes[scopeKey(method, template)] ?? {
    scope: "opaque",
    why: "the scope table does not know this endpoint"
  }

const allowlistVariable: Readonly<Record<AllowlistKind, string>> = {
  nodes: "PVE_NODE_ALLOWLIST",
  vmids: "PVE_VMID_ALLOWLIST",
  storages: "PVE_STORAGE_ALLOWLIST"
}

/** `PVE_NODE_ALLOWLIST and PVE_VMID_ALLOWLIST are`, for a refusal's text. */
const listsAreSet = (kinds: ReadonlyArray<AllowlistKind>) =>
  `${kinds.map((k) => allowlistVariable[k]).join(" and ")} ${kinds.length > 1 ? "are" : "is"} set`

/** Parameters that select guests as a list; without them the endpoint acts on every guest (or of a node). */
const selectsGuests = (name: string, schema: ParamSchema) =>
  (name === "vms" || name === "vmid") &&
  (schema.format === "pve-vmid-list" || schema.items?.format === "pve-vmid" || schema.format === "pve-vmid")

/** The reason the request itself (before any read) is outside the allowlists, or undefined. */
const namedViolation = (
  allowlists: Allowlists,
  request: PveRequest,
  endpoint: EndpointDef,
  scope: EndpointScope
): string | undefined => {
  const where = `${request.method} ${request.path.template}`
  if (scope.scope === "opaque") {
    const bypassed = (scope.bypasses ?? ["nodes", "vmids", "storages"]).filter((k) => allowlists[k] !== undefined)
    if (bypassed.length > 0) return `${where} is refused while ${listsAreSet(bypassed)}: ${scope.why}`
  }
  if (scope.scope === "cluster" && request.method !== "GET") {
    const set = (["nodes", "vmids", "storages"] as const).filter((k) => allowlists[k] !== undefined)
    return `${where} is refused while ${listsAreSet(set)}: it ${scope.why}`
  }
  for (const target of requestTargets(request, endpoint)) {
    if (!allowed(allowlists, target)) return refusal(allowlists, target)
  }
  if (allowlists.vmids !== undefined && request.method !== "GET") {
    const params = request.params ?? {}
    if (truthy(params.all))
      return "`all` would act on every guest, but PVE_VMID_ALLOWLIST is set: list the guests instead"
    if (params.pool !== undefined && Object.hasOwn(endpoint.parameters.properties ?? {}, "vmid")) {
      return "`pool` would act on guests that are not named, but PVE_VMID_ALLOWLIST is set: list the guests instead"
    }
    // node-guests endpoints without a list, and objects by id, are proven by a read instead
    if (scope.scope !== "node-guests" && scope.scope !== "by-id") {
      for (const [name, schema] of Object.entries(endpoint.parameters.properties ?? {})) {
        if (selectsGuests(name, schema) && params[name] === undefined && !Object.hasOwn(request.path.params, name)) {
          return `without \`${name}\` ${where} would act on every guest, but PVE_VMID_ALLOWLIST is set: list the guests in ${name}`
        }
      }
    }
  }
  if (allowlists.storages !== undefined && request.path.template === "/nodes/{node}/vzdump") {
    // without `storage`, vzdump writes to the node's default backup storage, which the request does not name
    if (request.params?.storage === undefined) {
      return "without `storage` the backup goes to the node's default storage, but PVE_STORAGE_ALLOWLIST is set: name the storage"
    }
  }
  return undefined
}

type Row = Record<string, unknown>

const isRow = (value: unknown): value is Row => value !== null && typeof value === "object" && !Array.isArray(value)

const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined)

/** What an object read from PVE (a backup job, an HA rule or group, a replication job) reaches. */
const objectReach = (allowlists: Allowlists, object: unknown, where: string): string | undefined => {
  if (!isRow(object)) return undefined
  if (allowlists.vmids !== undefined && (truthy(object.all) || object.pool !== undefined)) {
    return `${where} acts on guests it does not name (all or pool), but PVE_VMID_ALLOWLIST is set`
  }
  const targets: Target[] = []
  const vmids = text(object.vmid) ?? text(object.guest)
  if (vmids !== undefined) targets.push(...valueTargets("pve-vmid-list", vmids, `${where} vmid`))
  const exclude = text(object.exclude)
  if (exclude !== undefined && allowlists.vmids !== undefined) {
    return `${where} acts on every guest but the excluded ones, but PVE_VMID_ALLOWLIST is set`
  }
  const storage = text(object.storage)
  if (storage !== undefined) targets.push({ kind: "storage", value: storage, where: `${where} storage` })
  for (const key of ["node", "target", "source"]) {
    const node = text(object[key])
    if (node !== undefined) targets.push({ kind: "node", value: node, where: `${where} ${key}` })
  }
  const nodes = text(object.nodes)
  if (nodes !== undefined) targets.push(...valueTargets("pve-ha-node-list", nodes, `${where} nodes`))
  const resources = text(object.resources)
  if (resources !== undefined) targets.push(...valueTargets("pve-ha-resource-id-list", resources, `${where} resources`))
  for (const target of targets) if (!allowed(allowlists, target)) return refusal(allowlists, target)
  return undefined
}

type Execute = ProxmoxClientShape["execute"]

/** A task started for several guests under an empty id (another admin's `vzdump 100 101`). */
const multiGuestUpid = (request: PveRequest) => {
  const upid = parseUpid(request.path.params.upid ?? "")
  return upid !== undefined && multiGuestTask(upid.type) && upid.id === "" ? upid : undefined
}

/**
 * The log of a task for several guests: a page of it may describe a hidden guest without naming it (its name
 * and disks follow its "Starting Backup of VM 101" line), so the whole log is read first and the log is refused
 * when any line names a guest outside the VMID allowlist.
 */
const multiGuestLogViolation = (allowlists: Allowlists, request: PveRequest, execute: Execute) =>
  Effect.gen(function* () {
    const upid = multiGuestUpid(request)
    if (allowlists.vmids === undefined || upid === undefined) return undefined
    const whole = yield* execute({ method: "GET", path: request.path, params: { start: 0, limit: 1_000_000 } })
    const lines = Array.isArray(whole.data) ? whole.data.filter(isRow) : []
    for (const line of lines) {
      const hidden = logLineGuests(text(line.t) ?? "", "log").find((t) => !allowed(allowlists, t))
      if (hidden !== undefined) {
        return `the log of task ${upid.type} covers guest ${hidden.value}, which is not in ${describeList(allowlists, "vmid")}`
      }
    }
    return undefined
  })

/** Node power and *all commands: every guest on the node must be allowed (read from /cluster/resources). */
const nodeGuestsViolation = (allowlists: Allowlists, request: PveRequest, execute: Execute) =>
  Effect.gen(function* () {
    if (allowlists.vmids === undefined || request.params?.vms !== undefined) return undefined
    const node = request.path.params.node
    const path = yield* pvePath("/cluster/resources")
    const resources = yield* execute({ method: "GET", path, params: { type: "vm" } })
    const rows = Array.isArray(resources.data) ? resources.data.filter(isRow) : []
    const hidden = rows.find((row) => text(row.node) === node && !isVmidAllowed(allowlists, text(row.vmid) ?? ""))
    if (hidden === undefined) return undefined
    return `${request.method} ${request.path.path} acts on every guest on ${node}, and guest ${text(hidden.vmid)} there is not in ${describeList(allowlists, "vmid")}: list the guests in vms, or use the guest tools`
  })

/**
 * Under PVE_NODE_ALLOWLIST, a write with no node in its path that selects guests (`POST /cluster/backup vmid=…`,
 * `PUT /pools vms=…`) reaches the nodes those guests are on: each named guest is looked up in /cluster/resources
 * and must be on an allowed node (a guest that is not found cannot be proven), and `all` or `pool` would reach
 * guests of every node unless a `node` parameter (checked with the other targets) confines the request.
 */
const guestNodesViolation = (allowlists: Allowlists, request: PveRequest, endpoint: EndpointDef, execute: Execute) =>
  Effect.gen(function* () {
    if (allowlists.nodes === undefined || request.method === "GET") return undefined
    if (Object.hasOwn(request.path.params, "node")) return undefined
    const params = request.params ?? {}
    const properties = endpoint.parameters.properties ?? {}
    const confined = params.node !== undefined
    if (!confined && (truthy(params.all) || (params.pool !== undefined && Object.hasOwn(properties, "vmid")))) {
      return `\`${truthy(params.all) ? "all" : "pool"}\` would reach guests on every node, but PVE_NODE_ALLOWLIST is set: name the guests, or confine it with \`node\``
    }
    const named = Object.entries(properties)
      .filter(([name, schema]) => selectsGuests(name, schema) && params[name] !== undefined)
      .flatMap(([name]) =>
        valueTargets("pve-vmid-list", String(params[name]), `${request.method} ${request.path.template} ${name}`)
      )
    if (named.length === 0) return undefined
    const path = yield* pvePath("/cluster/resources")
    const resources = yield* execute({ method: "GET", path, params: { type: "vm" } })
    const rows = Array.isArray(resources.data) ? resources.data.filter(isRow) : []
    for (const target of named) {
      const row = rows.find((r) => text(r.vmid) === target.value)
      const node = row === undefined ? undefined : text(row.node)
      if (node === undefined) {
        return `guest ${target.value} (${target.where}) is not in the cluster, so its node cannot be proven inside ${describeList(allowlists, "node")}`
      }
      if (!isNodeAllowed(allowlists, node)) {
        return `guest ${target.value} (${target.where}) is on node ${node}, which is not in ${describeList(allowlists, "node")}`
      }
    }
    return undefined
  })

/**
 * Writes that act on disks a guest already has, named by their config keys (the parameter holding them): resize and
 * move name one key, unlink and a config `delete` a list. Deleting an unused disk destroys its volume.
 */
const existingDiskKeys: Readonly<Record<string, string>> = {
  "PUT /nodes/{node}/qemu/{vmid}/resize": "disk",
  "PUT /nodes/{node}/lxc/{vmid}/resize": "disk",
  "POST /nodes/{node}/qemu/{vmid}/move_disk": "disk",
  "POST /nodes/{node}/lxc/{vmid}/move_volume": "volume",
  "PUT /nodes/{node}/qemu/{vmid}/unlink": "idlist",
  "PUT /nodes/{node}/qemu/{vmid}/config": "delete",
  "POST /nodes/{node}/qemu/{vmid}/config": "delete",
  "PUT /nodes/{node}/lxc/{vmid}/config": "delete"
}

const diskKey = /^(?:(?:ide|sata|scsi|virtio|efidisk|tpmstate|unused|mp)\d+|rootfs)$/

/**
 * Under PVE_STORAGE_ALLOWLIST, a write that names an existing disk only by its config key (`disk=scsi0`) reaches
 * the storage that disk is on, which the request does not say: the guest's config is read and every named disk
 * must be on an allowed storage. A disk key the config does not hold, or a config that cannot be read, cannot be
 * proven; keys that are not disks (`delete=description`) reach no storage.
 */
const existingDiskViolation = (allowlists: Allowlists, request: PveRequest, execute: Execute) =>
  Effect.gen(function* () {
    if (allowlists.storages === undefined) return undefined
    const parameter = existingDiskKeys[`${request.method} ${request.path.template}`]
    const named = parameter === undefined ? undefined : text(request.params?.[parameter])
    const keys = (named ?? "").split(/[,;\s]+/).filter((key) => diskKey.test(key))
    if (keys.length === 0) return undefined
    const { node, vmid } = request.path.params
    const type = request.path.template.startsWith("/nodes/{node}/lxc/") ? "lxc" : "qemu"
    const path = yield* pvePath(`/nodes/{node}/${type}/{vmid}/config`, { node: node ?? "", vmid: vmid ?? "" })
    const config = yield* Effect.either(execute({ method: "GET", path }))
    if (config._tag === "Left") {
      return `${request.method} ${request.path.path} acts on ${keys.join(", ")}, whose storage could not be read from ${path.path} to prove it inside ${describeList(allowlists, "storage")}: ${config.left.message}`
    }
    const values = isRow(config.right.data) ? config.right.data : {}
    for (const key of keys) {
      const volume = text(values[key])?.split(",")[0]
      const where = `${key} of guest ${vmid}`
      if (volume === undefined) {
        return `${where} is not in its config, so the storage it is on cannot be proven inside ${describeList(allowlists, "storage")}`
      }
      const targets = volumeTargets(volume, where).filter((t) => t.kind !== "vmid")
      if (targets.length === 0) {
        return `${where} (${volume.slice(0, 120)}) names no storage, so it cannot be proven inside ${describeList(allowlists, "storage")}`
      }
      const outside = targets.find((t) => !allowed(allowlists, t))
      if (outside !== undefined) return refusal(allowlists, outside)
    }
    return undefined
  })

/** A write to an object by id: read the object first and decide by what it reaches. */
const byIdViolation = (allowlists: Allowlists, request: PveRequest, scope: EndpointScope, execute: Execute) =>
  Effect.gen(function* () {
    if (scope.readFirst === undefined)
      return `${request.method} ${request.path.template}: no read establishes its reach`
    // the same values as the request's own path, which the door has already checked
    const template = scope.readFirst
    const filled = template.replace(/\{([\w-]+)\}/g, (_, name: string) =>
      encodeURIComponent(request.path.params[name] ?? "")
    )
    const path = { template, params: request.path.params, path: filled }
    // an object that cannot be read cannot be proven inside the allowlists
    const object = yield* Effect.either(execute({ method: "GET", path }))
    if (object._tag === "Left") {
      return `${request.method} ${request.path.path} changes ${path.path}, which could not be read to prove what it reaches: ${object.left.message}`
    }
    return objectReach(allowlists, object.right.data, path.path)
  })

/**
 * The reason a request is refused by the allowlists, or undefined when it may go. Named targets are checked
 * as they are; node-wide commands and writes to objects by id read what they would reach through `execute`
 * (the client below the policies) first. Nothing is sent when the answer is a refusal.
 */
export const allowlistViolation = (
  allowlists: Allowlists,
  request: PveRequest,
  endpoint: EndpointDef,
  execute: Execute
): Effect.Effect<string | undefined, ProxmoxError> =>
  Effect.gen(function* () {
    if (!hasAllowlist(allowlists)) return undefined
    const scope = endpointScope(request.method, request.path.template)
    const named = namedViolation(allowlists, request, endpoint, scope)
    if (named !== undefined) return named
    const offNodes = yield* guestNodesViolation(allowlists, request, endpoint, execute)
    if (offNodes !== undefined) return offNodes
    const offStorage = yield* existingDiskViolation(allowlists, request, execute)
    if (offStorage !== undefined) return offStorage
    if (scope.scope === "node-guests") return yield* nodeGuestsViolation(allowlists, request, execute)
    if (scope.scope === "by-id" && request.method !== "GET") {
      return yield* byIdViolation(allowlists, request, scope, execute)
    }
    if (request.path.template === "/nodes/{node}/tasks/{upid}/log") {
      return yield* multiGuestLogViolation(allowlists, request, execute)
    }
    return undefined
  })

// ---------------------------------------------------------------------------------------------------------------
// Answers, filtered by shape: rows naming hidden things are removed, lists inside strings are trimmed.

/** Log-line texts that name a guest: `VM 101`, `CT 106`, `vzdump 100 101`. */
const logLineGuests = (line: string, where: string): Target[] => [
  ...[...line.matchAll(/\b(?:VM|CT)\s+(\d{3,9})\b/g)].map((m) => ({ kind: "vmid" as const, value: m[1]!, where })),
  ...[...line.matchAll(/\bvzdump((?:\s+\d{3,9})+)/g)].flatMap((m) =>
    m[1]!
      .trim()
      .split(/\s+/)
      .map((v) => ({ kind: "vmid" as const, value: v, where }))
  )
]

const upidTargets = (upid: string, where: string): Target[] => {
  const fields = parseUpid(upid)
  if (fields === undefined) return []
  const targets: Target[] = [{ kind: "node", value: fields.node, where }]
  if (isGuestTask(fields.type) && /^\d+$/.test(fields.id)) targets.push({ kind: "vmid", value: fields.id, where })
  return targets
}

/** An ACL path (`/vms/101`, `/storage/nfs-shared`, `/nodes/pve3`) as the target it names. */
const aclPathTarget = (path: string, where: string): Target | undefined => {
  const match = /^\/(vms|storage|nodes)\/([^/]+)/.exec(path)
  if (match === null) return undefined
  const kind = match[1] === "vms" ? "vmid" : match[1] === "storage" ? "storage" : "node"
  return { kind, value: match[2]!, where }
}

/** Everything one row (an object of an answer) shows, by its fields. */
const rowTargets = (template: string, row: Row): Target[] => {
  const targets: Target[] = []
  const push = (kind: Target["kind"], value: string | undefined, where: string) => {
    if (value !== undefined) targets.push({ kind, value, where })
  }
  push("node", text(row.node), "node")
  push("storage", text(row.storage), "storage")
  const vmid = text(row.vmid)
  if (vmid !== undefined) targets.push(...valueTargets("pve-vmid-list", vmid, "vmid"))
  const volid = text(row.volid)
  if (volid !== undefined) targets.push(...volumeTargets(volid, "volid"))
  // /cluster/status names nodes in `name`; /cluster/resources in `id` (node/pve1, storage/pve1/local)
  if (row.type === "node" && template === "/cluster/status") push("node", text(row.name), "name")
  const id = text(row.id)
  if (id !== undefined) {
    push("node", /^node\/(.+)$/.exec(id)?.[1], "id")
    push("storage", /^storage\/[^/]+\/(.+)$/.exec(id)?.[1], "id")
    push("vmid", /^(?:qemu|lxc)\/(\d+)$/.exec(id)?.[1], "id")
    // task lists: the id of a guest task is its VM id; volume trees: a guest row is {type: qemu, id: 100}
    if (typeof row.type === "string" && (isGuestTask(row.type) || /^(qemu|lxc)$/.test(row.type)) && /^\d+$/.test(id))
      push("vmid", id, "id")
    if (typeof row.type === "string" && multiGuestTask(row.type) && id === "") push("vmid", "(several guests)", "id")
  }
  // a backup job of every guest, of a pool's or of all but some acts on guests it does not name
  if (
    template.startsWith("/cluster/backup") &&
    (truthy(row.all) || row.pool !== undefined || row.exclude !== undefined)
  )
    push("vmid", "(guests the job does not name)", "all")
  const sid = text(row.sid)
  if (sid !== undefined) push("vmid", haResourceGuest(sid), "sid")
  const resources = text(row.resources)
  if (resources !== undefined) targets.push(...valueTargets("pve-ha-resource-id-list", resources, "resources"))
  const guest = text(row.guest)
  if (guest !== undefined && /^\d+$/.test(guest)) push("vmid", guest, "guest")
  if (row.guest !== undefined) push("node", text(row.target), "target")
  const path = text(row.path)
  if (path !== undefined && (row.roleid !== undefined || row.ugid !== undefined)) {
    const acl = aclPathTarget(path, "path")
    if (acl !== undefined) targets.push(acl)
  }
  // any text that names a volume or a task: LV lists, disk lists, log lines, cluster log messages
  for (const [key, value] of Object.entries(row)) {
    if (typeof value !== "string") continue
    targets.push(...volumeOwners(value, key))
    for (const upid of value.match(/UPID:[^\s"']+:/g) ?? []) targets.push(...upidTargets(upid, key))
    if (key === "t" || key === "msg") targets.push(...logLineGuests(value, key))
  }
  return targets
}

/** Trims the lists inside strings of a row to what is allowed (backup job vmid "100,101", HA group nodes). */
const trimRow = (allowlists: Allowlists, row: Row): Row => {
  let out = row
  const set = (key: string, value: unknown) => {
    if (out === row) out = { ...row }
    out[key] = value
  }
  for (const key of ["vmid", "vms", "exclude"]) {
    const value = row[key]
    if (typeof value === "string" && /[,;\s]/.test(value)) {
      const kept = value.split(/[,;\s]+/).filter((v) => v !== "" && isVmidAllowed(allowlists, v))
      // a list of hidden guests only stays as it is, so that the row is removed as a whole
      if (kept.length > 0) set(key, kept.join(","))
    }
  }
  if (typeof row.nodes === "string" && row.resources === undefined) {
    const kept = row.nodes.split(",").filter((n) => n !== "" && isNodeAllowed(allowlists, n.split(":")[0]!))
    set("nodes", kept.join(","))
  }
  for (const key of ["allowed_nodes", "nodes"]) {
    const value = row[key]
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      set(
        key,
        value.filter((n) => isNodeAllowed(allowlists, n))
      )
    }
  }
  if (isRow(row.not_allowed_nodes)) {
    set(
      "not_allowed_nodes",
      Object.fromEntries(Object.entries(row.not_allowed_nodes).filter(([n]) => isNodeAllowed(allowlists, n)))
    )
  }
  return out
}

const hiddenTarget = (allowlists: Allowlists, targets: ReadonlyArray<Target>) =>
  targets.find((t) => !allowed(allowlists, t) && t.kind !== "host")

/** A value with every nested row that shows something hidden removed, and object keys naming hidden paths. */
const filterValue = (allowlists: Allowlists, template: string, value: unknown, depth: number): unknown => {
  if (depth > 8) return value
  if (Array.isArray(value)) {
    return value
      .map((item) => filterValue(allowlists, template, item, depth + 1))
      .filter((item) => !isRow(item) || hiddenTarget(allowlists, rowTargets(template, item)) === undefined)
  }
  if (!isRow(value)) return value
  const trimmed = trimRow(allowlists, value)
  const out: Row = {}
  for (const [key, item] of Object.entries(trimmed)) {
    // permissions are keyed by ACL path
    const acl = key.startsWith("/") ? aclPathTarget(key, key) : undefined
    if (acl !== undefined && !allowed(allowlists, acl)) continue
    out[key] = filterValue(allowlists, template, item, depth + 1)
  }
  return out
}

export type FilteredAnswer =
  | { readonly _tag: "Shown"; readonly data: unknown }
  | { readonly _tag: "Refused"; readonly reason: string }

/**
 * A GET answer as the allowlists let it be seen: rows (at any depth) that show a node, guest or storage outside
 * them are removed, vmid and node lists inside strings are trimmed, permission paths of hidden objects dropped;
 * a single item that itself shows something hidden is refused, since removing it would leave nothing to answer.
 */
export const filterAnswer = (allowlists: Allowlists, request: PveRequest, data: unknown): FilteredAnswer => {
  if (!hasAllowlist(allowlists)) return { _tag: "Shown", data }
  const template = request.path.template
  const filtered = filterValue(allowlists, template, data, 0)
  if (isRow(filtered)) {
    const hidden = hiddenTarget(allowlists, rowTargets(template, filtered))
    if (hidden !== undefined) {
      return {
        _tag: "Refused",
        reason: `the answer of GET ${request.path.path} shows ${refusal(allowlists, { ...hidden, where: `field ${hidden.where}` })}`
      }
    }
  }
  return { _tag: "Shown", data: filtered }
}

/** Tool arguments that name a guest, node or storage, by the names every tool uses for them. */
const argumentKinds: Readonly<Record<string, Target["kind"]>> = {
  vmid: "vmid",
  newid: "vmid",
  node: "node",
  target: "node",
  targetNode: "node",
  storage: "storage",
  targetStorage: "storage"
}

/**
 * The reason a tool call's arguments are refused by the allowlists, checked before the tool runs, so a guest
 * outside the list is reported as not allowed rather than as missing (list answers hide it).
 */
export const argumentsViolation = (
  allowlists: Allowlists,
  input: Readonly<Record<string, unknown>>
): string | undefined => {
  if (!hasAllowlist(allowlists)) return undefined
  for (const [name, kind] of Object.entries(argumentKinds)) {
    const value = input[name]
    if (typeof value !== "string" && typeof value !== "number") continue
    const target: Target = { kind, value: String(value), where: `argument ${name}` }
    if (!allowed(allowlists, target)) {
      return `${kind === "vmid" ? "guest" : kind} ${target.value} (${target.where}) is not in ${describeList(allowlists, kind)}`
    }
  }
  return undefined
}
