import type { AnyTool } from "../proxmox/Tool.js"
import { apiTools } from "./api.js"
import { clusterTools } from "./cluster.js"
import { guestTools } from "./guests.js"
import { provisioningTools } from "./provisioning.js"
import { taskTools } from "./tasks.js"

/** Every tool the server can offer, before policies decide which ones exist. */
export const allTools: ReadonlyArray<AnyTool> = [
  ...clusterTools,
  ...guestTools,
  ...provisioningTools,
  ...taskTools,
  ...apiTools
]
