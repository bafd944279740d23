/**
 * Benchmark (not a test) of waiting for tasks: for tasks of 1 s, 10 s and 60 s, how late the tool's answer comes
 * after the task ended, and how many status requests it took. The built server (stdio, bare JSON-RPC client)
 * against the simulator over loopback HTTP, one simulator per task length; beside it, in the same run, a fixed
 * 1.5 s poll of the same kind of task. Targets: late by at most 15 % of the task's length + 150 ms, and at most 25
 * status requests for a 60 s task. The same figures are a section of `npm run bench` (scripts/bench/tasks.ts).
 *
 * Run: npm run build && npx tsx scripts/bench-tasks.ts [--runs 3]
 */
import { parseArgs } from "node:util"
import { describeSamples, FIXED_POLL_MS, taskLength } from "./bench/tasks.js"

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } })
const runs = Number(values.runs)

console.log(`waiting for tasks: median of ${runs} runs each, all runs of one length at once`)
for (const lengthMs of [1_000, 10_000, 60_000]) {
  const { plain, progress, fixed, target, met } = await taskLength(lengthMs, runs)
  console.log(
    `task of ${lengthMs / 1000} s (target: late <= ${target.toFixed(0)} ms${lengthMs === 60_000 ? ", <= 25 status requests" : ""}): ${met ? "met" : "MISSED"}`
  )
  console.log(`  proxmox-mcp:               ${describeSamples(plain)}`)
  console.log(`  proxmox-mcp with progress: ${describeSamples(progress)}`)
  console.log(`  fixed ${FIXED_POLL_MS / 1000} s poll:          ${describeSamples(fixed)}`)
}
