import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { clusterResourcesEndpoint, getClusterResources, unreachableNodes } from "../proxmox/cluster.js"
import type { InvalidInput } from "../proxmox/errors.js"
import {
  GuestConfig,
  type GuestRef,
  GuestStatus,
  GuestType,
  getGuestConfig,
  getGuestStatus,
  guestConfigEndpoints,
  guestStatusEndpoints,
  guestsOfResources,
  type PowerAction,
  powerActionEndpoints,
  powerPlan,
  resolveGuest
} from "../proxmox/guests.js"
import { validateSegment } from "../proxmox/Path.js"
import { plan } from "../proxmox/Plan.js"
import type { Params } from "../proxmox/ProxmoxClient.js"
import { type AnyTool, type ConfirmTarget, destructiveTool, readTool, writeTool } from "../proxmox/Tool.js"
import { GuestNode, GuestTypeFilter, Node, SnapshotName, Vmid } from "./fields.js"
import { bytes, duration, guestLabel, percent, usage } from "./format.js"
import { GuestFields, GuestRow, GuestSort, guestLine, guestRow, guestSortValue } from "./guestRows.js"
import {
  Cursor,
  Limit,
  NamePattern,
  nameMatcher,
  PageFields,
  pageFooter,
  pageSummary,
  paginate,
  parseSort
} from "./paging.js"

const GuestAddress = { vmid: Vmid, node: Schema.optional(GuestNode) }

/** What finding a guest by vmid (and optional node) reads. */
const resolveEndpoints = [clusterResourcesEndpoint, ...Object.values(guestStatusEndpoints)]

const GuestStatusFilter = Schema.Literal(
  "running",
  "stopped",
  "paused",
  "suspended",
  "prelaunch",
  "unknown"
).annotations({ description: "Only guests in this state" })

export const pveListGuests = readTool({
  name: "pve_list_guests",
  title: "List VMs and containers",
  description: "VMs and containers with cpu, memory, disk and uptime; filtered and sorted.",
  toolset: "core",
  input: Schema.Struct({
    type: Schema.optional(GuestTypeFilter),
    node: Schema.optional(Node),
    status: Schema.optional(GuestStatusFilter),
    tag: Schema.optional(
      Schema.String.pipe(Schema.maxLength(128)).annotations({ description: "Only guests with this tag" })
    ),
    pool: Schema.optional(
      Schema.String.pipe(Schema.maxLength(128)).annotations({ description: "Only guests in this pool" })
    ),
    name: Schema.optional(NamePattern),
    sort: Schema.optional(GuestSort),
    fields: Schema.optional(GuestFields),
    limit: Schema.optional(Limit),
    cursor: Schema.optional(Cursor)
  }),
  output: Schema.Struct({
    guests: Schema.Array(GuestRow),
    sort: Schema.String,
    ...PageFields,
    unreachableNodes: Schema.Array(Schema.String).annotations({
      description: "offline nodes: their guests show status unknown, without figures"
    })
  }),
  endpoints: [clusterResourcesEndpoint],
  handler: (input) =>
    Effect.gen(function* () {
      if (input.node !== undefined) yield* validateSegment("node", input.node)
      const resources = yield* getClusterResources()
      const { type, node, status, tag, pool, name } = input
      const guests = guestsOfResources(resources, { type, node, status, tag, pool, name: nameMatcher(name) })
      const sort = parseSort(input.sort, "vmid")
      const fields = input.fields ?? []
      const page = yield* paginate(guests, {
        query: { list: "guests", type, node, status, tag, pool, name, sort: sort.label },
        key: (g) => guestSortValue(sort.key, g),
        descending: sort.descending,
        tiebreak: (g) => g.vmid,
        limit: input.limit,
        cursor: input.cursor,
        sizeOf: (g) => {
          const row = guestRow(g, fields)
          return JSON.stringify(row).length + guestLine(row).length + 4
        }
      })
      const rows = page.rows.map((g) => guestRow(g, fields))
      return {
        guests: rows,
        ...pageSummary(page, rows.length),
        sort: sort.label,
        unreachableNodes: unreachableNodes(resources)
      }
    }),
  render: (out) =>
    [
      ...(out.unreachableNodes.length
        ? [`unreachable nodes (offline): ${out.unreachableNodes.join(", ")}; their guests show status unknown`]
        : []),
      ...(out.total === 0 ? ["no guests match"] : out.guests.map(guestLine)),
      pageFooter(out)
    ]
      .filter((l) => l !== "")
      .join("\n")
})

