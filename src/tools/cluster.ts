import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import {
  ClusterStatusEntry,
  clusterResourcesEndpoint,
  clusterStatusEndpoint,
  getClusterResources,
  getClusterStatus,
  getVersion,
  PveVersion,
  ResourceType,
  unreachableNodes,
  versionEndpoint
} from "../proxmox/cluster.js"
import { splitTags } from "../proxmox/guests.js"
import {
  getNodeStatus,
  listNodes,
  NodeStatus,
  NodeSummary,
  nodeStatusEndpoint,
  nodesEndpoint
} from "../proxmox/nodes.js"
import { validateSegment } from "../proxmox/Path.js"
import { readTool } from "../proxmox/Tool.js"
import { NoArguments, Node } from "./fields.js"
import { duration, percent, usage } from "./format.js"
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
import {
  nodeFigures,
  ResourceFields,
  ResourceRow,
  ResourceSort,
  resourceLine,
  resourceName,
  resourceRow,
  resourceSortValue,
  UnreachableNodes
} from "./resourceRows.js"

export const pveVersion = readTool({
  name: "pve_version",
  title: "Proxmox VE version",
  description: "Proxmox VE version and release of the node this server talks to.",
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
  description: "Cluster name, quorum, and each node's membership and online state.",
  toolset: "core",
  input: NoArguments,
  output: Schema.Struct({ entries: Schema.Array(ClusterStatusEntry), unreachableNodes: UnreachableNodes }),
  endpoints: [clusterStatusEndpoint],
  handler: () =>
    Effect.map(getClusterStatus, (entries) => ({
      entries,
      unreachableNodes: entries
        .filter((e) => e.type === "node" && !e.online)
        .map((e) => e.name)
        .sort()
    })),
  render: ({ entries }) =>
    entries
      .map((e) =>
        e.type === "cluster"
          ? `cluster ${e.name}: ${e.nodes ?? "?"} nodes, ${e.quorate ? "quorate" : "NOT quorate"}`
          : `node ${e.name}${e.ip ? ` (${e.ip})` : ""}: ${e.online ? "online" : "OFFLINE, unreachable"}${e.local ? ", local" : ""}`
      )
      .join("\n")
})

export const pveListNodes = readTool({
  name: "pve_list_nodes",
  title: "List nodes",
  description: "Every node with status, CPU, memory, disk and uptime; offline nodes marked unreachable.",
  toolset: "core",
  input: NoArguments,
  output: Schema.Struct({ nodes: Schema.Array(NodeSummary), unreachableNodes: UnreachableNodes }),
  endpoints: [nodesEndpoint],
  handler: () =>
    Effect.map(listNodes, (listed) => {
      const nodes = [...listed].sort((a, b) => a.node.localeCompare(b.node))
      return { nodes, unreachableNodes: nodes.filter((n) => n.status !== "online").map((n) => n.node) }
    }),
  render: ({ nodes }) => (nodes.length === 0 ? "no nodes" : nodes.map((n) => `${n.node}: ${nodeFigures(n)}`).join("\n"))
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
      `${s.pveversion}${s.kversion ? `, ${s.kversion}` : ""}${s.uptime === undefined ? "" : `, up ${duration(s.uptime)}`}`,
      `cpu ${percent(s.cpu)} of ${s.cpuinfo.cpus ?? "?"} threads${s.cpuinfo.model ? ` (${s.cpuinfo.model})` : ""}, load ${s.loadavg.join(" ")}`,
      `memory ${usage(s.memory.used, s.memory.total)}${s.swap && s.swap.total > 0 ? `, swap ${usage(s.swap.used, s.swap.total)}` : ""}, root disk ${usage(s.rootfs.used, s.rootfs.total)}`
    ].join("\n")
})

export const pveClusterResources = readTool({
  name: "pve_cluster_resources",
  title: "Cluster resources",
  description: "Nodes, guests, storages, pools and SDN with usage, and counts by type.",
  toolset: "core",
  input: Schema.Struct({
    type: Schema.optional(ResourceType.annotations({ description: "Only this kind (vm: guests)" })),
    node: Schema.optional(Node),
    status: Schema.optional(
      Schema.String.pipe(Schema.maxLength(32)).annotations({ description: "Only this status, e.g. running" })
    ),
    tag: Schema.optional(
      Schema.String.pipe(Schema.maxLength(128)).annotations({ description: "Only guests with this tag" })
    ),
    pool: Schema.optional(
      Schema.String.pipe(Schema.maxLength(128)).annotations({ description: "Only members of this pool" })
    ),
    name: Schema.optional(NamePattern),
    sort: Schema.optional(ResourceSort),
    fields: Schema.optional(ResourceFields),
    limit: Schema.optional(Limit),
    cursor: Schema.optional(Cursor)
  }),
  output: Schema.Struct({
    resources: Schema.Array(ResourceRow),
    ...PageFields,
    byType: Schema.Record({ key: Schema.String, value: Schema.Number }).annotations({
      description: "matching rows per type, over all pages"
    }),
    sort: Schema.String,
    unreachableNodes: UnreachableNodes
  }),
  endpoints: [clusterResourcesEndpoint],
  handler: (input) =>
    Effect.gen(function* () {
      if (input.node !== undefined) yield* validateSegment("node", input.node)
      const resources = yield* getClusterResources(input.type)
      const { type, node, status, tag, pool, name } = input
      const nameOk = nameMatcher(name)
      const matching = resources.filter(
        (r) =>
          (node === undefined || r.node === node) &&
          (status === undefined || r.status === status) &&
          (tag === undefined || splitTags(r.tags).includes(tag)) &&
          (pool === undefined || r.pool === pool) &&
          nameOk(resourceName(r))
      )
      const sort = parseSort(input.sort, "type")
      const fields = input.fields ?? []
      const page = yield* paginate(matching, {
        query: { list: "resources", type, node, status, tag, pool, name, sort: sort.label },
        key: (r) => resourceSortValue(sort.key, r),
        descending: sort.descending,
        tiebreak: (r) => r.id,
        limit: input.limit,
        cursor: input.cursor,
        sizeOf: (r) => {
          const row = resourceRow(r, fields)
          return JSON.stringify(row).length + resourceLine(row).length + 4
        }
      })
      const rows = page.rows.map((r) => resourceRow(r, fields))
      const byType: Record<string, number> = {}
      for (const r of matching) byType[r.type] = (byType[r.type] ?? 0) + 1
      return {
        resources: rows,
        ...pageSummary(page, rows.length),
        byType,
        sort: sort.label,
        unreachableNodes: unreachableNodes(resources)
      }
    }),
  render: (out) =>
    [
      out.total === 0
        ? "no resources match"
        : `${out.total} resources: ${Object.entries(out.byType)
            .map(([t, c]) => `${c} ${t}`)
            .join(", ")}`,
      ...(out.unreachableNodes.length
        ? [`unreachable nodes (offline): ${out.unreachableNodes.join(", ")}; their guests show status unknown`]
        : []),
      ...out.resources.map(resourceLine),
      pageFooter(out)
    ]
      .filter((l) => l !== "")
      .join("\n")
})

export const clusterTools = [pveVersion, pveClusterStatus, pveListNodes, pveNodeStatus, pveClusterResources]
