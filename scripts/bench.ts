// Benchmarks (not tests): start-up to a tools/list answer, bundle size, and peak RSS after 100 tool calls.
// Figures are medians over repeated runs; the machines are shared, so compare ratios, not single numbers.
import { spawn } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../sim/Simulator.js"
import { startSimServer } from "../sim/server.js"
import { knownServerTools } from "../src/server.js"
import { allTools } from "../src/tools/index.js"
import { type JsonRpcChild, spawnJsonRpc } from "./jsonRpcChild.js"
import { recommendedNodeFlags } from "./launchFlags.js"

const root = join(import.meta.dirname, "..")
const bin = join(root, "dist/proxmox-mcp.js")
const floorBin = join(root, "scripts/benchFloorServer.mjs")
const runs = Number(process.env.BENCH_RUNS ?? 10)

const liveEnv = {
  PATH: process.env.PATH ?? "",
  PROXMOX_HOST: "https://pve.invalid:8006",
  PROXMOX_TOKEN_ID: "bench@pve!bench",
  PROXMOX_TOKEN_SECRET: "00000000-0000-0000-0000-000000000000"
}

type Session = JsonRpcChild

/** The server (or the floor) as a child process, measured with a bare JSON-RPC client. */
const start = (nodeFlags: string[], args: string[], env: Record<string, string>, script = bin): Session =>
  spawnJsonRpc([...nodeFlags, script, ...args], env)

const initialize = async (session: Session) => {
  await session.request("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "bench", version: "1" }
  })
  session.notify("notifications/initialized")
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const startupMs = async (nodeFlags: string[], args: string[], env: Record<string, string>, script = bin) => {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const session = start(nodeFlags, args, env, script)
    await initialize(session)
    await session.request("tools/list")
    times.push(performance.now() - t0)
    await session.close()
  }
  return times
}

const peakRssMiB = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN)
  return kib / 1024
}

/** The live server against the simulator over loopback HTTP: the product's own cost, the cluster elsewhere. */
const liveOnSimulator = async (nodeFlags: string[]) => {
  const sim = await startSimServer({ port: 0 })
  const session = start(nodeFlags, [], {
    PATH: process.env.PATH ?? "",
    ...sim.serverEnv
  })
  await initialize(session)
  return { sim, session }
}

const rssAfterCalls = async (nodeFlags: string[], calls: number) => {
  const { sim, session } = await liveOnSimulator(nodeFlags)
  const mix = [
    ["pve_list_guests", {}],
    ["pve_cluster_resources", {}],
    ["pve_guest_status", { vmid: 100 }],
    ["pve_node_status", { node: "pve1" }],
    ["pve_cluster_status", {}]
  ] as const
  for (let i = 0; i < calls; i++) {
    const [name, args] = mix[i % mix.length]!
    await session.request("tools/call", { name, arguments: args })
  }
  const rss = peakRssMiB(session.pid)
  await session.close()
  await sim.close()
  return rss
}

const timedCalls = async (session: Session, calls: number, name: string, args: object) => {
  const times: number[] = []
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now()
    await session.request("tools/call", { name, arguments: args })
    times.push(performance.now() - t0)
  }
  return median(times)
}

/**
 * One guest-status call, the commonest read, against the simulator over loopback HTTP; beside it the floor (a
 * one-tool server on the same SDK answering a constant) and a direct GET of the same path (what Proxmox costs).
 */
const perCallMs = async (calls: number) => {
  const { sim, session } = await liveOnSimulator(recommendedNodeFlags)
  await timedCalls(session, 20, "pve_guest_status", { vmid: 100, node: "pve1" })
  const status = await timedCalls(session, calls, "pve_guest_status", { vmid: 100, node: "pve1" })
  const byVmid = await timedCalls(session, calls, "pve_guest_status", { vmid: 100 })
  await session.close()
  const floor = start([], [], { PATH: process.env.PATH ?? "" }, floorBin)
  await initialize(floor)
  await timedCalls(floor, 20, "ping", {})
  const floorMs = await timedCalls(floor, calls, "ping", {})
  await floor.close()
  const headers = { authorization: `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}` }
  const get: number[] = []
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now()
    await (await fetch(`${sim.url}/api2/json/nodes/pve1/qemu/100/status/current`, { headers })).text()
    get.push(performance.now() - t0)
  }
  await sim.close()
  return { status, byVmid, floorMs, getMs: median(get) }
}

