/**
 * Creating, cloning and migrating guests: the endpoints, the encoders that turn typed values into PVE's own
 * property strings (`scsi0=local-lvm:32`, `net0=virtio,bridge=vmbr0,tag=10`, `ipconfig0=ip=…,gw=…`), and the
 * reads a plan makes first (the next free vmid, the node's storages, ISOs and templates, its bridges, the
 * migration preconditions), so that a request PVE would refuse is refused here, before anything is sent.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { loadApiSchema } from "./ApiSchema.js"
import { checkApiParams } from "./api.js"
import { nextVmidEndpoint } from "./cluster.js"
import { call, endpoint, TaskUpid } from "./Endpoint.js"
import { InvalidInput, type ProxmoxError } from "./errors.js"
import type { GuestType } from "./guests.js"
import { networkListEndpoint } from "./network.js"
import { type PlanStep, planStep } from "./Plan.js"
import type { HttpMethod, Params, ProxmoxClient } from "./ProxmoxClient.js"
import { isSecretName } from "./SecretNames.js"
import { type NodeStorage, nodeStorageEndpoint, storageContentEndpoint } from "./storage.js"
import { PveBoolean, PveNumber } from "./WireSchemas.js"

// ---------------------------------------------------------------------------------------------------------------
// Endpoints

export const createVmEndpoint = endpoint("POST", "/nodes/{node}/qemu", TaskUpid)
export const createCtEndpoint = endpoint("POST", "/nodes/{node}/lxc", TaskUpid)

export const cloneEndpoints = {
  qemu: endpoint("POST", "/nodes/{node}/qemu/{vmid}/clone", TaskUpid),
  lxc: endpoint("POST", "/nodes/{node}/lxc/{vmid}/clone", TaskUpid)
} as const

export const migrateEndpoints = {
  qemu: endpoint("POST", "/nodes/{node}/qemu/{vmid}/migrate", TaskUpid),
  lxc: endpoint("POST", "/nodes/{node}/lxc/{vmid}/migrate", TaskUpid)
} as const

/** `GET /nodes/{node}/qemu/{vmid}/migrate`: where the VM may go, and what keeps it from going. */
export const MigratePrecondition = Schema.Struct({
  running: Schema.optional(PveBoolean),
  allowed_nodes: Schema.optional(Schema.Array(Schema.String)),
  not_allowed_nodes: Schema.optional(
    Schema.Record({
      key: Schema.String,
      value: Schema.Struct({
        unavailable_storages: Schema.optional(Schema.Array(Schema.String)),
        unavailable_resources: Schema.optional(Schema.Array(Schema.String))
      })
    })
  ),
  local_disks: Schema.Array(
    Schema.Struct({
      volid: Schema.String,
      drivename: Schema.optional(Schema.String),
      cdrom: Schema.optional(PveBoolean),
      is_unused: Schema.optional(PveBoolean),
      size: Schema.optional(PveNumber)
    })
  ),
  local_resources: Schema.Array(Schema.String)
})
export type MigratePrecondition = typeof MigratePrecondition.Type

export const migratePreconditionEndpoint = endpoint("GET", "/nodes/{node}/qemu/{vmid}/migrate", MigratePrecondition)

// ---------------------------------------------------------------------------------------------------------------
// Encoders: typed values → PVE's encodings. Each returns the text, or a sentence saying what to fix.

const MIB_PER: Record<string, number> = { "": 1, M: 1, G: 1024, T: 1024 * 1024 }

const sizeText = /^\s*(\d+(?:\.\d+)?)\s*([MGT])?(?:i?B)?\s*$/i

