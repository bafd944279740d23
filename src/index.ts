/**
 * proxmox-mcp as a library: the Effect services, layers, schemas and errors, for embedding in another Effect app.
 * Provide `PveConfig` and a `PveWire` to `ProxmoxClientLive` (or use `ProxmoxLive(config)`, which brings Node's
 * sockets, `NodeWireLive`) and call the operations directly; `proxmox-mcp/simulator` has the simulated cluster for tests. See
 * examples/embed.ts.
 */

export * from "./config/PveConfig.js"
export { makeMcpServer } from "./mcp/Adapter.js"
export { knownTools, makeServerPolicies } from "./policy/index.js"
export { PolicyClientLayer } from "./policy/PolicyClient.js"
export * from "./policy/PolicyConfig.js"
export { runToolCall } from "./policy/ToolCall.js"
export * as Cluster from "./proxmox/cluster.js"
export * from "./proxmox/Endpoint.js"
export * from "./proxmox/errors.js"
export * as Guests from "./proxmox/guests.js"
export * from "./proxmox/layers.js"
export { makeNodeWire, NodeWireLive } from "./proxmox/NodeWire.js"
export * as Nodes from "./proxmox/nodes.js"
export * from "./proxmox/Path.js"
export * from "./proxmox/Plan.js"
export * from "./proxmox/ProxmoxClient.js"
export { interpretResponse, makeProxmoxClient, ProxmoxClientLive } from "./proxmox/ProxmoxClientLive.js"
export * from "./proxmox/Tasks.js"
export * from "./proxmox/Tool.js"
export * from "./proxmox/Upid.js"
export * from "./proxmox/Wire.js"
export * from "./proxmox/WireSchemas.js"
export { knownServerTools, loadServerPolicy, serverPolicies } from "./server.js"
export { allTools, toolsAndSwitch } from "./tools/index.js"
export { VERSION } from "./version.js"