const bundle = () => {
  const files = readdirSync(join(root, "dist")).filter((f) => f.endsWith(".js"))
  const total = files.reduce((sum, f) => sum + statSync(join(root, "dist", f)).size, 0)
  // the command's entry is a stub that loads main-*.js (src/bin.ts)
  const main = files.find((f) => f.startsWith("main-"))
  return {
    files: files.length,
    kib: total / 1024,
    mainKib: main === undefined ? Number.NaN : statSync(join(root, "dist", main)).size / 1024
  }
}

const baselineNodeMs = async () => {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await new Promise((resolve) => spawn(process.execPath, ["-e", ""]).once("exit", resolve))
    times.push(performance.now() - t0)
  }
  return median(times)
}

/** `npm run sim` from spawn to its first stdout line (the env line), through tsx as the script runs it. */
const simStartMs = async () => {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    const child = spawn(
      process.execPath,
      [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "sim/server.ts"), "--port", String(18_100 + i)],
      {
        stdio: ["ignore", "pipe", "ignore"]
      }
    )
    await new Promise((resolve) => child.stdout.once("data", resolve))
    times.push(performance.now() - t0)
    child.kill()
    await new Promise((resolve) => child.once("exit", resolve))
  }
  return median(times)
}

/**
 * What tools/list puts in the model's context with every tool enabled: name + description + inputSchema of each
 * tool, as JSON (test/unit/toolSchemas.test.ts holds it to 20 KB).
 */
// Issue 9's 20 KB is for the catalogue of its time (toolsets core, lifecycle, provisioning, api, without the six
// tools issues 10 and 11 added there); test/unit/toolSchemas.test.ts holds both figures
const ADDED_AFTER_ISSUE_9 = new Set([
  "pve_list_tasks",
  "pve_task_log",
  "pve_node_metrics",
  "pve_guest_metrics",
  "pve_node_log",
  "pve_api_describe"
])
const ISSUE_9_TOOLSETS = new Set(["core", "lifecycle", "provisioning", "api"])
const issue9ToolNames = new Set(
  allTools.filter((t) => ISSUE_9_TOOLSETS.has(t.toolset) && !ADDED_AFTER_ISSUE_9.has(t.name)).map((t) => t.name)
)

const toolsListBytes = async () => {
  const session = start([], ["--simulator"], { PATH: process.env.PATH ?? "", PVE_READONLY: "false" })
  await initialize(session)
  const { tools } = (await session.request("tools/list")) as {
    tools: ReadonlyArray<{ name: string; description?: string; inputSchema: unknown }>
  }
  await session.close()
  const sizeOf = (t: (typeof tools)[number]) =>
    Buffer.byteLength(JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema }))
  const issue9 = tools.filter((t) => issue9ToolNames.has(t.name))
  return {
    tools: tools.length,
    bytes: tools.reduce((sum, t) => sum + sizeOf(t), 0),
    issue9Tools: issue9.length,
    issue9Bytes: issue9.reduce((sum, t) => sum + sizeOf(t), 0)
  }
}

interface ListedTool {
  readonly name: string
  readonly description?: string
  readonly inputSchema?: unknown
}

/** What a model's context pays for the tool list of one configuration: all of it, and name + description + input. */
const toolListBytes = async (env: Record<string, string>) => {
  const session = start([], ["--simulator"], { PATH: process.env.PATH ?? "", ...env })
  await initialize(session)
  const { tools } = (await session.request("tools/list")) as { tools: ReadonlyArray<ListedTool> }
  await session.close()
  const core = tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }))
  return { count: tools.length, bytes: JSON.stringify(tools).length, coreBytes: JSON.stringify(core).length }
}

