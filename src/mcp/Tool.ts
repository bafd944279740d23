import type { Effect, Schema } from "effect"
import type { PveConfig } from "../config/PveConfig.js"
import type { ProxmoxError } from "../proxmox/errors.js"
import type { ProxmoxClient } from "../proxmox/ProxmoxClient.js"

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

/** What a tool handler may use. */
export type ToolRequirements = ProxmoxClient | PveConfig

/**
 * What a destructive tool's caller must repeat to confirm it (when confirmation is by parameter): the VM id in
 * `confirmVmid`, or a name (snapshot, node, path…) in `confirmName`.
 */
export type ConfirmTarget<I> =
  | { readonly echo: "vmid"; readonly of: (input: I) => number }
  | { readonly echo: "name"; readonly of: (input: I) => string; readonly what: string }

export interface Tool<I, IE, O, OE> {
  readonly name: string
  readonly title: string
  readonly description: string
  readonly toolset: Toolset
  /** Arguments; the JSON Schema the client sees is generated from it. */
  readonly input: Schema.Schema<I, IE>
  /** structuredContent on success; must be an object with plain JSON values. */
  readonly output: Schema.Schema<O, OE>
  /**
   * readOnlyHint false: a write tool (absent in read-only mode, takes `dryRun`); destructiveHint true: the call
   * must be confirmed (by the person, or by `confirm` plus `confirmTarget`).
   */
  readonly annotations: ToolAnnotations
  /** Required for destructive tools. */
  readonly confirmTarget?: ConfirmTarget<I>
  /** Reads freely; its writes go through the policies (read-only, allowlists, dry-run, confirmation, audit). */
  readonly handler: (input: I) => Effect.Effect<O, ProxmoxError, ToolRequirements>
  /** A short text rendering of the result, for clients that only show text. */
  readonly render: (output: O) => string
}

// biome-ignore lint/suspicious/noExplicitAny: a tool list holds tools of different argument and result types
export type AnyTool = Tool<any, any, any, any>

/** Keeps the tool's argument and result types tied together while building the list. */
export const defineTool = <I, IE, O, OE>(tool: Tool<I, IE, O, OE>): Tool<I, IE, O, OE> => tool

export const readOnly: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true
}

/** Changes the cluster, but nothing is lost by it (start, create, snapshot). */
export const write: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true
}

/** Can lose data or availability (stop, delete, rollback, restore): needs confirmation. */
export const destructive: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true
}
