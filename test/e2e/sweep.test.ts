/**
 * The catalogue sweep (`npm run sweep`) as part of the tests: every step of scripts/sweepSteps.ts, through a real MCP
 * client of each generation over stdio, against the simulator served over HTTP.
 */
import { describe, expect, it } from "vitest"
import { runSweep } from "../../scripts/sweep.js"
import { SWEEP_STEPS } from "../../scripts/sweepSteps.js"
import { GENERATIONS } from "../support/mcpClient.js"

describe.each(GENERATIONS)("catalogue sweep, %s client", (generation) => {
  it("runs every step with the expected result", { timeout: 240_000 }, async () => {
    const lines: string[] = []
    const outcome = await runSweep(generation, (line) => lines.push(line))
    expect(outcome.failed, lines.join("\n")).toEqual([])
    expect(outcome.passed).toBe(SWEEP_STEPS.length)
  })
})