const ResolvedGuest = { vmid: Schema.Number, node: Schema.String, type: GuestType }

export const pveGuestStatus = readTool({
  name: "pve_guest_status",
  title: "Guest status",
  description: "Live state of one guest: CPU, memory, disk, uptime, lock, HA state.",
  toolset: "core",
  input: Schema.Struct(GuestAddress),
  output: Schema.Struct({ ...ResolvedGuest, current: GuestStatus }),
  endpoints: resolveEndpoints,
  handler: ({ vmid, node }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      // found on a given node, the guest's status was just read: one request, not two
      const current = guest.current ?? (yield* getGuestStatus(guest))
      return { vmid: guest.vmid, node: guest.node, type: guest.type, current }
    }),
  render: ({ vmid, node, type, current: c }) => {
    const running = c.status === "running"
    const figures = [
      running ? `cpu ${percent(c.cpu)}${c.cpus === undefined ? "" : ` of ${c.cpus}`}` : undefined,
      running ? `mem ${usage(c.mem, c.maxmem)}` : c.maxmem === undefined ? undefined : `mem ${bytes(c.maxmem)}`,
      c.maxdisk === undefined ? undefined : `disk ${c.disk ? usage(c.disk, c.maxdisk) : bytes(c.maxdisk)}`,
      running && c.uptime !== undefined ? `up ${duration(c.uptime)}` : undefined,
      running && (c.netin !== undefined || c.netout !== undefined)
        ? `net in ${bytes(c.netin)} out ${bytes(c.netout)}`
        : undefined,
      c.lock ? `locked (${c.lock})` : undefined,
      c.ha?.managed ? `ha ${c.ha.state ?? "managed"}` : undefined
    ].filter((f) => f !== undefined)
    const qmp = c.qmpstatus && c.qmpstatus !== c.status ? ` (${c.qmpstatus})` : ""
    return `${type} ${guestLabel({ vmid, name: c.name })} on ${node}: ${c.status}${qmp}${figures.length ? `, ${figures.join(", ")}` : ""}`
  }
})

export const pveGuestConfig = readTool({
  name: "pve_guest_config",
  title: "Guest configuration",
  description: "One guest's configuration (cores, memory, disks, network, …), pending changes applied unless current.",
  toolset: "core",
  input: Schema.Struct({
    ...GuestAddress,
    current: Schema.optional(Schema.Boolean.annotations({ description: "Running values, without pending" })),
    snapshot: Schema.optional(SnapshotName.annotations({ description: "Read the config saved in this snapshot" }))
  }),
  output: Schema.Struct({ ...ResolvedGuest, config: GuestConfig }),
  endpoints: [...resolveEndpoints, ...Object.values(guestConfigEndpoints)],
  handler: ({ vmid, node, current, snapshot }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid, node)
      const config = yield* getGuestConfig(guest, {
        ...(current === undefined ? {} : { current }),
        ...(snapshot === undefined ? {} : { snapshot })
      })
      return { vmid: guest.vmid, node: guest.node, type: guest.type, config }
    }),
  render: ({ vmid, node, type, config }) =>
    [
      `${type} ${vmid} on ${node}:`,
      ...Object.entries(config)
        .filter(([k]) => k !== "digest")
        .map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    ].join("\n")
})

