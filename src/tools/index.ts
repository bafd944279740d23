import type { AnyTool } from "../proxmox/Tool.js"
import { apiTools } from "./api.js"
import { backupTools } from "./backups.js"
import { clusterTools } from "./cluster.js"
import { guestOpsTools } from "./guestOps.js"
import { guestTools } from "./guests.js"
import { logTools } from "./logs.js"
import { metricsTools } from "./metrics.js"
import { networkTools } from "./network.js"
import { provisioningTools } from "./provisioning.js"
import { snapshotTools } from "./snapshots.js"
import { storageTools } from "./storage.js"
import { taskTools } from "./tasks.js"
import { pveToolsets } from "./toolsets.js"

/** Every tool the server can offer, before policies decide which ones exist. */
export const allTools: ReadonlyArray<AnyTool> = [
  ...clusterTools,
  ...guestTools,
  ...guestOpsTools,
  ...provisioningTools,
  ...taskTools,
  ...snapshotTools,
  ...backupTools,
  ...metricsTools,
  ...logTools,
  ...storageTools,
  ...networkTools,
  ...apiTools
]

/** pve_toolsets, which exists only in dynamic mode (PVE_TOOLSETS=dynamic), beside every tool. */
export const toolsAndSwitch: ReadonlyArray<AnyTool> = [pveToolsets, ...allTools]
