import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import {
  ClusterResource,
  ClusterStatusEntry,
  clusterResourcesEndpoint,
  clusterStatusEndpoint,
  getClusterResources,
  getClusterStatus,
  getVersion,
  PveVersion,
  ResourceType,
  versionEndpoint
} from "../proxmox/cluster.js"
import {
  getNodeStatus,
  listNodes,
  NodeStatus,
  NodeSummary,
  nodeStatusEndpoint,
  nodesEndpoint
} from "../proxmox/nodes.js"
import { readTool } from "../proxmox/Tool.js"
import { Node } from "./fields.js"

/** No arguments at all: Effect's `Struct({})` alone would accept any object, so any key is refused here. */
const NoArguments = Schema.Struct({}).pipe(
  Schema.filter((args) => Object.keys(args).length === 0 || "this tool takes no arguments", {
    jsonSchema: { type: "object", properties: {}, additionalProperties: false }
  })
)

const gib = (bytes: number | undefined) => (bytes === undefined ? "?" : `${(bytes / 1024 ** 3).toFixed(1)} GiB`)
const percent = (fraction: number | undefined) => (fraction === undefined ? "?" : `${(fraction * 100).toFixed(1)}%`)

export const pveVersion = readTool({
  name: "pve_version",
  title: "Proxmox VE version",
  description: "The Proxmox VE version and release of the node this server talks to.",
  toolset: "core",
  input: NoArguments,
  output: PveVersion,
  endpoints: [versionEndpoint],
  handler: () => getVersion,
  render: (v) => `Proxmox VE ${v.version} (release ${v.release}, repoid ${v.repoid})`
})

export const pveClusterStatus = readTool({
  name: "pve_cluster_status",
  title: "Cluster status",
  description: "Cluster name, quorum, and each node's membership and online state (from /cluster/status).",
  toolset: "core",
  input: NoArguments,
  output: Schema.Struct({ entries: Schema.Array(ClusterStatusEntry) }),
  endpoints: [clusterStatusEndpoint],
  handler: () => Effect.map(getClusterStatus, (entries) => ({ entries })),
  render: ({ entries }) =>
    entries
      .map((e) =>
        e.type === "cluster"
          ? `cluster ${e.name}: ${e.nodes ?? "?"} nodes, ${e.quorate ? "quorate" : "NOT quorate"}`
          : `node ${e.name}${e.ip ? ` (${e.ip})` : ""}: ${e.online ? "online" : "OFFLINE"}${e.local ? ", local" : ""}`
      )
      .join("\n")
})

export const pveListNodes = readTool({
  name: "pve_list_nodes",
  title: "List nodes",
  description: "Every node with its status, CPU and memory use and uptime.",
  toolset: "core",
  input: NoArguments,
  output: Schema.Struct({ nodes: Schema.Array(NodeSummary) }),
  endpoints: [nodesEndpoint],
  handler: () => Effect.map(listNodes, (nodes) => ({ nodes: [...nodes].sort((a, b) => a.node.localeCompare(b.node)) })),
  render: ({ nodes }) =>
    nodes.length === 0
      ? "no nodes"
      : nodes.map((n) => `${n.node}: ${n.status}, cpu ${percent(n.cpu)}, mem ${gib(n.mem)}/${gib(n.maxmem)}`).join("\n")
})

export const pveNodeStatus = readTool({
  name: "pve_node_status",
  title: "Node status",
  description: "One node's CPU, load, memory, root disk, kernel and PVE version.",
  toolset: "core",
  input: Schema.Struct({ node: Node }),
  output: NodeStatus,
  endpoints: [nodeStatusEndpoint],
  handler: ({ node }) => getNodeStatus(node),
  render: (s) =>
    [
      `${s.pveversion}${s.kversion ? `, ${s.kversion}` : ""}`,
      `cpu ${percent(s.cpu)} of ${s.cpuinfo.cpus ?? "?"} threads${s.cpuinfo.model ? ` (${s.cpuinfo.model})` : ""}, load ${s.loadavg.join(" ")}`,
      `memory ${gib(s.memory.used)}/${gib(s.memory.total)}, root disk ${gib(s.rootfs.used)}/${gib(s.rootfs.total)}`
    ].join("\n")
})

export const pveClusterResources = readTool({
  name: "pve_cluster_resources",
  title: "Cluster resources",
  description:
    "Every node, guest, storage, pool and SDN object of the cluster with its usage (from /cluster/resources). Filter with type: vm, storage, node or sdn.",
  toolset: "core",
  input: Schema.Struct({
    type: Schema.optional(ResourceType.annotations({ description: "Only this kind of resource" }))
  }),
  output: Schema.Struct({ resources: Schema.Array(ClusterResource) }),
  endpoints: [clusterResourcesEndpoint],
  handler: ({ type }) => Effect.map(getClusterResources(type), (resources) => ({ resources })),
  render: ({ resources }) =>
    resources.length === 0
      ? "no resources"
      : resources
          .map((r) => `${r.id}${r.name ? ` (${r.name})` : ""}${r.node ? ` on ${r.node}` : ""}: ${r.status ?? "-"}`)
          .join("\n")
})

export const clusterTools = [pveVersion, pveClusterStatus, pveListNodes, pveNodeStatus, pveClusterResources]