const PowerResult = Schema.Struct({
  ...ResolvedGuest,
  action: Schema.String,
  upid: Schema.String,
  exitStatus: Schema.String,
  warnings: Schema.Number,
  warningLines: Schema.Array(Schema.String),
  statusAfter: Schema.String,
  durationSeconds: Schema.optional(Schema.Number)
})

type GuestInput = { readonly vmid: number; readonly node?: string | undefined }

interface PowerToolSpec<I extends GuestInput, IE> {
  readonly action: PowerAction
  readonly title: string
  readonly description: string
  readonly input: Schema.Schema<I, IE>
  readonly params: (input: I, guest: GuestRef) => Params
  /** a refusal decided once the guest is found (a container has no reset), before anything is sent */
  readonly refuse?: (input: I, guest: GuestRef) => InvalidInput | undefined
}

/** The plan of a power tool: find the guest, one task, then its status; the answer is the tool's result shape. */
export const powerToolPart = <I extends GuestInput, IE>(spec: PowerToolSpec<I, IE>) => ({
  name: `pve_guest_${spec.action}`,
  title: spec.title,
  description: spec.description,
  toolset: "lifecycle" as const,
  input: spec.input,
  output: PowerResult,
  endpoints: [...resolveEndpoints, ...powerActionEndpoints(spec.action)],
  plan: (input: I) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(input.vmid, input.node)
      const refused = spec.refuse?.(input, guest)
      if (refused !== undefined) return yield* refused
      const power = yield* powerPlan(guest, spec.action, spec.params(input, guest))
      return plan(power.steps, (done) =>
        Effect.map(power.finish(done), (r) => ({
          vmid: r.vmid,
          node: r.node,
          type: r.guestType,
          action: r.action,
          upid: r.upid,
          exitStatus: r.exitStatus,
          warnings: r.warnings,
          warningLines: r.warningLines,
          statusAfter: r.statusAfter,
          durationSeconds: r.durationSeconds
        }))
      )
    }),
  render: (r: typeof PowerResult.Type) =>
    `${r.action} of ${r.type} ${r.vmid} on ${r.node}: ${r.exitStatus}; now ${r.statusAfter}${r.warningLines.length ? `\nwarnings:\n${r.warningLines.join("\n")}` : ""}`
})

export const confirmByVmid = <I extends GuestInput>(): ConfirmTarget<I> => ({ echo: "vmid", of: (input) => input.vmid })

export const pveGuestStart = writeTool(
  powerToolPart({
    action: "start",
    title: "Start a guest",
    description: "Starts a VM or container; reports the task's exit status and the state after.",
    input: Schema.Struct(GuestAddress),
    params: () => ({})
  })
)

const ShutdownInput = Schema.Struct({
  ...GuestAddress,
  timeout: Schema.optional(
    Schema.Int.pipe(Schema.between(1, 3600)).annotations({ description: "Seconds to wait for a clean shutdown" })
  ),
  forceStop: Schema.optional(Schema.Boolean.annotations({ description: "Hard-stop on timeout" }))
})

export const pveGuestShutdown = destructiveTool({
  ...powerToolPart({
    action: "shutdown",
    title: "Shut down a guest",
    description: "Shuts a VM (ACPI or agent) or container down cleanly; past timeout the task fails unless forceStop.",
    input: ShutdownInput,
    params: ({ timeout, forceStop }) => ({ timeout, forceStop })
  }),
  confirmTarget: confirmByVmid()
})

export const pveGuestStop = destructiveTool({
  ...powerToolPart({
    action: "stop",
    title: "Stop a guest (hard)",
    description: "Stops a guest at once, like pulling the power cord: unsaved data is lost. Prefer pve_guest_shutdown.",
    input: Schema.Struct(GuestAddress),
    params: () => ({})
  }),
  confirmTarget: confirmByVmid()
})

export const guestTools: ReadonlyArray<AnyTool> = [
  pveListGuests,
  pveGuestStatus,
  pveGuestConfig,
  pveGuestStart,
  pveGuestShutdown,
  pveGuestStop
]
