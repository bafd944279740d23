// Task follow-up (the long-running-tasks issue): for tasks of a given length, how late the tool's answer comes
// after the task ended and how many status requests it took; beside it, in the same run, a fixed 1.5 s poll.
import { join } from "node:path"
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../../sim/Simulator.js"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { type JsonRpcChild, spawnJsonRpc } from "../jsonRpcChild.js"
import { median, type Row, row } from "./stats.js"

const bin = join(import.meta.dirname, "../../dist/proxmox-mcp.js")
const authorization = `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}`
export const FIXED_POLL_MS = 1_500

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

export interface Sample {
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

export const describeSamples = (samples: ReadonlyArray<Sample>) =>
  `late ${median(samples.map((s) => s.lateMs)).toFixed(0)} ms (max ${Math.max(...samples.map((s) => s.lateMs)).toFixed(0)}), ` +
  `${median(samples.map((s) => s.statusRequests))} status requests (max ${Math.max(...samples.map((s) => s.statusRequests))})` +
  (samples.some((s) => s.logRequests > 0) ? `, ${median(samples.map((s) => s.logRequests))} log reads` : "")

/** A small simulated cluster whose guests are all stopped and whose starts take `lengthMs`. */
const clusterOfStoppedGuests = async (lengthMs: number, runs: number) => {
  const sim = await startSimServer({
    port: 0,
    simulator: { size: "small", taskDurations: { qmstart: lengthMs, vzstart: lengthMs } }
  })
  const guests = [...sim.sim.model.guests.values()].filter((g) => g.config.template === undefined)
  for (const guest of guests) guest.status = "stopped"
  if (guests.length < runs) throw new Error(`only ${guests.length} guests for ${runs} runs`)
  return { sim, vmids: guests.slice(0, runs).map((g) => g.vmid) }
}

const viaServer = async (lengthMs: number, progress: boolean, runs: number) => {
  const { sim, vmids } = await clusterOfStoppedGuests(lengthMs, runs)
  const session = startServer(sim)
  await initialize(session)
  const samples = await Promise.all(vmids.map((vmid) => throughServer(sim, session, vmid, progress)))
  await session.close()
  await sim.close()
  return samples
}

const viaFixedPoll = async (lengthMs: number, runs: number) => {
  const { sim, vmids } = await clusterOfStoppedGuests(lengthMs, runs)
  const samples = await Promise.all(vmids.map((vmid) => fixedPoll(sim, vmid)))
  await sim.close()
  return samples
}

/** One task length: every run, with and without a progress token, and the fixed poll, all at the same time. */
export const taskLength = async (lengthMs: number, runs: number) => {
  const [plain, progress, fixed] = await Promise.all([
    viaServer(lengthMs, false, runs),
    viaServer(lengthMs, true, runs),
    viaFixedPoll(lengthMs, runs)
  ])
  const target = 0.15 * lengthMs + 150
  const late = median(plain.map((s) => s.lateMs))
  const statusRequests = median(plain.map((s) => s.statusRequests))
  const met = late <= target && (lengthMs !== 60_000 || statusRequests <= 25)
  return { plain, progress, fixed, target, met }
}

export const tasksRows = async (lengthsMs: ReadonlyArray<number>, runs: number): Promise<ReadonlyArray<Row>> => {
  const rows: Array<Row> = []
  for (const lengthMs of lengthsMs) {
    const { plain, progress, fixed, target } = await taskLength(lengthMs, runs)
    const section = `task follow-up (${lengthMs / 1000} s task)`
    const late = median(plain.map((s) => s.lateMs))
    const fixedLate = median(fixed.map((s) => s.lateMs))
    const status = median(plain.map((s) => s.statusRequests))
    const fixedStatus = median(fixed.map((s) => s.statusRequests))
    // the floor here is the fixed 1.5 s poll of the same kind of task in the same run
    rows.push(
      row({
        section,
        figure: `answer late after the task ended, median of ${runs}`,
        value: late,
        unit: "ms",
        floor: fixedLate,
        target: `<= ${target.toFixed(0)} ms`,
        met: late <= target
      }),
      row({
        section,
        figure: "the same with a progress token",
        value: median(progress.map((s) => s.lateMs)),
        unit: "ms",
        floor: fixedLate
      }),
      row({
        section,
        figure: "status requests",
        value: status,
        unit: "",
        floor: fixedStatus,
        ...(lengthMs === 60_000 ? { target: "<= 25", met: status <= 25 } : {})
      })
    )
  }
  return rows
}
