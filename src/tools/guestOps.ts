/**
 * Guest operations beyond start/shutdown/stop: reboot, reset, suspend, resume; config changes with optimistic
 * locking; disk growth; delete; conversion to a template; a guest's addresses and the next free VM id.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { clusterResourcesEndpoint, nextVmidEndpoint } from "../proxmox/cluster.js"
import { call } from "../proxmox/Endpoint.js"
import { InvalidInput } from "../proxmox/errors.js"
import {
  agentNetworkEndpoint,
  configUpdateEndpoints,
  convertToTemplatePlan,
  DiskSizeChange,
  deleteGuestPlan,
  destroyEndpoints,
  GuestType,
  getGuestInterfaces,
  getGuestStatus,
  guestConfigEndpoints,
  guestPendingEndpoints,
  guestStatusEndpoints,
  lxcInterfacesEndpoint,
  powerActionEndpoints,
  readableBytes,
  resizeDiskPlan,
  resizeEndpoints,
  resolveGuest,
  setConfigPlan,
  templateEndpoints
} from "../proxmox/guests.js"
import { segmentFormats } from "../proxmox/Path.js"
import { plan } from "../proxmox/Plan.js"
import { isSecretName } from "../proxmox/SecretNames.js"
import { type AnyTool, destructiveTool, readTool, writeTool } from "../proxmox/Tool.js"
import { GuestNode, Vmid } from "./fields.js"
import { confirmByVmid, powerToolPart } from "./guests.js"

const GuestAddress = { vmid: Vmid, node: Schema.optional(GuestNode) }
const ResolvedGuest = { vmid: Schema.Number, node: Schema.String, type: GuestType }

/** What finding a guest by vmid (and optional node) reads. */
const resolveEndpoints = [clusterResourcesEndpoint, ...Object.values(guestStatusEndpoints)]

const guestWord = (type: GuestType) => (type === "qemu" ? "VM" : "CT")

const ShutdownTimeout = Schema.Int.pipe(Schema.between(1, 3600)).annotations({
  description: "Seconds for the clean shutdown"
})

// ── power ──

export const pveGuestReboot = destructiveTool({
  ...powerToolPart({
    action: "reboot",
    title: "Reboot a guest",
    description: "Reboots a running guest cleanly (shutdown, then start with pending config applied).",
    input: Schema.Struct({ ...GuestAddress, timeout: Schema.optional(ShutdownTimeout) }),
    params: ({ timeout }) => ({ timeout })
  }),
  confirmTarget: confirmByVmid()
})

export const pveGuestReset = destructiveTool({
  ...powerToolPart({
    action: "reset",
    title: "Reset a VM (hard)",
    description: "Resets a running VM like the reset button: unsaved data is lost. VMs only.",
    input: Schema.Struct(GuestAddress),
    params: () => ({}),
    refuse: (_, guest) =>
      guest.type === "lxc"
        ? new InvalidInput({
            field: "vmid",
            message: `${guest.vmid} is a container: reset exists only for VMs; use pve_guest_reboot (clean), or pve_guest_stop then pve_guest_start`
          })
        : undefined
  }),
  confirmTarget: confirmByVmid()
})

export const pveGuestSuspend = destructiveTool({
  ...powerToolPart({
    action: "suspend",
    title: "Suspend a guest",
    description:
      "Pauses a running guest in memory, or with toDisk hibernates a VM (RAM to storage, stopped). Container suspend is experimental.",
    input: Schema.Struct({
      ...GuestAddress,
      toDisk: Schema.optional(Schema.Boolean.annotations({ description: "VMs: hibernate to disk" }))
    }),
    params: ({ toDisk }, guest) => (guest.type === "qemu" && toDisk === true ? { todisk: true } : {}),
    refuse: ({ toDisk }, guest) =>
      guest.type === "lxc" && toDisk === true
        ? new InvalidInput({
            field: "toDisk",
            message: `${guest.vmid} is a container: hibernation to disk exists only for VMs; suspend it without toDisk, or shut it down`
          })
        : undefined
  }),
  confirmTarget: confirmByVmid()
})

