/**
 * Node network configuration as pve-manager's API2/Network.pm: changes are staged (interfaces.new), reads show
 * the staged state plus a `changes` diff, `PUT /nodes/{node}/network` applies them (`srvreload` task) and
 * `DELETE /nodes/{node}/network` reverts them.
 */
import type { NetworkInterface, SimNode } from "../model.js"
import { paramError, type Route, type RouteContext } from "../routing.js"

const nodeOf = (ctx: RouteContext): SimNode => ctx.model.nodes.get(ctx.str("node"))!

/** The configuration reads show: staged if there is one. */
const effective = (node: SimNode): Map<string, NetworkInterface> => node.pendingNetwork ?? node.network

const staged = (node: SimNode): Map<string, NetworkInterface> => {
  node.pendingNetwork ??= new Map([...node.network].map(([name, iface]) => [name, { ...iface }]))
  return node.pendingNetwork
}

/** /etc/network/interfaces text of a configuration. */
const render = (config: Map<string, NetworkInterface>): Array<string> => {
  const lines: Array<string> = []
  for (const iface of [...config.values()].sort((a, b) => a.priority - b.priority)) {
    if (iface.autostart) lines.push(`auto ${iface.iface}`)
    lines.push(`iface ${iface.iface} inet ${iface.method}`)
    if (iface.cidr !== undefined) lines.push(`\taddress ${iface.cidr}`)
    if (iface.gateway !== undefined) lines.push(`\tgateway ${iface.gateway}`)
    if (iface.bridge_ports !== undefined) lines.push(`\tbridge-ports ${iface.bridge_ports || "none"}`)
    if (iface.bridge_stp !== undefined) lines.push(`\tbridge-stp ${iface.bridge_stp}`)
    if (iface.bridge_fd !== undefined) lines.push(`\tbridge-fd ${iface.bridge_fd}`)
    if (iface.bridge_vlan_aware) lines.push("\tbridge-vlan-aware yes")
    if (iface.slaves !== undefined) lines.push(`\tbond-slaves ${iface.slaves}`)
    if (iface.bond_mode !== undefined) lines.push(`\tbond-mode ${iface.bond_mode}`)
    if (iface.mtu !== undefined) lines.push(`\tmtu ${iface.mtu}`)
    if (iface.comments !== undefined) lines.push(`#${iface.comments.trimEnd()}`)
    lines.push("")
  }
  return lines
}

/** The line-by-line edit from `before` to `after` (longest common subsequence): kept, removed and added lines. */
const lineDiff = (before: ReadonlyArray<string>, after: ReadonlyArray<string>): Array<string> => {
  const rows = before.length
  const cols = after.length
  const common: Array<Array<number>> = Array.from({ length: rows + 1 }, () => new Array<number>(cols + 1).fill(0))
  for (let i = rows - 1; i >= 0; i--)
    for (let j = cols - 1; j >= 0; j--)
      common[i]![j] =
        before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!)
  const out: Array<string> = []
  let i = 0
  let j = 0
  while (i < rows || j < cols) {
    if (i < rows && j < cols && before[i] === after[j]) {
      out.push(` ${before[i]}`)
      i++
      j++
    } else if (j < cols && (i === rows || common[i]![j + 1]! >= common[i + 1]![j]!)) out.push(`+${after[j++]}`)
    else out.push(`-${before[i++]}`)
  }
  return out
}

/** The `changes` field: `diff -u` of interfaces and interfaces.new, as one hunk with the whole file as context. */
const changes = (node: SimNode): string | undefined => {
  if (node.pendingNetwork === undefined) return undefined
  const before = render(node.network)
  const after = render(node.pendingNetwork)
  const diff = lineDiff(before, after)
  if (!diff.some((line) => line.startsWith("+") || line.startsWith("-"))) return undefined
  return [
    "--- /etc/network/interfaces",
    "+++ /etc/network/interfaces.new",
    `@@ -1,${before.length} +1,${after.length} @@`,
    ...diff,
    ""
  ].join("\n")
}

const view = (iface: NetworkInterface): Record<string, unknown> => ({ ...iface })

const list: Route = (ctx) => {
  const node = nodeOf(ctx)
  const type = ctx.optStr("type")
  const matches = (iface: NetworkInterface) =>
    type === undefined ||
    iface.type === type ||
    (type === "any_bridge" && (iface.type === "bridge" || iface.type === "OVSBridge")) ||
    (type === "any_local_bridge" && iface.type === "bridge")
  const data = [...effective(node).values()].filter(matches).map(view)
  const diff = changes(node)
  return { data, ...(diff === undefined ? {} : { changes: diff }) }
}

