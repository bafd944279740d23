import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidInput } from "../proxmox/errors.js"
import {
  type NetworkInterface,
  networkApplyEndpoint,
  networkCreateEndpoint,
  networkListEndpoint,
  networkRevertEndpoint,
  pendingInterfaces,
  readNetwork
} from "../proxmox/network.js"
import { validateSegment } from "../proxmox/Path.js"
import { plan, planStep } from "../proxmox/Plan.js"
import { type AnyTool, destructiveTool, readTool, writeTool } from "../proxmox/Tool.js"
import { Node } from "./fields.js"

const InterfaceRow = Schema.Struct({
  iface: Schema.String,
  type: Schema.String,
  active: Schema.Boolean,
  autostart: Schema.Boolean,
  pending: Schema.Boolean.annotations({ description: "changed by a staged change not applied yet" }),
  method: Schema.optional(Schema.String),
  cidr: Schema.optional(Schema.String),
  gateway: Schema.optional(Schema.String),
  cidr6: Schema.optional(Schema.String),
  ports: Schema.optional(Schema.Array(Schema.String)),
  vlanAware: Schema.optional(Schema.Boolean),
  slaves: Schema.optional(Schema.Array(Schema.String)),
  bondMode: Schema.optional(Schema.String),
  vlanId: Schema.optional(Schema.Number),
  vlanRawDevice: Schema.optional(Schema.String),
  mtu: Schema.optional(Schema.Number),
  comment: Schema.optional(Schema.String)
})
type InterfaceRow = typeof InterfaceRow.Type

const words = (text: string | undefined) => (text ?? "").split(/[\s,;]+/).filter((w) => w !== "" && w !== "none")

const rowOf = (i: NetworkInterface, pending: ReadonlySet<string>): InterfaceRow => ({
  iface: i.iface,
  type: i.type,
  active: i.active ?? false,
  autostart: i.autostart ?? false,
  pending: pending.has(i.iface),
  ...(i.method === undefined ? {} : { method: i.method }),
  ...(i.cidr === undefined ? {} : { cidr: i.cidr }),
  ...(i.gateway === undefined ? {} : { gateway: i.gateway }),
  ...(i.cidr6 === undefined ? {} : { cidr6: i.cidr6 }),
  ...(i.bridge_ports === undefined ? {} : { ports: words(i.bridge_ports) }),
  ...(i.bridge_vlan_aware === undefined ? {} : { vlanAware: i.bridge_vlan_aware }),
  ...(i.slaves === undefined ? {} : { slaves: words(i.slaves) }),
  ...(i.bond_mode === undefined ? {} : { bondMode: i.bond_mode }),
  ...(i["vlan-id"] === undefined ? {} : { vlanId: i["vlan-id"] }),
  ...(i["vlan-raw-device"] === undefined ? {} : { vlanRawDevice: i["vlan-raw-device"] }),
  ...(i.mtu === undefined ? {} : { mtu: i.mtu }),
  ...(i.comments === undefined ? {} : { comment: i.comments.trim() })
})

const CHANGES_MAX = 8000

const NetworkView = {
  node: Schema.String,
  interfaces: Schema.Array(InterfaceRow),
  pending: Schema.Array(Schema.String).annotations({ description: "interfaces with staged changes" }),
  changes: Schema.optional(Schema.String.annotations({ description: "the staged diff (interfaces → interfaces.new)" }))
}
const NetworkViewSchema = Schema.Struct(NetworkView)
type NetworkView = typeof NetworkViewSchema.Type

const viewOf = (
  node: string,
  interfaces: ReadonlyArray<NetworkInterface>,
  changes: string | undefined
): NetworkView => {
  const pending = pendingInterfaces(changes)
  const set = new Set(pending)
  const order = [
    "bridge",
    "bond",
    "vlan",
    "eth",
    "OVSBridge",
    "OVSBond",
    "OVSPort",
    "OVSIntPort",
    "alias",
    "vnet",
    "fabric",
    "unknown"
  ]
  const rank = (type: string) => (order.indexOf(type) + order.length + 1) % (order.length + 1)
  return {
    node,
    interfaces: [...interfaces]
      .sort((a, b) => rank(a.type) - rank(b.type) || a.iface.localeCompare(b.iface))
      .map((i) => rowOf(i, set)),
    pending,
    ...(changes === undefined ? {} : { changes: changes.slice(0, CHANGES_MAX) })
  }
}

const renderInterface = (i: InterfaceRow) =>
  `${i.pending ? "* " : "  "}${i.iface} (${i.type})${i.cidr ? ` ${i.cidr}` : ""}${i.gateway ? ` gw ${i.gateway}` : ""}${i.ports?.length ? ` ports ${i.ports.join(" ")}` : ""}${i.slaves?.length ? ` slaves ${i.slaves.join(" ")}` : ""}${i.bondMode ? ` ${i.bondMode}` : ""}${i.vlanId === undefined ? "" : ` vlan ${i.vlanId}${i.vlanRawDevice ? ` on ${i.vlanRawDevice}` : ""}`}${i.vlanAware ? " vlan-aware" : ""}${i.active ? "" : " inactive"}${i.autostart ? "" : " no-autostart"}${i.comment ? ` # ${i.comment}` : ""}`