export const pveGuestResume = writeTool(
  powerToolPart({
    action: "resume",
    title: "Resume a guest",
    description: "Resumes a paused guest, or a VM hibernated to disk.",
    input: Schema.Struct(GuestAddress),
    params: () => ({})
  })
)

// ── config ──

const HIDDEN = "[hidden]"
const shown = (key: string, value: unknown) =>
  value === undefined ? undefined : isSecretName(key) ? HIDDEN : typeof value === "string" ? value : String(value)

const ConfigValue = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)

const TaskFields = {
  upid: Schema.optional(Schema.String),
  exitStatus: Schema.optional(Schema.String)
}

const PendingChange = Schema.Struct({
  key: Schema.String,
  current: Schema.optional(Schema.String),
  pending: Schema.optional(Schema.String),
  delete: Schema.Boolean
})

const SetConfigResult = Schema.Struct({
  ...ResolvedGuest,
  set: Schema.Array(Schema.Struct({ key: Schema.String, value: Schema.String })),
  deleted: Schema.Array(Schema.String),
  digest: Schema.optional(Schema.String),
  pending: Schema.Array(PendingChange),
  ...TaskFields
})

const CONFIG_KEY_PATTERN = /^[a-z][a-z0-9_-]*$/
const SET_DESCRIPTION = 'PVE\'s values (booleans become 0/1), e.g. {"cores": 4}'
const ConfigKey = Schema.String.pipe(Schema.pattern(CONFIG_KEY_PATTERN)).annotations({ jsonSchema: { type: "string" } })

export const pveGuestSetConfig = writeTool({
  name: "pve_guest_set_config",
  title: "Change a guest's configuration",
  description:
    'Sets and deletes a guest\'s config keys in one change, with PVE\'s values (memory MiB, net1: "virtio,bridge=vmbr0", new disk scsi1: "local-lvm:10"). Refused if the digest changed; never detaches or resizes disks.',
  toolset: "lifecycle",
  input: Schema.Struct({
    ...GuestAddress,
    set: Schema.optional(
      Schema.Record({ key: ConfigKey, value: ConfigValue }).annotations({
        description: SET_DESCRIPTION,
        // a plain map in JSON Schema (Effect writes a refined key as patternProperties "")
        jsonSchema: {
          type: "object",
          propertyNames: { pattern: CONFIG_KEY_PATTERN.source },
          additionalProperties: { type: ["string", "number", "boolean"] },
          description: SET_DESCRIPTION
        }
      })
    ),
    delete: Schema.optional(Schema.Array(ConfigKey).annotations({ description: "Keys to remove (not disks)" })),
    digest: Schema.optional(
      Schema.String.pipe(Schema.pattern(/^[0-9a-f]{40,64}$/)).annotations({
        description: "pve_guest_config's digest; refused if changed since"
      })
    )
  }),
  output: SetConfigResult,
  endpoints: [
    ...resolveEndpoints,
    ...Object.values(guestConfigEndpoints),
    ...Object.values(configUpdateEndpoints),
    ...Object.values(guestPendingEndpoints)
  ],
  plan: (input) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(input.vmid, input.node)
      const set = input.set ?? {}
      const deleted = input.delete ?? []
      const change = yield* setConfigPlan(guest, { set, delete: deleted, digest: input.digest })
      return plan(change.steps, (done) =>
        Effect.map(change.finish(done), (r) => ({
          vmid: guest.vmid,
          node: guest.node,
          type: guest.type,
          set: Object.entries(set).map(([key, value]) => ({ key, value: shown(key, value)! })),
          deleted: [...deleted],
          digest: r.digest,
          pending: r.pending.map((row) => ({
            key: row.key,
            current: shown(row.key, row.value),
            pending: shown(row.key, row.pending),
            delete: (row.delete ?? 0) > 0
          })),
          upid: r.task?.upid,
          exitStatus: r.task?.exitStatus
        }))
      )
    }),
  render: (r) => {
    const what = [
      ...r.set.map((s) => `${s.key}=${s.value}`),
      ...(r.deleted.length === 0 ? [] : [`deleted ${r.deleted.join(", ")}`])
    ].join(", ")
    const pending =
      r.pending.length === 0
        ? "all in effect now"
        : `pending until the next start or reboot: ${r.pending
            .map((p) => (p.delete ? `${p.key} (delete)` : `${p.key} ${p.current ?? "unset"} → ${p.pending}`))
            .join(", ")}`
    return `config of ${guestWord(r.type)} ${r.vmid} on ${r.node} changed: ${what}; ${pending}`
  }
})

