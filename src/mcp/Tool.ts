import type { Effect, Schema } from "effect"
import type { PveConfig } from "../config/PveConfig.js"
import type { ProxmoxError } from "../proxmox/errors.js"
import type { ProxmoxClient } from "../proxmox/ProxmoxClient.js"

/** Groups of tools that can be switched on and off together (PVE_TOOLSETS). */
export const TOOLSETS = ["core", "lifecycle", "provisioning", "snapshots", "storage", "network", "backup", "api"] as const
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

export interface Tool<I, IE, O, OE> {
  readonly name: string
  readonly title: string
  readonly description: string
  readonly toolset: Toolset
  /** Arguments; the JSON Schema the client sees is generated from it. */
  readonly input: Schema.Schema<I, IE>
  /** structuredContent on success; must be an object with plain JSON values. */
  readonly output: Schema.Schema<O, OE>
  readonly annotations: ToolAnnotations
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
