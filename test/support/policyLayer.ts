import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import type { SimulatorOptions } from "../../sim/Simulator.js"
import { PveConfig, type PveConfigShape } from "../../src/config/PveConfig.js"
import type { AuditEntry } from "../../src/policy/Audit.js"
import { loadPolicyConfigFrom } from "../../src/policy/PolicyConfig.js"
import { knownServerTools, serverPolicies } from "../../src/server.js"
import { ProxmoxSimulated, simulatorConfig } from "../../src/simulatorMode.js"

/**
 * The real ProxmoxClient over a fresh simulator, wrapped in the policies read from `env`, auditing to a
 * temporary file. Everything a tool would get: ProxmoxClient and PveConfig.
 */
export const withPolicies = (
  env: Record<string, string>,
  options: { readonly sim?: SimulatorOptions; readonly config?: Partial<PveConfigShape> } = {}
) => {
  const auditFile = join(mkdtempSync(join(tmpdir(), "pmcp-policy-")), "audit.jsonl")
  const policy = Effect.runSync(loadPolicyConfigFrom({ PVE_AUDIT_LOG: auditFile, ...env }, knownServerTools))
  const config = simulatorConfig(options.config)
  const { simulator, layer } = ProxmoxSimulated(config, options.sim)
  const policies = serverPolicies(policy, config.auth)
  return {
    sim: simulator,
    policy,
    layer: Layer.merge(policies.wrapClient(layer), PveConfig.layer(config)),
    auditFile,
    auditEntries: (): ReadonlyArray<AuditEntry> => {
      let text = ""
      try {
        text = readFileSync(auditFile, "utf8")
      } catch {
        return []
      }
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as AuditEntry)
    }
  }
}