// ── disks ──

const ResizeResult = Schema.Struct({
  ...ResolvedGuest,
  disk: Schema.String,
  volume: Schema.String,
  sizeBeforeBytes: Schema.optional(Schema.Number),
  sizeAfterBytes: Schema.Number,
  changed: Schema.Boolean,
  ...TaskFields
})

export const pveGuestResizeDisk = writeTool({
  name: "pve_guest_resize_disk",
  title: "Grow a guest's disk",
  description:
    "Grows a guest disk (scsi0, virtio0, rootfs, mp0, …); never shrinks. The OS must still grow its partition.",
  toolset: "lifecycle",
  input: Schema.Struct({
    ...GuestAddress,
    disk: Schema.String.pipe(
      Schema.pattern(/^((ide|sata|scsi|virtio)\d+|efidisk0|tpmstate0|rootfs|mp\d+)$/)
    ).annotations({
      description: "Config key, e.g. scsi0 or rootfs"
    }),
    size: Schema.String.pipe(Schema.pattern(DiskSizeChange)).annotations({
      description: "+10G: by 10 GiB; 50G: to 50 GiB (K, M, G, T)"
    })
  }),
  output: ResizeResult,
  endpoints: [...resolveEndpoints, ...Object.values(guestConfigEndpoints), ...Object.values(resizeEndpoints)],
  plan: (input) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(input.vmid, input.node)
      const resize = yield* resizeDiskPlan(guest, input.disk, input.size)
      return plan(resize.steps, (done) =>
        Effect.map(resize.finish(done), (r) => ({
          vmid: guest.vmid,
          node: guest.node,
          type: guest.type,
          disk: r.disk,
          volume: r.volume,
          sizeBeforeBytes: r.sizeBefore,
          sizeAfterBytes: r.sizeAfter,
          changed: r.changed,
          upid: r.task?.upid,
          exitStatus: r.task?.exitStatus
        }))
      )
    }),
  render: (r) =>
    `${r.disk} (${r.volume}) of ${guestWord(r.type)} ${r.vmid} on ${r.node}: ${
      r.changed
        ? `${r.sizeBeforeBytes === undefined ? "?" : readableBytes(r.sizeBeforeBytes)} → ${readableBytes(r.sizeAfterBytes)}${r.exitStatus ? ` (task ${r.exitStatus})` : ""}`
        : `already ${readableBytes(r.sizeAfterBytes)}, nothing sent`
    }`
})

// ── delete and template ──

const DeleteResult = Schema.Struct({
  ...ResolvedGuest,
  name: Schema.optional(Schema.String),
  stoppedFirst: Schema.Boolean,
  purge: Schema.Boolean,
  destroyUnreferencedDisks: Schema.Boolean,
  ...TaskFields
})

