import * as Schema from "effect/Schema"
import { call, endpoint } from "./Endpoint.js"
import { PveBoolean, PveInt, PveNumber } from "./WireSchemas.js"

export const PveVersion = Schema.Struct({
  version: Schema.String,
  release: Schema.String,
  repoid: Schema.String,
  console: Schema.optional(Schema.String)
})

export const ClusterStatusEntry = Schema.Struct({
  type: Schema.String,
  id: Schema.String,
  name: Schema.String,
  ip: Schema.optional(Schema.String),
  level: Schema.optional(Schema.String),
  local: Schema.optional(PveBoolean),
  nodeid: Schema.optional(PveInt),
  nodes: Schema.optional(PveInt),
  online: Schema.optional(PveBoolean),
  quorate: Schema.optional(PveBoolean),
  version: Schema.optional(PveInt)
})
export type ClusterStatusEntry = typeof ClusterStatusEntry.Type

/** One row of /cluster/resources: a node, guest, storage, pool or SDN object. */
export const ClusterResource = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  node: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  vmid: Schema.optional(PveInt),
  pool: Schema.optional(Schema.String),
  storage: Schema.optional(Schema.String),
  content: Schema.optional(Schema.String),
  plugintype: Schema.optional(Schema.String),
  shared: Schema.optional(PveBoolean),
  template: Schema.optional(PveBoolean),
  tags: Schema.optional(Schema.String),
  lock: Schema.optional(Schema.String),
  hastate: Schema.optional(Schema.String),
  level: Schema.optional(Schema.String),
  cpu: Schema.optional(PveNumber),
  maxcpu: Schema.optional(PveNumber),
  mem: Schema.optional(PveNumber),
  maxmem: Schema.optional(PveNumber),
  disk: Schema.optional(PveNumber),
  maxdisk: Schema.optional(PveNumber),
  netin: Schema.optional(PveNumber),
  netout: Schema.optional(PveNumber),
  diskread: Schema.optional(PveNumber),
  diskwrite: Schema.optional(PveNumber),
  uptime: Schema.optional(PveNumber)
})
export type ClusterResource = typeof ClusterResource.Type

export const ResourceType = Schema.Literal("vm", "storage", "node", "sdn")
export type ResourceType = typeof ResourceType.Type

export const versionEndpoint = endpoint("GET", "/version", PveVersion)
export const clusterStatusEndpoint = endpoint("GET", "/cluster/status", Schema.Array(ClusterStatusEntry))
export const clusterResourcesEndpoint = endpoint("GET", "/cluster/resources", Schema.Array(ClusterResource))
/** /cluster/nextid answers a string ("100"). */
export const nextVmidEndpoint = endpoint("GET", "/cluster/nextid", PveInt)

export const getVersion = call(versionEndpoint, {})

export const getClusterStatus = call(clusterStatusEndpoint, {})

export const getClusterResources = (type?: ResourceType) => call(clusterResourcesEndpoint, {}, { type })

export const getNextVmid = call(nextVmidEndpoint, {})

/**
 * Nodes that /cluster/resources reports not online: PVE still lists their guests (status "unknown", no figures),
 * while any call to the node itself fails (595 "No route to host" / "Connection refused").
 */
export const unreachableNodes = (resources: ReadonlyArray<ClusterResource>): ReadonlyArray<string> =>
  resources
    .filter((r) => r.type === "node" && r.status !== undefined && r.status !== "online")
    .map((r) => r.node ?? r.id.replace(/^node\//, ""))
    .sort()
