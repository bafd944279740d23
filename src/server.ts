/** The server this build offers: every tool, and the policies loaded for them (the CLI and tests start from here). */
import type { PveAuthConfig } from "./config/PveConfig.js"
import { knownTools, makeServerPolicies } from "./policy/index.js"
import { loadPolicyConfig, type PolicyConfigShape } from "./policy/PolicyConfig.js"
import { toolsAndSwitch } from "./tools/index.js"

/** What PVE_TOOLSETS and PVE_TOOLS_DENY may name in this build. */
export const knownServerTools = knownTools(toolsAndSwitch)

/** The policy configuration from the environment, checked against the tools this build has. */
export const loadServerPolicy = loadPolicyConfig(knownServerTools)

/** The policies around every tool of this build. */
export const serverPolicies = (policy: PolicyConfigShape, auth: PveAuthConfig | undefined) =>
  makeServerPolicies(policy, auth, toolsAndSwitch)
