/**
 * Toolsets a client switches on (PVE_TOOLSETS=dynamic): the server starts with the core tools and pve_toolsets,
 * and enabling a toolset registers the tools of it that the policies let exist. The policies decided that list
 * before the server started (read-only, PVE_TOOLSETS, PVE_TOOLS_DENY): enabling only shows more of it, never more
 * than it. The adapter provides the switch of each MCP session; the tool reads it.
 */
import * as Context from "effect/Context"
import type { AnyTool, Toolset } from "../proxmox/Tool.js"
import { isWriteTool } from "./Inventory.js"

/** The tool that lists and enables toolsets; it exists only in dynamic mode. */
export const TOOLSETS_TOOL = "pve_toolsets"

/** The toolsets a dynamic server starts with. */
export const INITIAL_TOOLSETS: ReadonlyArray<Toolset> = ["core"]

/** What each toolset's tools need of the Proxmox token (README, Least-privilege API token). */
export const TOOLSET_NEEDS: Readonly<Record<Toolset, string>> = {
  core: "Sys.Audit, VM.Audit, Datastore.Audit, Pool.Audit on /",
  lifecycle:
    "VM.PowerMgmt on /vms (or /pool/<pool>); Sys.Modify on /nodes to stop another user's task; PVE_READONLY=false",
  provisioning:
    "VM.Allocate, VM.Clone, VM.Config.*, VM.Migrate on /vms; Datastore.AllocateSpace on /storage; SDN.Use; PVE_READONLY=false",
  snapshots: "VM.Snapshot, VM.Snapshot.Rollback on /vms; PVE_READONLY=false",
  storage: "Datastore.Audit, Datastore.AllocateSpace, Datastore.AllocateTemplate on /storage",
  network: "Sys.Audit on /nodes; Sys.Modify on /nodes/<node> to change and apply; PVE_READONLY=false for changes",
  backup: "VM.Backup, Datastore.AllocateSpace on /vms and the backup storage; PVE_READONLY=false",
  api: "exactly what the token is granted: pve_api_get reads, pve_api_call (PVE_READONLY=false) writes"
}

export interface ToolsetState {
  readonly name: Toolset
  readonly enabled: boolean
  /** the toolset's tools that exist under this server's policies */
  readonly tools: ReadonlyArray<string>
  readonly needs: string
  /** why some of its tools are missing (read-only mode, the deny list) */
  readonly withheld?: string
}

/** One session's switch: what its toolsets are, and enabling one (the names of the tools it added). */
export class ToolsetSwitch extends Context.Tag("proxmox-mcp/ToolsetSwitch")<
  ToolsetSwitch,
  {
    readonly list: () => ReadonlyArray<ToolsetState>
    readonly enable: (name: Toolset) => ReadonlyArray<string>
  }
>() {}

/** What the adapter needs to run a dynamic server: the toolsets it may offer, the ones on at start. */
export interface DynamicToolsets {
  readonly offered: ReadonlyArray<Toolset>
  readonly initial: ReadonlyArray<Toolset>
  /** every tool of the build, to say what the policies withheld */
  readonly all: ReadonlyArray<AnyTool>
  readonly readOnly: boolean
}

/** The state of every offered toolset, given the tools that exist and the toolsets switched on. */
export const toolsetStates = (
  dynamic: DynamicToolsets,
  existing: ReadonlyArray<AnyTool>,
  enabled: ReadonlySet<Toolset>
): ReadonlyArray<ToolsetState> =>
  dynamic.offered.map((name) => {
    const tools = existing.filter((t) => t.toolset === name && t.name !== TOOLSETS_TOOL).map((t) => t.name)
    const missing = dynamic.all.filter((t) => t.toolset === name && !tools.includes(t.name))
    const readOnlyMissing = missing.filter((t) => dynamic.readOnly && isWriteTool(t)).length
    const denied = missing.length - readOnlyMissing
    const why = [
      readOnlyMissing > 0 ? `${readOnlyMissing} write tools (PVE_READONLY=true)` : undefined,
      denied > 0 ? `${denied} denied (PVE_TOOLS_DENY)` : undefined
    ].filter((w) => w !== undefined)
    return {
      name,
      enabled: enabled.has(name),
      tools,
      needs: TOOLSET_NEEDS[name],
      ...(why.length === 0 ? {} : { withheld: `not offered: ${why.join(", ")}` })
    }
  })
