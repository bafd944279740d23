// The processes the suite measures: the built server and the floor (a one-tool server on the same SDK), spawned
// over stdio and driven by a bare JSON-RPC client; the simulator served over loopback HTTP.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { type JsonRpcChild, spawnJsonRpc } from "../jsonRpcChild.js"
import { comparedNodeFlags } from "../launchFlags.js"

const root = join(import.meta.dirname, "../..")
export const serverBin = join(root, "dist/proxmox-mcp.js")
export const floorBin = join(root, "scripts/benchFloorServer.mjs")
export const relayBin = join(root, "scripts/benchRelayServer.mjs")

/** How the server is launched: bare `node` (how every client config, npx, plugins and Docker start it) or with two V8 flags. */
export const launches = { bare: [] as ReadonlyArray<string>, flags: comparedNodeFlags } as const
export type Launch = keyof typeof launches

const pathOnly = () => ({ PATH: process.env.PATH ?? "" })

/** A live configuration that is never contacted (start-up does not reach Proxmox). */
export const unreachableEnv = {
  PROXMOX_HOST: "https://pve.invalid:8006",
  PROXMOX_TOKEN_ID: "bench@pve!bench",
  PROXMOX_TOKEN_SECRET: "00000000-0000-0000-0000-000000000000"
}

export const initialize = async (session: JsonRpcChild) => {
  await session.request("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "bench", version: "1" }
  })
  session.notify("notifications/initialized")
}

export const spawnServer = (launch: Launch, env: Record<string, string>) =>
  spawnJsonRpc([...launches[launch], serverBin], { ...pathOnly(), ...env })

export const spawnFloor = () => spawnJsonRpc([floorBin], pathOnly())

/** The floor's SDK server whose one tool sends one GET of `url` (what any server reading Proxmox must at least do). */
export const spawnRelay = (url: string, authorization: string) =>
  spawnJsonRpc([relayBin], { ...pathOnly(), BENCH_RELAY_URL: url, BENCH_RELAY_AUTHORIZATION: authorization })

/** The floor's one tool call. */
export const floorCall = (floor: JsonRpcChild) => floor.request("tools/call", { name: "ping", arguments: {} })

/** Peak (VmHWM) and current (VmRSS) resident memory of a process, MiB. */
export const rssMiB = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN)
  return { peak: kib("VmHWM") / 1024, current: kib("VmRSS") / 1024 }
}

/** A JSON-RPC answer that is an error, or a tool result marked isError. */
export const isFailure = (answer: unknown) => {
  const a = answer as { code?: unknown; isError?: unknown } | undefined
  return a === undefined || a.code !== undefined || a.isError === true
}

/** The server on a simulator of `size`, initialized; both closed by `close`. */
export const serverOnSimulator = async (
  launch: Launch,
  size: "small" | "large" = "small",
  env: Record<string, string> = {}
) => {
  const sim: RunningSimServer = await startSimServer({ port: 0, simulator: { size } })
  const session = spawnServer(launch, { ...sim.serverEnv, ...env })
  await initialize(session)
  return {
    sim,
    session,
    close: async () => {
      await session.close()
      await sim.close()
    }
  }
}
