import type { AnyTool } from "../proxmox/Tool.js"

/** A tool that changes the cluster: it is absent in read-only mode. */
export const isWriteTool = (tool: AnyTool) => !tool.annotations.readOnlyHint

/**
 * Decides which tools exist, like github-mcp-server's inventory builder. Whatever order the settings are given
 * in, the filters apply in one fixed order: read-only, then toolsets, then the explicit deny list.
 */
export interface ToolInventory {
  readonly withReadOnly: (readOnly: boolean) => ToolInventory
  readonly withToolsets: (toolsets: ReadonlyArray<string>) => ToolInventory
  readonly withDenied: (names: ReadonlyArray<string>) => ToolInventory
  readonly build: () => ReadonlyArray<AnyTool>
}

interface InventorySettings {
  readonly readOnly: boolean
  readonly toolsets: ReadonlyArray<string> | undefined
  readonly denied: ReadonlyArray<string>
}

const makeInventory = (tools: ReadonlyArray<AnyTool>, settings: InventorySettings): ToolInventory => ({
  withReadOnly: (readOnly) => makeInventory(tools, { ...settings, readOnly }),
  withToolsets: (toolsets) => makeInventory(tools, { ...settings, toolsets }),
  withDenied: (names) => makeInventory(tools, { ...settings, denied: [...settings.denied, ...names] }),
  build: () =>
    tools
      .filter((tool) => !(settings.readOnly && isWriteTool(tool)))
      .filter((tool) => settings.toolsets === undefined || settings.toolsets.includes(tool.toolset))
      .filter((tool) => !settings.denied.includes(tool.name))
})

/** Starts from every tool, read-only (the safe default), every toolset, nothing denied. */
export const inventory = (tools: ReadonlyArray<AnyTool>): ToolInventory =>
  makeInventory(tools, { readOnly: true, toolsets: undefined, denied: [] })