const renderView = (v: NetworkView) =>
  [
    `${v.node} network: ${v.interfaces.length} interfaces${v.pending.length === 0 ? ", nothing pending" : `; pending (not applied, marked *): ${v.pending.join(", ")}; apply with pve_network_apply or drop with pve_network_revert`}`,
    ...v.interfaces.map(renderInterface),
    ...(v.changes === undefined ? [] : ["staged diff:", v.changes.trimEnd()])
  ].join("\n")

const InterfaceType = Schema.Literal(
  "bridge",
  "bond",
  "eth",
  "vlan",
  "alias",
  "OVSBridge",
  "OVSBond",
  "OVSPort",
  "OVSIntPort",
  "any_bridge"
)

export const pveListNetwork = readTool({
  name: "pve_list_network",
  title: "Node network",
  description:
    "A node's network interfaces with addresses, ports and state, and staged changes not yet applied (diff).",
  toolset: "network",
  input: Schema.Struct({
    node: Node,
    type: Schema.optional(InterfaceType.annotations({ description: "any_bridge: Linux and OVS bridges" }))
  }),
  output: NetworkViewSchema,
  endpoints: [networkListEndpoint],
  handler: ({ node, type }) =>
    Effect.gen(function* () {
      yield* validateSegment("node", node)
      const { interfaces, changes } = yield* readNetwork(node)
      const view = viewOf(node, interfaces, changes)
      if (type === undefined) return view
      const wanted = (row: InterfaceRow) =>
        type === "any_bridge" ? row.type === "bridge" || row.type === "OVSBridge" : row.type === type
      return { ...view, interfaces: view.interfaces.filter(wanted) }
    }),
  render: renderView
})

const BRIDGE_NAME = /^vmbr\d{1,4}$/
const PORT_NAME = /^[a-zA-Z][a-zA-Z0-9_]{1,20}(\.\d{1,4})?$/
const CIDR4 = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/
const IPV4 = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/

const CreateBridgeInput = Schema.Struct({
  node: Node,
  name: Schema.String.annotations({ description: "vmbrN, e.g. vmbr1" }),
  ports: Schema.optional(
    Schema.Array(Schema.String).pipe(Schema.maxItems(16)).annotations({
      description: 'Interfaces to attach, e.g. ["eno2"]; none: internal'
    })
  ),
  cidr: Schema.optional(Schema.String.annotations({ description: "Host IPv4 on it, e.g. 10.20.0.5/24" })),
  gateway: Schema.optional(Schema.String.annotations({ description: "IPv4 gateway (needs cidr; one per node)" })),
  vlanAware: Schema.optional(Schema.Boolean.annotations({ description: "Guests then set a VLAN tag" })),
  autostart: Schema.optional(Schema.Boolean.annotations({ description: "Bring it up at boot (default true)" })),
  comment: Schema.optional(
    Schema.String.pipe(Schema.maxLength(200)).annotations({ description: "Comment shown in the GUI" })
  )
})

const invalid = (field: string, message: string) => new InvalidInput({ field, message })

export const pveNetworkCreateBridge = writeTool({
  name: "pve_network_create_bridge",
  title: "Create a Linux bridge",
  description: "Stages a Linux bridge vmbrN on a node; nothing changes on the host until pve_network_apply.",
  toolset: "network",
  input: CreateBridgeInput,
  output: NetworkViewSchema,
  endpoints: [networkListEndpoint, networkCreateEndpoint],
  plan: (input) =>
    Effect.gen(function* () {
      if (!BRIDGE_NAME.test(input.name)) {
        return yield* invalid("name", `"${input.name}" is not a bridge name: use vmbr followed by a number, e.g. vmbr1`)
      }
      const ports = input.ports ?? []
      const badPort = ports.find((p) => !PORT_NAME.test(p))
      if (badPort !== undefined)
        return yield* invalid("ports", `"${badPort}" is not an interface name (e.g. eno2, bond0, eno1.20)`)
      if (input.cidr !== undefined && !CIDR4.test(input.cidr)) {
        return yield* invalid("cidr", `"${input.cidr}" is not an IPv4 address with prefix, e.g. 10.20.0.5/24`)
      }
      if (input.gateway !== undefined && !IPV4.test(input.gateway)) {
        return yield* invalid("gateway", `"${input.gateway}" is not an IPv4 address`)
      }
      if (input.gateway !== undefined && input.cidr === undefined) {
        return yield* invalid("gateway", "a gateway needs the bridge's own address: give cidr too")
      }
      yield* validateSegment("node", input.node)
      const { interfaces } = yield* readNetwork(input.node)
      const byName = new Map(interfaces.map((i) => [i.iface, i]))
      if (byName.has(input.name)) {
        return yield* invalid(
          "name",
          `${input.name} already exists on ${input.node} (see pve_list_network); choose another number`
        )
      }
      for (const port of ports) {
        const found = byName.get(port)
        if (found === undefined) {
          return yield* invalid("ports", `${port} is not an interface of ${input.node} (see pve_list_network)`)
        }
        const owner = interfaces.find((i) => i.type === "bridge" && words(i.bridge_ports).includes(port))
        if (owner !== undefined) return yield* invalid("ports", `${port} is already a port of ${owner.iface}`)
      }
      if (input.gateway !== undefined) {
        const other = interfaces.find((i) => i.gateway !== undefined)
        if (other !== undefined) {
          return yield* invalid(
            "gateway",
            `${other.iface} already has the default gateway ${other.gateway}; a node has one`
          )
        }
      }
      const step = yield* planStep(
        networkCreateEndpoint,
        { node: input.node },
        {
          iface: input.name,
          type: "bridge",
          bridge_ports: ports.length === 0 ? undefined : ports.join(" "),
          cidr: input.cidr,
          gateway: input.gateway,
          bridge_vlan_aware: input.vlanAware,
          autostart: input.autostart ?? true,
          comments: input.comment
        }
      )
      return plan([step], () =>
        Effect.map(readNetwork(input.node), ({ interfaces: after, changes }) => viewOf(input.node, after, changes))
      )
    }),
  render: renderView
})