/** Memory in MiB from a number (MiB) or a text with a unit ("4G", "512M", "1.5GiB"). */
export const memoryMiB = (value: number | string): number | string => {
  if (typeof value === "number") return Number.isInteger(value) ? value : `memory ${value} is not a whole number of MiB`
  const match = sizeText.exec(value)
  if (match === null) return `memory ${JSON.stringify(value)} is not a size: give MiB (2048) or a unit ("4G", "512M")`
  const mib = Number(match[1]) * MIB_PER[(match[2] ?? "").toUpperCase()]!
  return Number.isInteger(mib) ? mib : `memory ${JSON.stringify(value)} is not a whole number of MiB`
}

/** A disk size in GiB from a number (GiB) or a text with a unit ("32G", "512M", "1T"); PVE allocates in GiB. */
export const diskGiB = (value: number | string): number | string => {
  const gib =
    typeof value === "number"
      ? value
      : (() => {
          const match = sizeText.exec(value)
          if (match === null) return Number.NaN
          const unit = (match[2] ?? "G").toUpperCase()
          return (Number(match[1]) * MIB_PER[unit]!) / 1024
        })()
  if (!Number.isFinite(gib) || gib <= 0)
    return `disk size ${JSON.stringify(value)} is not a size: give GiB (32) or a unit ("32G", "512M")`
  // PVE takes fractions of a GiB; three decimals are finer than any allocation unit
  return Math.round(gib * 1000) / 1000
}

/** A new volume of `sizeGiB` on `storage`: PVE's allocation syntax `local-lvm:32`. */
export const newVolume = (storage: string, sizeGiB: number) => `${storage}:${sizeGiB}`

/** An ISO as a CD-ROM drive: `local:iso/x.iso,media=cdrom`. */
export const cdrom = (volid: string) => `${volid},media=cdrom`

/** A VM network device: `virtio,bridge=vmbr0,tag=10,firewall=1`. */
export const vmNet = (nic: {
  readonly model: string
  readonly bridge: string
  readonly vlan?: number | undefined
  readonly firewall?: boolean | undefined
}) =>
  [
    nic.model,
    `bridge=${nic.bridge}`,
    ...(nic.vlan === undefined ? [] : [`tag=${nic.vlan}`]),
    ...(nic.firewall ? ["firewall=1"] : [])
  ].join(",")

/** The EFI vars disk of an OVMF VM: 4m vars with the distribution's Secure Boot keys enrolled. */
export const efiDisk = (storage: string) => `${storage}:1,efitype=4m,pre-enrolled-keys=1`

/** The cloud-init drive: `local-lvm:cloudinit`. */
export const cloudInitDrive = (storage: string) => `${storage}:cloudinit`

/** A static address, or DHCP. */
export type IpConfig = "dhcp" | { readonly ip: string; readonly gw?: string | undefined } | string

const staticIp = (ip: string, gw: string | undefined) => {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(ip))
    return `ip ${JSON.stringify(ip)} is not an IPv4 address with a prefix length, e.g. 10.0.0.5/24`
  if (gw !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(gw))
    return `gw ${JSON.stringify(gw)} is not an IPv4 address, e.g. 10.0.0.1`
  return [`ip=${ip}`, ...(gw === undefined ? [] : [`gw=${gw}`])].join(",")
}

/**
 * `ipconfig0` of cloud-init: "dhcp" → `ip=dhcp`, `{ip, gw}` → `ip=10.0.0.5/24,gw=10.0.0.1`, and PVE's own form
 * (`ip=…,gw=…,ip6=…`) as it is. A string is an error when it is none of them.
 */
export const ipConfig = (value: IpConfig): { readonly ok: string } | { readonly problem: string } => {
  if (typeof value !== "string") {
    const text = staticIp(value.ip, value.gw)
    return text.startsWith("ip=") ? { ok: text } : { problem: text }
  }
  if (value === "dhcp") return { ok: "ip=dhcp" }
  const parts = value.split(",")
  if (parts.every((p) => /^(ip|gw|ip6|gw6)=[^,=\s]+$/.test(p))) return { ok: value }
  return {
    problem: `ipconfig ${JSON.stringify(value)} is not "dhcp", {ip: "10.0.0.5/24", gw: "10.0.0.1"} nor PVE's ip=…,gw=… form`
  }
}

