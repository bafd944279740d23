/**
 * The policies, composed in one place: which tools exist (inventory), the client decorator every request
 * passes (read-only, allowlists, write gate, audit, output filtering) with the audit log the call pipeline
 * writes to as well, and the confirmation mode. The CLI builds the server from this with the tool list.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { ConfigInvalid, type PveAuthConfig } from "../config/PveConfig.js"
import type { ProxmoxClient } from "../proxmox/ProxmoxClient.js"
import { type AnyTool, TOOLSETS, type Toolset } from "../proxmox/Tool.js"
import { type AuditLog, AuditLogLive } from "./Audit.js"
import { type DynamicToolsets, INITIAL_TOOLSETS, TOOLSETS_TOOL } from "./DynamicToolsets.js"
import { inventory } from "./Inventory.js"
import { PolicyClientLayer } from "./PolicyClient.js"
import type { Allowlists, ConfirmMode, KnownTools, PolicyConfigShape } from "./PolicyConfig.js"
import { makeSecretScrubber, type SecretScrubber } from "./Secrets.js"

/** The toolsets and tool names a configuration may name: only toolsets that hold a tool are offered. */
export const knownTools = (tools: ReadonlyArray<AnyTool>): KnownTools => ({
  toolsets: TOOLSETS.filter((set) => tools.some((t) => t.toolset === set)),
  tools: tools.map((t) => t.name)
})

/**
 * What the MCP server takes from the policies: how destructive calls are confirmed, the allowlists checked on a
 * tool's arguments before it runs, and in dynamic mode which toolsets are on at start.
 */
export interface SafetyOptions {
  /** PVE_CONFIRM (default auto: the person when the client can show a form, else confirm + echo) */
  readonly confirm?: ConfirmMode
  readonly allowlists?: Allowlists
  /** PVE_TOOLSETS=dynamic: the tools outside `initial` are registered switched off, for pve_toolsets to enable */
  readonly dynamic?: DynamicToolsets
}

export interface ServerPolicies {
  /** The tools that exist under this policy, in a stable order. */
  readonly tools: ReadonlyArray<AnyTool>
  /** Puts the policies around a ProxmoxClient layer (live or simulated), and gives the audit log they write to. */
  readonly wrapClient: <E, R>(client: Layer.Layer<ProxmoxClient, E, R>) => Layer.Layer<ProxmoxClient | AuditLog, E, R>
  /** For `makeMcpServer`. */
  readonly safety: SafetyOptions
  /** Removes the configured credentials (and any ticket or CSRF token) from text leaving the process. */
  readonly scrub: SecretScrubber
}

export const makeServerPolicies = (
  policy: PolicyConfigShape,
  auth: PveAuthConfig | undefined,
  tools: ReadonlyArray<AnyTool>
): ServerPolicies => {
  const scrub = makeSecretScrubber(auth)
  const dynamic = policy.dynamic === true
  const allowed = inventory(tools.filter((t) => t.name !== TOOLSETS_TOOL))
    .withReadOnly(policy.readOnly)
    .withToolsets(policy.toolsets)
    .withDenied(policy.toolsDeny)
    .build()
  // the switch itself exists only in dynamic mode, whatever toolsets are named (the deny list still removes it)
  const switcher = dynamic ? tools.filter((t) => t.name === TOOLSETS_TOOL && !policy.toolsDeny.includes(t.name)) : []
  const offered = TOOLSETS.filter((set) => policy.toolsets.includes(set))
  const dynamicToolsets: DynamicToolsets = {
    offered,
    initial: INITIAL_TOOLSETS.filter((set: Toolset) => offered.includes(set)),
    all: tools.filter((t) => t.name !== TOOLSETS_TOOL),
    readOnly: policy.readOnly
  }
  return {
    tools: [...switcher, ...allowed],
    wrapClient: (client) =>
      PolicyClientLayer(policy).pipe(Layer.provideMerge(Layer.merge(client, AuditLogLive(policy.auditLog, scrub)))),
    safety: {
      confirm: policy.confirm,
      allowlists: policy.allowlists,
      ...(dynamic && switcher.length > 0 ? { dynamic: dynamicToolsets } : {})
    },
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
