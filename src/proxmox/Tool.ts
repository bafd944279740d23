import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type { PveConfig } from "../config/PveConfig.js"
import { type AnyEndpoint, endpointKey } from "./Endpoint.js"
import type { ProxmoxError } from "./errors.js"
import { oncePerObject } from "./oncePer.js"
import type { Plan } from "./Plan.js"
import type { ProxmoxClient } from "./ProxmoxClient.js"
import { taskWaitEndpoints } from "./Tasks.js"

/**
 * A tool as a value, neutral of MCP: the MCP adapter registers it, the policies run it. Below `policy/`, so the
 * policies can be written against it.
 */

/** Groups of tools that can be switched on and off together (PVE_TOOLSETS). */
export const TOOLSETS = [
  "core",
  "lifecycle",
  "provisioning",
  "snapshots",
  "storage",
  "network",
  "backup",
  "api"
] as const
export type Toolset = (typeof TOOLSETS)[number]

/** All four MCP hints, always stated: a client should never have to guess whether a tool is safe. */
export interface ToolAnnotations {
  readonly readOnlyHint: boolean
  readonly destructiveHint: boolean
  readonly idempotentHint: boolean
  readonly openWorldHint: boolean
}

/** What a tool's reads and its plan may use. */
export type ToolRequirements = ProxmoxClient | PveConfig

/**
 * What a destructive tool's caller must repeat to confirm it (when confirmation is by parameter): the VM id in
 * `confirmVmid`, or a name (snapshot, node, path…) in `confirmName`.
 */
export type ConfirmTarget<I> =
  | { readonly echo: "vmid"; readonly of: (input: I) => number }
  | { readonly echo: "name"; readonly of: (input: I) => string; readonly what: string }

/**
 * The endpoints a tool may call: listed, or any of the real schema (the generic API tools, which check every path
 * against it). The policy client refuses any other request the tool's call makes.
 */
export type ToolEndpoints = ReadonlyArray<AnyEndpoint> | { readonly any: "GET" | "any method" }

interface ToolBase<I, IE, O, OE> {
  readonly name: string
  readonly title: string
  readonly description: string
  readonly toolset: Toolset
  /** Arguments; the JSON Schema the client sees is generated from it. */
  readonly input: Schema.Schema<I, IE>
  /** structuredContent on success; must be an object with plain JSON values. */
  readonly output: Schema.Schema<O, OE>
  readonly endpoints: ToolEndpoints
  /** A short text rendering of the result, for clients that only show text. */
  readonly render: (output: O) => string
  /** How to ask for less when an answer is over PVE_MAX_ANSWER_BYTES (default: the tool's argument names). */
  readonly narrow?: string
  /** Derived from the kind: never written by hand. */
  readonly annotations: ToolAnnotations
}

/** Reads only; its requests still pass the policy client (read-only, allowlists, filtering). */
export interface ReadTool<I, IE, O, OE> extends ToolBase<I, IE, O, OE> {
  readonly kind: "read"
  readonly handler: (input: I) => Effect.Effect<O, ProxmoxError, ToolRequirements>
}

/**
 * Changes the cluster: reads what it needs, then returns its plan (every write, in order). The policies run the
 * plan: dry-run shows it, confirmation approves exactly it, execution sends exactly it.
 */
export interface WriteTool<I, IE, O, OE> extends ToolBase<I, IE, O, OE> {
  readonly kind: "write"
  readonly plan: (input: I) => Effect.Effect<Plan<O, ToolRequirements>, ProxmoxError, ToolRequirements>
}

/** A write that can lose data or availability: its plan must be confirmed, by the person or by echo. */
export interface DestructiveTool<I, IE, O, OE> extends ToolBase<I, IE, O, OE> {
  readonly kind: "destructive"
  readonly confirmTarget: ConfirmTarget<I>
  readonly plan: (input: I) => Effect.Effect<Plan<O, ToolRequirements>, ProxmoxError, ToolRequirements>
}

export type Tool<I, IE, O, OE> = ReadTool<I, IE, O, OE> | WriteTool<I, IE, O, OE> | DestructiveTool<I, IE, O, OE>

// biome-ignore lint/suspicious/noExplicitAny: a tool list holds tools of different argument and result types
export type AnyTool = Tool<any, any, any, any>
// biome-ignore lint/suspicious/noExplicitAny: as above
export type AnyPlanningTool = WriteTool<any, any, any, any> | DestructiveTool<any, any, any, any>

type Spec<T> = Omit<T, "kind" | "annotations">

export const readTool = <I, IE, O, OE>(spec: Spec<ReadTool<I, IE, O, OE>>): ReadTool<I, IE, O, OE> => ({
  ...spec,
  kind: "read",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true }
})

/** Changes the cluster, but nothing is lost by it (start, create, snapshot). */
export const writeTool = <I, IE, O, OE>(spec: Spec<WriteTool<I, IE, O, OE>>): WriteTool<I, IE, O, OE> => ({
  ...spec,
  kind: "write",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true }
})

/** Can lose data or availability (stop, delete, rollback, restore): needs confirmation, so it names its target. */
export const destructiveTool = <I, IE, O, OE>(
  spec: Spec<DestructiveTool<I, IE, O, OE>>
): DestructiveTool<I, IE, O, OE> => ({
  ...spec,
  kind: "destructive",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true }
})

export const isPlanningTool = (tool: AnyTool): tool is AnyPlanningTool => tool.kind !== "read"

/**
 * Whether this tool may send `METHOD template`: one of its endpoints, or what waiting for a task reads when one
 * of its endpoints starts a task.
 */
export const toolMayCall: (tool: AnyTool) => (method: string, template: string) => boolean = oncePerObject(
  // once per tool, not per call
  (tool: AnyTool) => makeMayCall(tool)
)

/** The endpoints a tool lists, with what waiting for its tasks reads; undefined for the generic API tools. */
export const declaredEndpoints = (tool: AnyTool): ReadonlyArray<AnyEndpoint> | undefined => {
  if (!Array.isArray(tool.endpoints)) return undefined
  const listed = tool.endpoints as ReadonlyArray<AnyEndpoint>
  return listed.some((e) => e.startsTask) ? [...listed, ...taskWaitEndpoints] : listed
}

const makeMayCall = (tool: AnyTool): ((method: string, template: string) => boolean) => {
  const declared = declaredEndpoints(tool)
  if (declared === undefined) {
    const any = (tool.endpoints as { readonly any: "GET" | "any method" }).any
    return (method) => any === "any method" || method === "GET"
  }
  const keys = new Set(declared.map(endpointKey))
  return (method, template) => keys.has(endpointKey({ method, template }))
}
