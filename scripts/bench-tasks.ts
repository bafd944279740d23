/**
 * Benchmark (not a test) of waiting for tasks: for tasks of 1 s, 10 s and 60 s, how late the tool's answer comes
 * after the task ended, and how many status requests it took. The built server (stdio, bare JSON-RPC client)
 * against the simulator over loopback HTTP, one simulator per task length; beside it, in the same run, a fixed
 * 1.5 s poll of the same kind of task. Targets: late by at most 15 % of the task's length + 150 ms, and at most 25
 * status requests for a 60 s task.
 *
 * Run: npm run build && npx tsx scripts/bench-tasks.ts [--runs 3]
 */
import { join } from "node:path"
import { parseArgs } from "node:util"
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../sim/Simulator.js"
import { type RunningSimServer, startSimServer } from "../sim/server.js"
import { type JsonRpcChild, spawnJsonRpc } from "./jsonRpcChild.js"

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } })
const runs = Number(values.runs)
const bin = join(import.meta.dirname, "../dist/proxmox-mcp.js")
const authorization = `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}`
const FIXED_POLL_MS = 1_500

type Session = JsonRpcChild

/** The built server as a child process, measured with a bare JSON-RPC client. */
const startServer = (sim: RunningSimServer): Session =>
  spawnJsonRpc([bin], {
    PATH: process.env.PATH ?? "",
    ...sim.serverEnv,
    PVE_READONLY: "false",
    PVE_CONFIRM: "param",
    // the 60 s task must be waited for to its end here, not answered as running at the 50 s cap
    PVE_WAIT_MAX_MS: "120000"
  })

const initialize = async (session: Session) => {
  await session.request("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "bench-tasks", version: "1" }
  })
  await session.request("ping")
}

interface Sample {
  readonly lateMs: number
  readonly statusRequests: number
  readonly logRequests: number
}

const requestsFor = (sim: RunningSimServer, upid: string, tail: string) =>
  sim.sim.requests.filter((r) => r.method === "GET" && decodeURIComponent(r.path).endsWith(`${upid}/${tail}`)).length

/** pve_guest_start through the server: the answer's arrival against the task's end in the simulator. */
const throughServer = async (
  sim: RunningSimServer,
  session: Session,
  vmid: number,
  progress: boolean
): Promise<Sample> => {
  const result = (await session.request("tools/call", {
    name: "pve_guest_start",
    arguments: { vmid },
    ...(progress ? { _meta: { progressToken: `bench-${vmid}` } } : {})
  })) as { structuredContent?: { upid?: string }; isError?: boolean; content?: Array<{ text?: string }> }
  const answeredAt = Date.now()
  const upid = result.structuredContent?.upid
  if (upid === undefined || result.isError) throw new Error(`start of ${vmid} failed: ${result.content?.[0]?.text}`)
  const task = sim.sim.model.task(upid)!
  return {
    lateMs: answeredAt - task.finishAt,
    statusRequests: requestsFor(sim, upid, "status"),
    logRequests: requestsFor(sim, upid, "log")
  }
}

const pve = async (sim: RunningSimServer, method: string, path: string) => {
  const response = await fetch(`${sim.url}/api2/json${path}`, { method, headers: { authorization } })
  return ((await response.json()) as { data: unknown }).data
}

/** The comparison: start the same kind of task, then read its status every 1.5 s until it stopped. */
const fixedPoll = async (sim: RunningSimServer, vmid: number): Promise<Sample> => {
  const guest = sim.sim.model.guest(vmid)
  const upid = (await pve(sim, "POST", `/nodes/${guest.node}/${guest.type}/${vmid}/status/start`)) as string
  const node = guest.node
  const statusPath = `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`
  while (true) {
    await new Promise((r) => setTimeout(r, FIXED_POLL_MS))
    const status = (await pve(sim, "GET", statusPath)) as { status: string }
    if (status.status !== "running") break
  }
  return {
    lateMs: Date.now() - sim.sim.model.task(upid)!.finishAt,
    statusRequests: requestsFor(sim, upid, "status"),
    logRequests: 0
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const describeSamples = (samples: ReadonlyArray<Sample>) =>
  `late ${median(samples.map((s) => s.lateMs)).toFixed(0)} ms (max ${Math.max(...samples.map((s) => s.lateMs)).toFixed(0)}), ` +
  `${median(samples.map((s) => s.statusRequests))} status requests (max ${Math.max(...samples.map((s) => s.statusRequests))})` +
  (samples.some((s) => s.logRequests > 0) ? `, ${median(samples.map((s) => s.logRequests))} log reads` : "")

/** A small simulated cluster whose guests are all stopped and whose starts take `lengthMs`. */
const clusterOfStoppedGuests = async (lengthMs: number) => {
  const sim = await startSimServer({
    port: 0,
    simulator: { size: "small", taskDurations: { qmstart: lengthMs, vzstart: lengthMs } }
  })
  const guests = [...sim.sim.model.guests.values()].filter((g) => g.config.template === undefined)
  for (const guest of guests) guest.status = "stopped"
  if (guests.length < runs) throw new Error(`only ${guests.length} guests for ${runs} runs`)
  return { sim, vmids: guests.slice(0, runs).map((g) => g.vmid) }
}

const viaServer = async (lengthMs: number, progress: boolean) => {
  const { sim, vmids } = await clusterOfStoppedGuests(lengthMs)
  const session = startServer(sim)
  await initialize(session)
  const samples = await Promise.all(vmids.map((vmid) => throughServer(sim, session, vmid, progress)))
  await session.close()
  await sim.close()
  return samples
}

const viaFixedPoll = async (lengthMs: number) => {
  const { sim, vmids } = await clusterOfStoppedGuests(lengthMs)
  const samples = await Promise.all(vmids.map((vmid) => fixedPoll(sim, vmid)))
  await sim.close()
  return samples
}

/** One task length: every run, with and without a progress token, and the fixed poll, all at the same time. */
const benchLength = async (lengthMs: number) => {
  const [a, b, c] = await Promise.all([viaServer(lengthMs, false), viaServer(lengthMs, true), viaFixedPoll(lengthMs)])
  const target = 0.15 * lengthMs + 150
  const lateA = median(a.map((s) => s.lateMs))
  const ok = lateA <= target && (lengthMs !== 60_000 || median(a.map((s) => s.statusRequests)) <= 25)
  console.log(
    `task of ${lengthMs / 1000} s (target: late <= ${target.toFixed(0)} ms${lengthMs === 60_000 ? ", <= 25 status requests" : ""}): ${ok ? "met" : "MISSED"}`
  )
  console.log(`  proxmox-mcp:               ${describeSamples(a)}`)
  console.log(`  proxmox-mcp with progress: ${describeSamples(b)}`)
  console.log(`  fixed ${FIXED_POLL_MS / 1000} s poll:          ${describeSamples(c)}`)
}

console.log(`waiting for tasks: median of ${runs} runs each, all runs of one length at once`)
for (const lengthMs of [1_000, 10_000, 60_000]) await benchLength(lengthMs)
