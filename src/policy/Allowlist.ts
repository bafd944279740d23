import { type EndpointDef, type ParamSchema, propertySchema } from "../proxmox/ApiSchema.js"
import type { PveRequest } from "../proxmox/ProxmoxClient.js"
import { parseUpid } from "../proxmox/Upid.js"
import type { Allowlists } from "./PolicyConfig.js"

/** One node, guest or storage a request touches, and where in the request it was named. */
export interface Target {
  readonly kind: "node" | "vmid" | "storage"
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

const allowed = (allowlists: Allowlists, target: Target) =>
  target.kind === "node"
    ? isNodeAllowed(allowlists, target.value)
    : target.kind === "vmid"
      ? isVmidAllowed(allowlists, target.value)
      : isStorageAllowed(allowlists, target.value)

const describeList = (allowlists: Allowlists, kind: Target["kind"]) => {
  if (kind === "node") return `PVE_NODE_ALLOWLIST (${allowlists.nodes?.join(", ")})`
  if (kind === "storage") return `PVE_STORAGE_ALLOWLIST (${allowlists.storages?.join(", ")})`
  return `PVE_VMID_ALLOWLIST (${allowlists.vmids?.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(", ")})`
}

const volumeStoragePattern = /^([a-z][a-z0-9\-_.]*[a-z0-9]):/i
// The guest a volume belongs to: vm-101-disk-0, base-101-disk-0, subvol-101-disk-0, 101/vm-101-disk-0.qcow2,
// and backups vzdump-qemu-101-….
const volumeOwnerPatterns = [
  /(?:^|[:/])(?:vm|base|subvol|basevol)-(\d+)-/,
  /^[^:]+:(\d+)\//,
  /vzdump-(?:qemu|lxc|openvz)-(\d+)-/
]

/** The storage and owning guest a volume id names; an absolute path names no storage (it bypasses them). */
const volumeTargets = (volume: string, where: string): Target[] => {
  if (volume === "none" || volume === "cdrom" || volume === "") return []
  const targets: Target[] = []
  const storage = volumeStoragePattern.exec(volume)
  if (storage !== null) targets.push({ kind: "storage", value: storage[1]!, where })
  else if (volume.startsWith("/")) targets.push({ kind: "storage", value: `(host path ${volume})`, where })
  for (const pattern of volumeOwnerPatterns) {
    const owner = pattern.exec(volume)
    if (owner !== null) targets.push({ kind: "vmid", value: owner[1]!, where })
  }
  return targets
}

const volumeFormats = /volume|lxc-mp-string/

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

const paramTargets = (name: string, schema: ParamSchema | undefined, value: unknown, where: string): Target[] => {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value.flatMap((v) => paramTargets(name, schema?.items ?? schema, v, where))
  const text = String(value)
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

/** An HA resource id names a guest: `vm:100`, `ct:105` or just `100`. */
const haResourceTargets = (sid: string, where: string): Target[] => {
  const guest = /^(?:vm:|ct:)?(\d+)$/.exec(sid)
  return guest === null ? [] : [{ kind: "vmid", value: guest[1]!, where }]
}

// Path parameters whose format the schema leaves as a plain string.
const pathParamTargets = (name: string, value: string, where: string): Target[] => {
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
  return []
}

/** Task types whose id is a VM id (qmstart, vzdump, hastart, …). */
export const isGuestTask = (type: string) => /^(qm|vz|ha|lxc)|^(resize|move_volume)$/.test(type)

/** Every node, guest and storage a request names, in its path and in its parameters. */
export const requestTargets = (request: PveRequest, endpoint: EndpointDef | undefined): Target[] => {
  const properties = endpoint?.parameters.properties ?? {}
  const targets: Target[] = []
  for (const [name, value] of Object.entries(request.path.params)) {
    const where = `path {${name}}`
    targets.push(...pathParamTargets(name, value, where))
    const schema = propertySchema(properties, name)
    if (typeof schema?.format === "string") targets.push(...valueTargets(schema.format, value, where))
  }
  for (const [name, value] of Object.entries(request.params ?? {})) {
    targets.push(...paramTargets(name, propertySchema(properties, name), value, `parameter ${name}`))
  }
  return targets
}

const truthy = (value: unknown) => value === true || value === 1 || value === "1"

/**
 * The reason a request is refused by the allowlists, or undefined when it may go. A non-GET that acts on every
 * guest (bulk actions and backups without an explicit list, `all`, `pool`) is refused under a VMID allowlist,
 * since the guests it would touch are not named.
 */
export const allowlistViolation = (
  allowlists: Allowlists,
  request: PveRequest,
  endpoint: EndpointDef | undefined
): string | undefined => {
  for (const target of requestTargets(request, endpoint)) {
    if (!allowed(allowlists, target)) {
      const what = target.kind === "vmid" ? "guest" : target.kind
      return `${what} ${target.value} (${target.where}) is not in ${describeList(allowlists, target.kind)}`
    }
  }
  if (allowlists.vmids !== undefined && request.method !== "GET" && endpoint !== undefined) {
    const params = request.params ?? {}
    if (truthy(params.all))
      return "`all` would act on every guest, but PVE_VMID_ALLOWLIST is set: list the guests instead"
    if (params.pool !== undefined && Object.hasOwn(endpoint.parameters.properties ?? {}, "vmid")) {
      return "`pool` would act on guests that are not named, but PVE_VMID_ALLOWLIST is set: list the guests instead"
    }
    for (const [name, schema] of Object.entries(endpoint.parameters.properties ?? {})) {
      const selectsGuests = schema.format === "pve-vmid-list" && (name === "vms" || name === "vmid")
      if (selectsGuests && params[name] === undefined && !Object.hasOwn(request.path.params, name)) {
        return `without \`${name}\` this would act on every guest, but PVE_VMID_ALLOWLIST is set: list the guests in ${name}`
      }
    }
  }
  return undefined
}

type Row = Record<string, unknown>

const isRow = (value: unknown): value is Row => value !== null && typeof value === "object" && !Array.isArray(value)

/** Whether one row of a list answer shows only allowed things. */
const rowAllowed = (allowlists: Allowlists, template: string, row: Row): boolean => {
  const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined)
  const node = text(row.node)
  if (node !== undefined && !isNodeAllowed(allowlists, node)) return false
  const vmid = text(row.vmid)
  if (vmid !== undefined && !isVmidAllowed(allowlists, vmid)) return false
  const storage = text(row.storage)
  if (storage !== undefined && !isStorageAllowed(allowlists, storage)) return false
  const volid = text(row.volid)
  if (volid !== undefined) {
    for (const t of volumeTargets(volid, "volid")) if (!allowed(allowlists, t)) return false
  }
  // /cluster/status names nodes in `name`; /cluster/resources in `id` (node/pve1, storage/pve1/local)
  if (row.type === "node" && typeof row.name === "string" && template === "/cluster/status") {
    if (!isNodeAllowed(allowlists, row.name)) return false
  }
  const id = text(row.id)
  if (id !== undefined) {
    const nodeId = /^node\/(.+)$/.exec(id)
    if (nodeId !== null && !isNodeAllowed(allowlists, nodeId[1]!)) return false
    const storageId = /^storage\/[^/]+\/(.+)$/.exec(id)
    if (storageId !== null && !isStorageAllowed(allowlists, storageId[1]!)) return false
    const guestId = /^(?:qemu|lxc)\/(\d+)$/.exec(id)
    if (guestId !== null && !isVmidAllowed(allowlists, guestId[1]!)) return false
    // task lists: the id of a guest task is its VM id
    if (typeof row.type === "string" && isGuestTask(row.type) && /^\d+$/.test(id) && !isVmidAllowed(allowlists, id)) {
      return false
    }
  }
  const sid = text(row.sid)
  if (sid !== undefined) {
    const guest = /^(?:vm:|ct:)?(\d+)$/.exec(sid)
    if (guest !== null && !isVmidAllowed(allowlists, guest[1]!)) return false
  }
  const upid = text(row.upid)
  if (upid !== undefined) {
    const fields = parseUpid(upid)
    if (fields !== undefined) {
      if (!isNodeAllowed(allowlists, fields.node)) return false
      if (isGuestTask(fields.type) && /^\d+$/.test(fields.id) && !isVmidAllowed(allowlists, fields.id)) return false
    }
  }
  const guest = text(row.guest)
  if (guest !== undefined && /^\d+$/.test(guest) && !isVmidAllowed(allowlists, guest)) return false
  return true
}

/**
 * A GET answer with every row that shows a node, guest or storage outside the allowlists removed: lists
 * (`/cluster/resources`, `/nodes`, guest lists, storage lists, task lists, HA resources) and pool members.
 */
export const filterAnswer = (allowlists: Allowlists, template: string, data: unknown): unknown => {
  if (!hasAllowlist(allowlists)) return data
  if (Array.isArray(data)) return data.filter((row) => !isRow(row) || rowAllowed(allowlists, template, row))
  if (isRow(data) && Array.isArray(data.members)) {
    return { ...data, members: data.members.filter((row) => !isRow(row) || rowAllowed(allowlists, template, row)) }
  }
  return data
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