const ApplyResult = Schema.Struct({
  node: Schema.String,
  applied: Schema.Array(Schema.String).annotations({ description: "interfaces whose staged changes were applied" }),
  changes: Schema.String,
  upid: Schema.String,
  exitStatus: Schema.String,
  stillPending: Schema.Array(Schema.String)
})

export const pveNetworkApply = destructiveTool({
  name: "pve_network_apply",
  title: "Apply network changes",
  description:
    "Applies a node's staged network changes (ifreload); a wrong change can cut the node off. Refused if nothing is pending.",
  toolset: "network",
  input: Schema.Struct({ node: Node }),
  output: ApplyResult,
  endpoints: [networkListEndpoint, networkApplyEndpoint],
  confirmTarget: { echo: "name", what: "node", of: (input) => input.node },
  plan: ({ node }) =>
    Effect.gen(function* () {
      yield* validateSegment("node", node)
      const { changes } = yield* readNetwork(node)
      if (changes === undefined) {
        return yield* invalid(
          "node",
          `nothing is pending on ${node}: there are no staged network changes to apply (nothing was sent)`
        )
      }
      const step = yield* planStep(networkApplyEndpoint, { node })
      return plan([step], (done) =>
        Effect.gen(function* () {
          const task = done[0]!.task!
          const after = yield* readNetwork(node)
          return {
            node,
            applied: pendingInterfaces(changes),
            changes: changes.slice(0, CHANGES_MAX),
            upid: task.upid,
            exitStatus: task.exitStatus,
            stillPending: pendingInterfaces(after.changes)
          }
        })
      )
    }),
  render: (r) =>
    `${r.node}: network reloaded (${r.exitStatus}); applied ${r.applied.join(", ") || "the staged changes"}${r.stillPending.length ? `; still pending: ${r.stillPending.join(", ")}` : ""}\n${r.changes.trimEnd()}`
})

const RevertResult = Schema.Struct({
  node: Schema.String,
  dropped: Schema.Array(Schema.String).annotations({ description: "interfaces whose staged changes were dropped" }),
  changes: Schema.optional(Schema.String.annotations({ description: "the diff that was dropped" }))
})

type RevertResult = typeof RevertResult.Type

export const pveNetworkRevert = writeTool({
  name: "pve_network_revert",
  title: "Drop pending network changes",
  description: "Drops a node's staged network changes; the running configuration stays.",
  toolset: "network",
  input: Schema.Struct({ node: Node }),
  output: RevertResult,
  endpoints: [networkListEndpoint, networkRevertEndpoint],
  plan: ({ node }) =>
    Effect.gen(function* () {
      yield* validateSegment("node", node)
      const { changes } = yield* readNetwork(node)
      if (changes === undefined) return plan([], () => Effect.succeed<RevertResult>({ node, dropped: [] }))
      const step = yield* planStep(networkRevertEndpoint, { node })
      return plan([step], () =>
        Effect.succeed<RevertResult>({
          node,
          dropped: pendingInterfaces(changes),
          changes: changes.slice(0, CHANGES_MAX)
        })
      )
    }),
  render: (r) =>
    r.changes === undefined
      ? `${r.node}: nothing was pending; nothing was sent`
      : `${r.node}: dropped the staged changes of ${r.dropped.join(", ") || "the configuration"}\n${r.changes.trimEnd()}`
})

export const networkTools: ReadonlyArray<AnyTool> = [
  pveListNetwork,
  pveNetworkCreateBridge,
  pveNetworkApply,
  pveNetworkRevert
]