/** A container network device: `name=eth0,bridge=vmbr0,ip=dhcp` or with a static address and `gw`, `tag`. */
export const ctNet = (nic: {
  readonly bridge: string
  readonly ip: string
  readonly gw?: string | undefined
  readonly vlan?: number | undefined
  readonly firewall?: boolean | undefined
}) =>
  [
    "name=eth0",
    `bridge=${nic.bridge}`,
    `ip=${nic.ip}`,
    ...(nic.gw === undefined ? [] : [`gw=${nic.gw}`]),
    ...(nic.vlan === undefined ? [] : [`tag=${nic.vlan}`]),
    ...(nic.firewall ? ["firewall=1"] : [])
  ].join(",")

/** PVE wants cloud-init's `sshkeys` URL-encoded (format `urlencoded`): one key per line, then encoded. */
export const encodedSshKeys = (keys: ReadonlyArray<string>) => encodeURIComponent(keys.join("\n"))

/** Container features: `nesting=1,keyctl=1`; empty when none is asked for. */
export const ctFeatures = (features: {
  readonly nesting?: boolean | undefined
  readonly keyctl?: boolean | undefined
  readonly fuse?: boolean | undefined
}) =>
  (["nesting", "keyctl", "fuse"] as const)
    .filter((name) => features[name] !== undefined)
    .map((name) => `${name}=${features[name] ? 1 : 0}`)
    .join(",")

/** PVE separates tags with ';'. */
export const tagList = (tags: ReadonlyArray<string>) => tags.join(";")

// ---------------------------------------------------------------------------------------------------------------
// What a plan reads first

const invalid = (field: string, message: string) => new InvalidInput({ field, message })

/**
 * The vmid of a new guest: the given one when it is free (PVE's `/cluster/nextid?vmid=` answers 400 when it is
 * taken), else the next free one.
 */
export const chooseVmid = (
  wanted: number | undefined,
  field: string
): Effect.Effect<number, ProxmoxError, ProxmoxClient> =>
  wanted === undefined
    ? call(nextVmidEndpoint, {})
    : call(nextVmidEndpoint, {}, { vmid: wanted }).pipe(
        Effect.catchTag("PveParamError", () =>
          Effect.fail(
            invalid(
              field,
              `vmid ${wanted} is taken by another guest; choose a free one, or leave ${field} out for the next free id`
            )
          )
        )
      )

export const storagesOn = (node: string) => call(nodeStorageEndpoint, { node })

const contentOf = (storage: NodeStorage) => storage.content.split(",").map((c) => c.trim())

/** The storage on the node that holds `content`, or a sentence naming the storages that would. */
export const storageFor = (
  storages: ReadonlyArray<NodeStorage>,
  wanted: string | undefined,
  content: string,
  node: string,
  field: string
): Effect.Effect<string, InvalidInput> => {
  const holding = storages.filter((s) => contentOf(s).includes(content) && s.enabled !== false && s.active !== false)
  const names = holding.map((s) => s.storage).join(", ") || "none"
  if (wanted === undefined) {
    const first = holding[0]
    return first === undefined
      ? Effect.fail(invalid(field, `no storage on node ${node} holds ${content}`))
      : Effect.succeed(first.storage)
  }
  const found = storages.find((s) => s.storage === wanted)
  if (found === undefined)
    return Effect.fail(
      invalid(field, `storage ${wanted} is not available on node ${node}; storages for ${content}: ${names}`)
    )
  if (!contentOf(found).includes(content))
    return Effect.fail(
      invalid(
        field,
        `storage ${wanted} on node ${node} does not hold ${content} (it holds ${found.content}); use one of: ${names}`
      )
    )
  return Effect.succeed(wanted)
}

const MAX_CANDIDATES = 12

/**
 * A volume of `content` (iso, vztmpl) on the node: a volume id is checked to exist; a file name is looked up on
 * every storage of the node that holds that content. None or several: an error listing the candidates.
 */
