/**
 * What an endpoint of the PVE API can touch or reveal, as the allowlists need to know it. Every endpoint of the
 * real schema has one scope (src/policy/generated/endpointScopes.ts, made by scripts/gen-endpoint-scopes.ts from
 * rules over path and parameters, with the reviewed exceptions of scopeOverrides.ts). An endpoint missing from
 * the table is refused while an allowlist is set: default-deny.
 */

export type AllowlistKind = "nodes" | "vmids" | "storages"

export type ScopeClass =
  /** No node, guest or storage reach at all (`/version`, directory indexes of settings). */
  | "open"
  /** Reaches exactly what its path and parameters name; the answer is filtered by shape. */
  | "named"
  /** Cluster-wide configuration (users, ACLs, firewall, SDN, options): read filtered, writes refused under allowlists. */
  | "cluster"
  /** Host administration of the node in the path: governed by the node allowlist. */
  | "node-host"
  /** Acts on every guest of the node in the path (reboot, startall, stopall): proven by reading /cluster/resources. */
  | "node-guests"
  /** Changes an object whose guests, nodes and storages are inside it: read first, then decided. */
  | "by-id"
  /** Its answer or effect cannot be confined: refused while one of `bypasses` is set. */
  | "opaque"

export interface EndpointScope {
  readonly scope: ScopeClass
  /** Why this endpoint has this scope, as the refusal or the review says it. */
  readonly why: string
  /** For `opaque`: the allowlists it would bypass (all three when absent). */
  readonly bypasses?: ReadonlyArray<AllowlistKind>
  /** For `by-id`: the GET template (same placeholders) whose answer is the object the write changes. */
  readonly readFirst?: string
  /** True when a person reviewed and decided it (scopeOverrides.ts), not a generation rule. */
  readonly reviewed?: true
}

export const scopeKey = (method: string, template: string) => `${method} ${template}`