export const pveGuestDelete = destructiveTool({
  name: "pve_guest_delete",
  title: "Delete a guest",
  description:
    "Deletes a guest with its disks, for good, by default also from backup/replication jobs and HA. A running guest needs stop.",
  toolset: "lifecycle",
  input: Schema.Struct({
    ...GuestAddress,
    stop: Schema.optional(
      Schema.Boolean.annotations({
        description: "Hard-stop it first if running"
      })
    ),
    purge: Schema.optional(
      Schema.Boolean.annotations({ description: "Also from backup/replication jobs, HA (default true)" })
    ),
    destroyUnreferencedDisks: Schema.optional(
      Schema.Boolean.annotations({
        description: "Also unreferenced disks with its id (default true)"
      })
    )
  }),
  output: DeleteResult,
  endpoints: [...resolveEndpoints, ...powerActionEndpoints("stop"), ...Object.values(destroyEndpoints)],
  confirmTarget: confirmByVmid(),
  plan: (input) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(input.vmid, input.node)
      const options = {
        stop: input.stop ?? false,
        purge: input.purge ?? true,
        destroyUnreferencedDisks: input.destroyUnreferencedDisks ?? true
      }
      const deletion = yield* deleteGuestPlan(guest, options)
      return plan(deletion.steps, (done) =>
        Effect.map(deletion.finish(done), (r) => ({
          vmid: guest.vmid,
          node: guest.node,
          type: guest.type,
          name: guest.name,
          stoppedFirst: r.stopped,
          purge: options.purge,
          destroyUnreferencedDisks: options.destroyUnreferencedDisks,
          upid: r.task?.upid,
          exitStatus: r.task?.exitStatus
        }))
      )
    }),
  render: (r) =>
    `${guestWord(r.type)} ${r.vmid}${r.name ? ` (${r.name})` : ""} on ${r.node} deleted${r.stoppedFirst ? " after a hard stop" : ""}: ${r.exitStatus ?? "done"}${r.purge ? "; removed from jobs and HA" : ""}${r.destroyUnreferencedDisks ? "; unreferenced disks destroyed" : ""}`
})

const TemplateResult = Schema.Struct({ ...ResolvedGuest, name: Schema.optional(Schema.String), ...TaskFields })

export const pveGuestConvertToTemplate = destructiveTool({
  name: "pve_guest_convert_to_template",
  title: "Convert a guest to a template",
  description: "Turns a stopped guest into a template, irreversibly: it can then only be cloned.",
  toolset: "lifecycle",
  input: Schema.Struct(GuestAddress),
  output: TemplateResult,
  endpoints: [...resolveEndpoints, ...Object.values(guestConfigEndpoints), ...Object.values(templateEndpoints)],
  confirmTarget: confirmByVmid(),
  plan: (input) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(input.vmid, input.node)
      const conversion = yield* convertToTemplatePlan(guest)
      return plan(conversion.steps, (done) =>
        Effect.map(conversion.finish(done), (r) => ({
          vmid: guest.vmid,
          node: guest.node,
          type: guest.type,
          name: guest.name,
          upid: r.task?.upid,
          exitStatus: r.task?.exitStatus
        }))
      )
    }),
  render: (r) =>
    `${guestWord(r.type)} ${r.vmid}${r.name ? ` (${r.name})` : ""} on ${r.node} is now a template${r.exitStatus ? ` (task ${r.exitStatus})` : ""}`
})

// ── reads ──

const NetworkInterface = Schema.Struct({
  name: Schema.String,
  mac: Schema.optional(Schema.String),
  ipv4: Schema.Array(Schema.String),
  ipv6: Schema.Array(Schema.String)
})

const NetworkResult = Schema.Struct({
  ...ResolvedGuest,
  name: Schema.optional(Schema.String),
  source: Schema.Literal("qemu-guest-agent", "lxc"),
  running: Schema.Boolean,
  interfaces: Schema.Array(NetworkInterface)
})

const isLoopback = (i: { name: string; ipv4: ReadonlyArray<string>; ipv6: ReadonlyArray<string> }) =>
  i.name === "lo" ||
  (i.ipv4.length + i.ipv6.length > 0 &&
    [...i.ipv4, ...i.ipv6].every((a) => a.startsWith("127.") || a.startsWith("::1/") || a === "::1"))

