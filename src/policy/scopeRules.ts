/**
 * The rules that give every endpoint of the schema its scope, from its path, method, parameters and answer
 * shape, with the reviewed overrides on top. scripts/gen-endpoint-scopes.ts writes their result to
 * src/policy/generated/endpointScopes.ts; the table test re-runs them to prove the committed table is current.
 */
import type { EndpointDef, ParamSchema } from "../proxmox/ApiSchema.js"
import { type EndpointScope, scopeKey } from "./EndpointScope.js"
import { scopeOverrides } from "./scopeOverrides.js"

/** Answer fields that name a node, guest or storage (what the shape filter looks at). */
const revealingKeys = new Set([
  "node",
  "nodes",
  "vmid",
  "vms",
  "storage",
  "volid",
  "volume",
  "id",
  "sid",
  "upid",
  "guest",
  "members",
  "resources",
  "path",
  "target"
])

const answerReveals = (schema: ParamSchema | undefined, depth = 0): boolean => {
  if (schema === undefined || depth > 6) return false
  for (const [key, value] of Object.entries(schema.properties ?? {})) {
    if (revealingKeys.has(key) || answerReveals(value, depth + 1)) return true
  }
  // an object keyed by anything (permissions by path) can reveal whatever its keys name
  if (typeof schema.additionalProperties === "object" || schema.additionalProperties === 1) {
    if (schema.type === "object" && schema.properties === undefined) return true
  }
  return answerReveals(schema.items, depth + 1)
}

const targetingFormat = /^pve-(vmid|storage-id|node|ha-node|ha-resource|replication-job|volume|lxc-mp|backup)|volume/

/** Whether a parameter can name a node, guest or storage. */
const targetingParam = (name: string, schema: ParamSchema): boolean =>
  ["vmid", "vms", "storage", "target", "volume", "archive", "sid", "resources", "nodes"].includes(name) ||
  (typeof schema.format === "string" && targetingFormat.test(schema.format)) ||
  (typeof schema.format === "object" && Object.entries(schema.format).some(([key, s]) => targetingParam(key, s)))

const clusterConfig =
  /^\/(access|cluster\/(firewall|sdn|notifications|acme|mapping|metrics|options|config|jobs|ceph))(\/|$)/

const named = (why: string): EndpointScope => ({ scope: "named", why })

/** The scope the rules give one endpoint. */
export const ruleScope = (endpoint: EndpointDef): EndpointScope => {
  const { method, path } = endpoint
  const params = Object.entries(endpoint.parameters.properties ?? {})
  // the node in the path is a target of its own, not a parameter that widens the reach
  const targets = params.some(([name, schema]) => name !== "node" && targetingParam(name, schema))
  if (/^\/nodes\/\{node\}\/(qemu|lxc)\/\{vmid\}/.test(path)) return named("the node and guest in the path")
  if (path.startsWith("/nodes/{node}/storage/{storage}")) return named("the node and storage in the path")
  if (path.startsWith("/nodes/{node}/tasks")) return named("the node, and a guest task's guest, in the UPID")
  if (path.startsWith("/nodes/{node}/replication")) return named("the node in the path, the guest in the job id")
  if (/^\/nodes\/\{node\}\/(qemu|lxc)$/.test(path)) return named("the node in the path and the guest parameters")
  if (path.startsWith("/nodes/{node}/ceph") && method !== "GET") {
    return {
      scope: "opaque",
      why: "Ceph changes reach the storages under every guest",
      bypasses: ["vmids", "storages"]
    }
  }
  if (path.startsWith("/nodes/{node}")) {
    if (method === "GET") return named("the node in the path; the answer is filtered")
    if (targets) return named("the node in the path and the guests and storages in the parameters")
    return { scope: "node-host", why: "host administration of the node in the path" }
  }
  if (method === "GET" && !path.includes("{") && !targets && !answerReveals(endpoint.returns)) {
    return { scope: "open", why: "names no node, guest or storage, and its answer shows none" }
  }
  if (clusterConfig.test(path)) {
    return method === "GET"
      ? { scope: "cluster", why: "cluster-wide configuration; the answer is filtered" }
      : { scope: "cluster", why: "changes configuration of the whole cluster, beyond any allowlist" }
  }
  if (/^\/cluster\/(backup|replication|ha|bulk-action|resources|status|tasks|nextid|backup-info)(\/|$)/.test(path)) {
    return named("the guests, nodes and storages in the path and parameters; the answer is filtered")
  }
  if (/^\/(nodes|storage|pools)(\/|$)/.test(path)) return named("the node, storage or pool members it names")
  if (method === "GET" && !targets && !answerReveals(endpoint.returns)) {
    return { scope: "open", why: "names no node, guest or storage, and its answer shows none" }
  }
  return { scope: "opaque", why: "no rule establishes what it reaches" }
}

/** Every endpoint's scope: the rules, then the reviewed overrides. */
export const endpointScopeRules = (endpoints: ReadonlyArray<EndpointDef>): Record<string, EndpointScope> => {
  const table: Record<string, EndpointScope> = {}
  for (const endpoint of endpoints) {
    const key = scopeKey(endpoint.method, endpoint.path)
    const override = scopeOverrides[key]
    table[key] = override === undefined ? ruleScope(endpoint) : { ...override, reviewed: true }
  }
  return table
}