/** tools/list bytes for every preset and for each toolset alone (writes on, so each toolset shows all its tools). */
const contextFigures = async () => {
  const presets: Array<readonly [string, Record<string, string>]> = [
    ["read-only (default)", {}],
    ["all (PVE_READONLY=false)", { PVE_READONLY: "false" }],
    ["dynamic at start (PVE_TOOLSETS=dynamic)", { PVE_TOOLSETS: "dynamic", PVE_READONLY: "false" }],
    // only toolsets that hold tools: naming another stops the server
    ...knownServerTools.toolsets.map((set) => [`toolset ${set}`, { PVE_TOOLSETS: set, PVE_READONLY: "false" }] as const)
  ]
  const lines: Array<string> = []
  for (const [label, env] of presets) {
    const figures = await toolListBytes(env)
    lines.push(
      `  ${label}: ${figures.count} tools, ${figures.bytes} bytes (name + description + inputSchema: ${figures.coreBytes})`
    )
  }
  return lines
}

const nodeMs = await baselineNodeMs()
const floorStart = await startupMs([], [], { PATH: process.env.PATH ?? "" }, floorBin)
const live = await startupMs(recommendedNodeFlags, [], liveEnv)
const liveBare = await startupMs([], [], liveEnv)
const simulated = await startupMs(recommendedNodeFlags, ["--simulator"], { PATH: process.env.PATH ?? "" })
const size = bundle()
const rssRuns = Number(process.env.BENCH_RSS_RUNS ?? 5)
const rss: number[] = []
const rssBare: number[] = []
for (let i = 0; i < rssRuns; i++) {
  rss.push(await rssAfterCalls(recommendedNodeFlags, 100))
  rssBare.push(await rssAfterCalls([], 100))
}
const simMs = await simStartMs()
const callRuns = Number(process.env.BENCH_CALLS ?? 200)
const perCall = await perCallMs(callRuns)
const listed = await toolsListBytes()
const context = await contextFigures()

const launch = `node ${recommendedNodeFlags.join(" ")} dist/proxmox-mcp.js`
console.log(`node itself (spawn of an empty script): median ${nodeMs.toFixed(0)} ms`)
console.log(
  `spawn -> tools/list answered, live config, ${launch}: median ${median(live).toFixed(0)} ms of ${runs} (target <= 200 ms; ${(median(live) / nodeMs).toFixed(1)}x bare node)`
)
console.log(`  the same without V8 flags: median ${median(liveBare).toFixed(0)} ms of ${runs}`)
console.log(
  `  floor, a one-tool server on the same SDK: median ${median(floorStart).toFixed(0)} ms (this server: ${(median(live) / median(floorStart)).toFixed(2)}x the floor)`
)
console.log(`spawn -> tools/list answered, --simulator: median ${median(simulated).toFixed(0)} ms of ${runs}`)
console.log(
  `tools/list, every tool enabled, name + description + inputSchema: issue 9's ${listed.issue9Tools} tools ${(listed.issue9Bytes / 1024).toFixed(1)} KiB (target <= 20 KiB), all ${listed.tools} tools ${(listed.bytes / 1024).toFixed(1)} KiB (target <= 30 KiB)`
)
console.log(
  `bundle: ${size.files} JS files, ${size.kib.toFixed(0)} KiB in all; the server's own chunk (main-*.js) ${size.mainKib.toFixed(0)} KiB`
)
console.log(
  `peak RSS after 100 tool calls (live server, simulator over HTTP), ${launch}: median ${median(rss).toFixed(1)} MiB of ${rssRuns}, max ${Math.max(...rss).toFixed(1)} (target <= 85 MiB)`
)
console.log(
  `  the same without V8 flags (V8 grows its young generation to 16 MiB): median ${median(rssBare).toFixed(1)} MiB of ${rssRuns}`
)
console.log(`npm run sim: first stdout line after median ${simMs.toFixed(0)} ms of 5 (target < 1000 ms)`)
console.log(
  `one pve_guest_status call with node (simulator over HTTP), ${launch}: median ${perCall.status.toFixed(2)} ms of ${callRuns}; ${(perCall.status / perCall.floorMs).toFixed(1)}x the floor's tool call (${perCall.floorMs.toFixed(2)} ms), ${(perCall.status / perCall.getMs).toFixed(1)}x a direct GET of the same path (${perCall.getMs.toFixed(2)} ms)`
)
console.log(
  `  the same by vmid alone (a /cluster/resources lookup first): median ${perCall.byVmid.toFixed(2)} ms (${(perCall.byVmid / perCall.floorMs).toFixed(1)}x the floor)`
)
console.log("tools/list size (what the model's context pays for the list):")
for (const line of context) console.log(line)
