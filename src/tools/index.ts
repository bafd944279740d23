import type { AnyTool } from "../proxmox/Tool.js"
import { apiTools } from "./api.js"
import { clusterTools } from "./cluster.js"
import { guestTools } from "./guests.js"
import { taskTools } from "./tasks.js"
import { pveToolsets } from "./toolsets.js"

/** Every tool the server can offer, before policies decide which ones exist. */
export const allTools: ReadonlyArray<AnyTool> = [...clusterTools, ...guestTools, ...taskTools, ...apiTools]

/** pve_toolsets, which exists only in dynamic mode (PVE_TOOLSETS=dynamic), beside every tool. */
export const toolsAndSwitch: ReadonlyArray<AnyTool> = [pveToolsets, ...allTools]
