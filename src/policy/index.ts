/**
 * The policies, composed in one place: which tools exist (inventory), the client decorator every request
 * passes (read-only, allowlists, write gate, audit, output filtering) and the confirmation mode the MCP
 * adapter applies. `bin.ts` and tests build the server from this.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { type KnownTools, loadPolicyConfig, type PolicyConfigShape } from "../config/PolicyConfig.js"
import { ConfigInvalid, type PveAuthConfig } from "../config/PveConfig.js"
import type { SafetyOptions } from "../mcp/Adapter.js"
import { type AnyTool, TOOLSETS } from "../mcp/Tool.js"
import { allTools } from "../mcp/tools/index.js"
import { AuditLogLive } from "../proxmox/Audit.js"
import type { ProxmoxClient } from "../proxmox/ProxmoxClient.js"
import { inventory } from "./Inventory.js"
import { PolicyClientLayer } from "./PolicyClient.js"
import { makeSecretScrubber, type SecretScrubber } from "./Secrets.js"

export const knownTools = (tools: ReadonlyArray<AnyTool> = allTools): KnownTools => ({
  toolsets: TOOLSETS,
  tools: tools.map((t) => t.name)
})

export interface ServerPolicies {
  /** The tools that exist under this policy, in a stable order. */
  readonly tools: ReadonlyArray<AnyTool>
  /** Puts the policies around a ProxmoxClient layer (live or simulated). */
  readonly wrapClient: <E, R>(client: Layer.Layer<ProxmoxClient, E, R>) => Layer.Layer<ProxmoxClient, E, R>
  /** For `makeMcpServer`. */
  readonly safety: SafetyOptions
  /** Removes the configured credentials (and any ticket or CSRF token) from text leaving the process. */
  readonly scrub: SecretScrubber
}

export const makeServerPolicies = (
  policy: PolicyConfigShape,
  auth: PveAuthConfig | undefined,
  tools: ReadonlyArray<AnyTool> = allTools
): ServerPolicies => {
  const scrub = makeSecretScrubber(auth)
  return {
    tools: inventory(tools)
      .withReadOnly(policy.readOnly)
      .withToolsets(policy.toolsets)
      .withDenied(policy.toolsDeny)
      .build(),
    wrapClient: (client) =>
      PolicyClientLayer(policy).pipe(Layer.provide(Layer.merge(client, AuditLogLive(policy.auditLog, scrub)))),
    safety: { confirm: policy.confirm, allowlists: policy.allowlists },
    scrub
  }
}

/** Loads two configurations and reports the problems of both at once. */
export const loadBoth = <A, B>(
  first: Effect.Effect<A, ConfigInvalid>,
  second: Effect.Effect<B, ConfigInvalid>
): Effect.Effect<readonly [A, B], ConfigInvalid> =>
  Effect.gen(function* () {
    const [a, b] = yield* Effect.all([Effect.either(first), Effect.either(second)])
    if (Either.isRight(a) && Either.isRight(b)) return [a.right, b.right] as const
    const problems = [...(Either.isLeft(a) ? a.left.problems : []), ...(Either.isLeft(b) ? b.left.problems : [])]
    return yield* new ConfigInvalid({ problems })
  })

/** The policy configuration from the environment, checked against the tools this build has. */
export const loadServerPolicy = loadPolicyConfig(knownTools())