export const findVolume = (
  node: string,
  storages: ReadonlyArray<NodeStorage>,
  wanted: string,
  content: "iso" | "vztmpl",
  field: string
): Effect.Effect<string, ProxmoxError, ProxmoxClient> =>
  Effect.gen(function* () {
    const holding = storages.filter((s) => contentOf(s).includes(content))
    const byVolid = wanted.includes(":")
    const storeId = byVolid ? wanted.slice(0, wanted.indexOf(":")) : undefined
    const searched = byVolid ? holding.filter((s) => s.storage === storeId) : holding
    if (byVolid && searched.length === 0) {
      return yield* invalid(
        field,
        `${wanted}: storage ${storeId} is not on node ${node} or holds no ${content}; storages with ${content}: ${holding.map((s) => s.storage).join(", ") || "none"}`
      )
    }
    const volumes: string[] = []
    for (const storage of searched) {
      const listed = yield* call(storageContentEndpoint, { node, storage: storage.storage }, { content })
      volumes.push(...listed.map((v) => v.volid))
    }
    const fileOf = (volid: string) => volid.slice(volid.lastIndexOf("/") + 1)
    const matches = byVolid ? volumes.filter((v) => v === wanted) : volumes.filter((v) => fileOf(v) === wanted)
    if (matches.length === 1) return matches[0]!
    const shown = (list: ReadonlyArray<string>) =>
      list.length === 0
        ? "none"
        : `${list.slice(0, MAX_CANDIDATES).join(", ")}${list.length > MAX_CANDIDATES ? ` and ${list.length - MAX_CANDIDATES} more` : ""}`
    if (matches.length > 1)
      return yield* invalid(
        field,
        `${wanted} is on several storages of node ${node}: ${shown(matches)}; give the volume id`
      )
    return yield* invalid(
      field,
      `no ${content === "iso" ? "ISO image" : "container template"} ${wanted} on node ${node}; found: ${shown(volumes)}`
    )
  })

/** The bridge exists on the node (`GET /nodes/{node}/network?type=any_bridge`). */
export const checkBridge = (node: string, bridge: string, field: string) =>
  Effect.gen(function* () {
    const bridges = yield* call(networkListEndpoint, { node }, { type: "any_bridge" })
    if (!bridges.some((b) => b.iface === bridge)) {
      return yield* invalid(
        field,
        `bridge ${bridge} does not exist on node ${node}; its bridges: ${bridges.map((b) => b.iface).join(", ") || "none"}`
      )
    }
  })

/**
 * A plan step whose parameters were checked against the real API schema first, as PVE checks them: a value PVE
 * would refuse with 400 is refused here, with PVE's own words, and nothing is sent. Secret values are not shown.
 * A parameter left undefined is not part of the step (the plan shows exactly what is sent).
 */
export const checkedStep = <T extends string>(
  target: { readonly method: HttpMethod; readonly template: T; readonly startsTask: boolean },
  segments: { readonly [K: string]: string | number },
  given: Params
): Effect.Effect<PlanStep, ProxmoxError> =>
  Effect.gen(function* () {
    const params: Params = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined))
    const step = yield* planStep(target, segments as never, params)
    const schema = yield* Effect.promise(loadApiSchema)
    const endpointDef = schema.endpoint(target.method, target.template)
    if (endpointDef !== undefined) yield* checkApiParams({ endpoint: endpointDef, path: step.request.path }, params)
    return step
  })

/** The parameters of a request without their secrets: what an answer may show of what was sent. */
export const withoutSecrets = (params: Params, template: string): Record<string, string | number | boolean> => {
  const out: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || Array.isArray(value) || isSecretName(key, template)) continue
    out[key] = value as string | number | boolean
  }
  return out
}

/** The guest type's label, as PVE writes it. */
export const guestLabel = (type: GuestType) => (type === "qemu" ? "VM" : "CT")