export const pveGuestNetwork = readTool({
  name: "pve_guest_network",
  title: "Guest IP addresses",
  description: "A running guest's interfaces with MAC and IP addresses; a VM needs its QEMU guest agent running.",
  toolset: "core",
  input: Schema.Struct({
    ...GuestAddress,
    includeLoopback: Schema.optional(Schema.Boolean.annotations({ description: "Also list the loopback interface" }))
  }),
  output: NetworkResult,
  endpoints: [...resolveEndpoints, agentNetworkEndpoint, lxcInterfacesEndpoint],
  handler: ({ vmid, node, includeLoopback }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      const status = guest.current ?? (yield* getGuestStatus(guest))
      const base = {
        vmid: guest.vmid,
        node: guest.node,
        type: guest.type,
        name: guest.name ?? status.name,
        source: guest.type === "qemu" ? ("qemu-guest-agent" as const) : ("lxc" as const)
      }
      if (status.status !== "running") return { ...base, running: false, interfaces: [] }
      const found = yield* getGuestInterfaces(guest)
      if (found === undefined) return { ...base, running: false, interfaces: [] }
      const interfaces = found
        .filter((i) => includeLoopback === true || !isLoopback(i))
        .map((i) => ({ name: i.name, mac: i.mac, ipv4: [...i.ipv4], ipv6: [...i.ipv6] }))
      return { ...base, running: true, interfaces }
    }),
  render: (r) => {
    const head = `${guestWord(r.type)} ${r.vmid}${r.name ? ` (${r.name})` : ""} on ${r.node}`
    if (!r.running) return `${head} is not running: no addresses`
    if (r.interfaces.length === 0) return `${head}: no interfaces reported`
    return [
      `${head}, from ${r.source === "lxc" ? "PVE" : "the QEMU guest agent"}:`,
      ...r.interfaces.map(
        (i) =>
          `  ${i.name}${i.mac ? ` ${i.mac}` : ""}: ${[i.ipv4.join(", "), i.ipv6.join(", ")].filter((s) => s !== "").join("; ") || "no addresses"}`
      )
    ].join("\n")
  }
})

const WANTED_VMID = "An id you want to use: is it free?"

const NextVmidResult = Schema.Struct({
  nextFree: Schema.Number,
  requested: Schema.optional(Schema.Number),
  requestedFree: Schema.optional(Schema.Boolean)
})

export const pveNextVmid = readTool({
  name: "pve_next_vmid",
  title: "Next free VM id",
  description: "The next free guest id; with vmid, whether that id is free.",
  toolset: "core",
  input: Schema.Struct({
    vmid: Schema.optional(
      Vmid.annotations({
        description: WANTED_VMID,
        jsonSchema: { ...segmentFormats.vmid.jsonSchema, description: WANTED_VMID }
      })
    )
  }),
  output: NextVmidResult,
  endpoints: [nextVmidEndpoint],
  handler: ({ vmid }) =>
    Effect.gen(function* () {
      const next = yield* call(nextVmidEndpoint, {})
      if (vmid === undefined) return { nextFree: next }
      const free = yield* call(nextVmidEndpoint, {}, { vmid }).pipe(
        Effect.as(true),
        // PVE answers 400 "VM {vmid} already exists" for a taken id
        Effect.catchTag("PveParamError", (e) =>
          /already exists/.test(e.errors.vmid ?? e.message) ? Effect.succeed(false) : Effect.fail(e)
        )
      )
      return { nextFree: next, requested: vmid, requestedFree: free }
    }),
  render: (r) =>
    r.requested === undefined
      ? `next free VM id: ${r.nextFree}`
      : r.requestedFree
        ? `${r.requested} is free (the next free id is ${r.nextFree})`
        : `${r.requested} is taken; the next free id is ${r.nextFree}`
})

export const guestOpsTools: ReadonlyArray<AnyTool> = [
  pveGuestNetwork,
  pveNextVmid,
  pveGuestReboot,
  pveGuestReset,
  pveGuestSuspend,
  pveGuestResume,
  pveGuestSetConfig,
  pveGuestResizeDisk,
  pveGuestConvertToTemplate,
  pveGuestDelete
]
