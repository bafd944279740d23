import * as Schema from "effect/Schema"
import { call, endpoint } from "./Endpoint.js"
import { PveNumber } from "./WireSchemas.js"

export const NodeSummary = Schema.Struct({
  node: Schema.String,
  status: Schema.String,
  cpu: Schema.optional(PveNumber),
  maxcpu: Schema.optional(PveNumber),
  mem: Schema.optional(PveNumber),
  maxmem: Schema.optional(PveNumber),
  disk: Schema.optional(PveNumber),
  maxdisk: Schema.optional(PveNumber),
  uptime: Schema.optional(PveNumber),
  level: Schema.optional(Schema.String),
  ssl_fingerprint: Schema.optional(Schema.String)
})
export type NodeSummary = typeof NodeSummary.Type

const Usage = Schema.Struct({
  total: PveNumber,
  used: PveNumber,
  free: Schema.optional(PveNumber),
  avail: Schema.optional(PveNumber)
})

/** GET /nodes/{node}/status; cpuinfo.mhz and loadavg arrive as strings (WIRE.md (e)). */
export const NodeStatus = Schema.Struct({
  cpu: PveNumber,
  uptime: Schema.optional(PveNumber),
  pveversion: Schema.String,
  kversion: Schema.optional(Schema.String),
  loadavg: Schema.Array(PveNumber),
  memory: Usage,
  swap: Schema.optional(Usage),
  rootfs: Usage,
  cpuinfo: Schema.Struct({
    model: Schema.optional(Schema.String),
    cpus: Schema.optional(PveNumber),
    cores: Schema.optional(PveNumber),
    sockets: Schema.optional(PveNumber),
    mhz: Schema.optional(PveNumber)
  })
})
export type NodeStatus = typeof NodeStatus.Type

export const nodesEndpoint = endpoint("GET", "/nodes", Schema.Array(NodeSummary))
export const nodeStatusEndpoint = endpoint("GET", "/nodes/{node}/status", NodeStatus)

export const listNodes = call(nodesEndpoint, {})

export const getNodeStatus = (node: string) => call(nodeStatusEndpoint, { node })
