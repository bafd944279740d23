/**
 * The benchmark suite (a script, not a test): the built server spawned over stdio (and HTTP) against the simulator
 * served over loopback HTTP, every figure beside the floor's measured in the same run (a one-tool server on the
 * same SDK, scripts/benchFloorServer.mjs). Prints one table and writes bench/results.json (not committed) so that
 * runs can be compared. The machines are shared: compare ratios, not single numbers.
 *
 * Run: npm run bench [-- --quick] [-- --only start-up,per-call,…]
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { concurrencyRows } from "./concurrency.js"
import { contextRows } from "./context.js"
import { memoryRows } from "./memory.js"
import { perCallRows } from "./perCall.js"
import { scaleRows } from "./scale.js"
import { startupRows } from "./startup.js"
import { type Row, renderTable } from "./stats.js"
import { tasksRows } from "./tasks.js"

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, only: { type: "string" } }
})
const quick = values.quick

/** How much of each section: the full run as the issue asks, --quick small enough for under a minute. */
const sizes = quick
  ? {
      startups: 3,
      calls: 150,
      memoryFirst: 150,
      memoryAll: 600,
      scaleRuns: 1,
      walkPages: 2,
      parallel: 100,
      sessions: 50,
      callsEach: 1,
      // the shortest task alone: a 1 s task with its simulator
      taskLengths: [1_000],
      taskRuns: 2
    }
  : {
      startups: 20,
      calls: 500,
      memoryFirst: 1_000,
      memoryAll: 10_000,
      scaleRuns: 10,
      walkPages: Number.POSITIVE_INFINITY,
      parallel: 100,
      sessions: 50,
      callsEach: 4,
      taskLengths: [1_000, 10_000, 60_000],
      taskRuns: 3
    }

const sections: ReadonlyArray<readonly [string, () => Promise<ReadonlyArray<Row>>]> = [
  ["start-up", () => startupRows(sizes.startups)],
  ["context", () => contextRows(!quick)],
  [
    "per-call",
    async () => [...(await perCallRows(sizes.calls, "bare")), ...(quick ? [] : await perCallRows(sizes.calls, "flags"))]
  ],
  ["memory", () => memoryRows(sizes.memoryFirst, sizes.memoryAll)],
  ["scale", () => scaleRows(sizes.scaleRuns, sizes.walkPages)],
  ["concurrency", () => concurrencyRows(sizes.parallel, sizes.sessions, sizes.callsEach)],
  ["tasks", () => tasksRows(sizes.taskLengths, sizes.taskRuns)]
]
const only = values.only?.split(",")

const started = performance.now()
const rows: Array<Row> = []
const seconds: Record<string, number> = {}
for (const [name, run] of sections) {
  if (only !== undefined && !only.includes(name)) continue
  const t0 = performance.now()
  rows.push(...(await run()))
  seconds[name] = (performance.now() - t0) / 1000
  process.stderr.write(`bench: ${name} done in ${seconds[name]!.toFixed(1)} s\n`)
}

console.log(renderTable(rows))
const missed = rows.filter((r) => r.met === false)
console.log(
  `\n${quick ? "quick run" : "full run"} in ${((performance.now() - started) / 1000).toFixed(0)} s; ${missed.length === 0 ? "every target met" : `targets missed: ${missed.map((r) => `${r.section}: ${r.figure}`).join("; ")}`}`
)

const outDir = join(import.meta.dirname, "../../bench")
mkdirSync(outDir, { recursive: true })
writeFileSync(
  join(outDir, "results.json"),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      quick,
      node: process.version,
      cpus: cpus().length,
      loadAverage: loadavg(),
      secondsPerSection: seconds,
      rows
    },
    null,
    2
  )}\n`
)
console.log(`written: bench/results.json`)
