/** `proxmox-mcp doctor`: runs the checks on the configured cluster, prints the report, exit code 0 (fine) or 1. */
import * as Effect from "effect/Effect"
import { describeEnvFile, type EnvFileLoaded } from "../config/EnvFile.js"
import { loadPveConfig } from "../config/PveConfig.js"
import { loadBoth } from "../policy/index.js"
import { loadServerPolicy, serverPolicies } from "../server.js"
import { allTools } from "../tools/index.js"
import { type Finding, formatFindings, runChecks } from "./checks.js"

export const runDoctorCommand = (envFile: EnvFileLoaded | undefined): Effect.Effect<number> =>
  Effect.gen(function* () {
    const loaded = yield* Effect.either(loadBoth(loadPveConfig, loadServerPolicy))
    const from: Finding[] =
      envFile === undefined ? [] : [{ check: "env file", status: "ok", text: describeEnvFile(envFile) }]
    if (loaded._tag === "Left") {
      const findings: Finding[] = [
        ...from,
        ...loaded.left.problems.map(
          (p): Finding => ({ check: p.variable, status: "fail", text: p.problem, fix: [`fix: ${p.fix}`] })
        )
      ]
      process.stdout.write(formatFindings(undefined, findings))
      return 1
    }
    const [config, policy] = loaded.right
    const served = new Set(serverPolicies(policy, config.auth).tools.map((tool) => tool.name))
    const findings = [...from, ...(yield* runChecks(config, allTools, served))]
    process.stdout.write(formatFindings(config, findings))
    return findings.some((f) => f.status === "fail") ? 1 : 0
  })
