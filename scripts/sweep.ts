// The catalogue sweep (`npm run sweep`, also run by test/e2e/sweep.test.ts): a real MCP client drives the built
// server over stdio, against the simulator served over HTTP, through the everyday admin jobs end to end. Each step
// is printed; any unexpected result makes the exit code non-zero.
import { parseArgs } from "node:util"
import { type RunningSimServer, startSimServer } from "../sim/server.js"
import {
  type ClientGeneration,
  type Connection,
  connect,
  GENERATIONS,
  type ToolResult,
  textOf
} from "../test/support/mcpClient.js"
import { SWEEP_STEPS, type SweepContext } from "./sweepSteps.js"

export interface SweepOutcome {
  readonly passed: number
  readonly failed: ReadonlyArray<string>
}

const firstLine = (text: string) => {
  const line = text.split("\n")[0] ?? ""
  return line.length > 140 ? `${line.slice(0, 137)}…` : line
}

/** Runs every step in order on one server; a step's failure is reported and the sweep goes on. */
export const runSweep = async (
  generation: ClientGeneration,
  print: (line: string) => void = console.log
): Promise<SweepOutcome> => {
  let sim: RunningSimServer | undefined
  let client: Connection | undefined
  const failed: Array<string> = []
  let passed = 0
  try {
    // short tasks: the sweep checks outcomes, not durations
    sim = await startSimServer({ simulator: { taskDurationMs: 150 } })
    client = await connect(generation, {
      env: { ...sim.serverEnv, PVE_READONLY: "false", PVE_CONFIRM: "param", PVE_WAIT_MAX_MS: "30000" }
    })
    const ctx: SweepContext = {}
    for (const [index, step] of SWEEP_STEPS.entries()) {
      const label = `${String(index + 1).padStart(2)}. ${step.title}`
      let problem: string | undefined
      let result: ToolResult | undefined
      try {
        result = await client.callTool(step.tool, step.args(ctx), { timeoutMs: 60_000 })
        if (Boolean(result.isError) !== Boolean(step.refused)) {
          problem = step.refused ? "expected a refusal, the call succeeded" : "the call failed"
        } else {
          problem = step.check(result, ctx)
        }
      } catch (error) {
        problem = `threw: ${error instanceof Error ? error.message : String(error)}`
      }
      const text = result === undefined ? "" : firstLine(textOf(result))
      if (problem === undefined) {
        passed++
        print(`ok   ${label}: ${text}`)
      } else {
        failed.push(`${step.title}: ${problem}`)
        print(`FAIL ${label}: ${problem}\n     ${step.tool} answered: ${result === undefined ? "-" : textOf(result)}`)
      }
    }
  } finally {
    await client?.close()
    await sim?.close()
  }
  return { passed, failed }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { client: { type: "string" } } })
  const generations = values.client === undefined ? GENERATIONS : [values.client as ClientGeneration]
  let failures = 0
  for (const generation of generations) {
    console.log(`\n# sweep with the ${generation} client`)
    const outcome = await runSweep(generation)
    console.log(`${outcome.passed} steps passed, ${outcome.failed.length} failed`)
    failures += outcome.failed.length
  }
  process.exit(failures === 0 ? 0 : 1)
}