const ifaceFields = [
  "type",
  "autostart",
  "bridge_ports",
  "bridge_vlan_aware",
  "bridge_vids",
  "slaves",
  "bond_mode",
  "vlan-id",
  "vlan-raw-device",
  "mtu",
  "comments",
  "gateway"
] as const

const applyFields = (ctx: RouteContext, iface: NetworkInterface) => {
  const target = iface as unknown as Record<string, unknown>
  for (const field of ifaceFields) {
    const value = ctx.optStr(field)
    if (value === undefined) continue
    target[field] = field === "autostart" || field === "bridge_vlan_aware" || field === "mtu" ? Number(value) : value
  }
  const cidr = ctx.optStr("cidr")
  const address = ctx.optStr("address")
  const netmask = ctx.optStr("netmask")
  if (cidr !== undefined) {
    const [addr, bits] = cidr.split("/")
    Object.assign(iface, { cidr, address: addr, netmask: bits, method: "static" })
  } else if (address !== undefined && netmask !== undefined) {
    const bits = /^\d+$/.test(netmask)
      ? netmask
      : String(netmask.split(".").reduce((sum, octet) => sum + Number(octet).toString(2).replace(/0/g, "").length, 0))
    Object.assign(iface, { cidr: `${address}/${bits}`, address, netmask: bits, method: "static" })
  }
  if (iface.type === "bridge") {
    iface.bridge_stp ??= "off"
    iface.bridge_fd ??= "0"
  }
}

const create: Route = (ctx) => {
  const node = nodeOf(ctx)
  const name = ctx.str("iface")
  const config = staged(node)
  if (config.has(name)) paramError({ iface: "interface already exists" })
  const priority = Math.max(0, ...[...config.values()].map((iface) => iface.priority)) + 1
  const iface: NetworkInterface = {
    iface: name,
    type: ctx.str("type") as NetworkInterface["type"],
    method: "manual",
    method6: "manual",
    families: ["inet"],
    priority
  }
  applyFields(ctx, iface)
  config.set(name, iface)
  return { data: null }
}

const read: Route = (ctx) => {
  const iface = effective(nodeOf(ctx)).get(ctx.str("iface"))
  if (iface === undefined) paramError({ iface: "interface does not exist" })
  return { data: view(iface!) }
}

const update: Route = (ctx) => {
  const config = staged(nodeOf(ctx))
  const existing = config.get(ctx.str("iface"))
  if (existing === undefined) paramError({ iface: "interface does not exist" })
  const iface = { ...existing! }
  const target = iface as unknown as Record<string, unknown>
  for (const key of (ctx.optStr("delete") ?? "").split(/[,;\s]+/).filter((k) => k.length > 0)) delete target[key]
  applyFields(ctx, iface)
  config.set(iface.iface, iface)
  return { data: null }
}

const remove: Route = (ctx) => {
  const config = staged(nodeOf(ctx))
  if (!config.delete(ctx.str("iface"))) paramError({ iface: "interface does not exist" })
  return { data: null }
}

const apply: Route = (ctx) => {
  const node = nodeOf(ctx)
  const task = ctx.state.tasks.start({
    node: node.name,
    type: "srvreload",
    id: "networking",
    user: ctx.principal.authid,
    lines: ["run ifreload -a"],
    onSuccess: () => {
      if (node.pendingNetwork === undefined) return
      node.network = new Map(
        [...node.pendingNetwork].map(([name, iface]) => [
          name,
          { ...iface, active: 1, exists: iface.type === "eth" ? 1 : null }
        ])
      )
      node.pendingNetwork = undefined
    }
  })
  return { data: task.upid }
}

const revert: Route = (ctx) => {
  nodeOf(ctx).pendingNetwork = undefined
  return { data: null }
}

export const networkRoutes: Record<string, Route> = {
  "GET /nodes/{node}/network": list,
  "POST /nodes/{node}/network": create,
  "PUT /nodes/{node}/network": apply,
  "DELETE /nodes/{node}/network": revert,
  "GET /nodes/{node}/network/{iface}": read,
  "PUT /nodes/{node}/network/{iface}": update,
  "DELETE /nodes/{node}/network/{iface}": remove
}
