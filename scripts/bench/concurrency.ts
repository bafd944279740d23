// Concurrency: 100 parallel calls over one stdio session (beside the floor doing the same), and 50 HTTP sessions
// of the streamable-http transport calling at once: throughput, p99, errors.
import { spawn } from "node:child_process"
import { startSimServer } from "../../sim/server.js"
import { floorCall, initialize, isFailure, launches, serverBin, serverOnSimulator, spawnFloor } from "./servers.js"
import { p99, type Row, row } from "./stats.js"

interface Burst {
  readonly perSecond: number
  readonly p99: number
  readonly failures: number
}

/** `count` calls started at once; each one's latency, and calls per second over the whole burst. */
const burst = async (count: number, call: (i: number) => Promise<unknown>): Promise<Burst> => {
  const t0 = performance.now()
  const outcomes = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const start = performance.now()
      const answer = await call(i).catch((error: unknown) => ({ code: String(error) }))
      return { ms: performance.now() - start, failed: isFailure(answer) }
    })
  )
  const wall = performance.now() - t0
  return {
    perSecond: (count / wall) * 1000,
    p99: p99(outcomes.map((o) => o.ms)),
    failures: outcomes.filter((o) => o.failed).length
  }
}

/** A minimal streamable-HTTP MCP client: POSTs JSON-RPC, reads a JSON or an SSE answer. */
const httpSession = (url: string) => {
  let sessionId: string | undefined
  let nextId = 1
  const post = async (message: object) => {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
        ...(sessionId ? { "mcp-session-id": sessionId } : {})
      },
      body: JSON.stringify({ jsonrpc: "2.0", ...message })
    })
    sessionId ??= response.headers.get("mcp-session-id") ?? undefined
    const text = await response.text()
    if (response.status >= 400) return { code: response.status }
    if (text === "") return {}
    const json = (response.headers.get("content-type") ?? "").includes("text/event-stream")
      ? text
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => JSON.parse(l.slice(5)) as { id?: number; result?: unknown; error?: unknown })
          .find((m) => m.id !== undefined)
      : (JSON.parse(text) as { result?: unknown; error?: unknown })
    return json?.result ?? json?.error
  }
  return {
    initialize: async () => {
      await post({
        id: nextId++,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } }
      })
      await post({ method: "notifications/initialized" })
    },
    call: (name: string, args: object) =>
      post({ id: nextId++, method: "tools/call", params: { name, arguments: args } })
  }
}

const overHttp = async (sessions: number, callsEach: number) => {
  const sim = await startSimServer({ port: 0, simulator: { size: "small" } })
  const child = spawn(process.execPath, [...launches.bare, serverBin], {
    env: {
      PATH: process.env.PATH ?? "",
      ...sim.serverEnv,
      MCP_TRANSPORT: "streamable-http",
      MCP_PORT: "0",
      MCP_RATE_LIMIT: "0"
    },
    stdio: ["ignore", "ignore", "pipe"]
  })
  const url = await new Promise<string>((resolve, reject) => {
    let log = ""
    child.stderr.on("data", (chunk: Buffer) => {
      log += chunk.toString("utf8")
      const found = / at (http:\/\/[^\s,]+)/.exec(log)
      if (found) resolve(found[1]!)
    })
    child.once("exit", () => reject(new Error(`the HTTP server stopped: ${log}`)))
  })
  const guest = [...sim.sim.model.guests.values()].find((g) => g.config.template === undefined)!
  const clients = Array.from({ length: sessions }, () => httpSession(url))
  await Promise.all(clients.map((c) => c.initialize()))
  const result = await burst(sessions * callsEach, (i) =>
    clients[i % sessions]!.call("pve_guest_status", { vmid: guest.vmid, node: guest.node })
  )
  child.kill()
  await new Promise((resolve) => child.once("exit", resolve))
  await sim.close()
  return result
}

export const concurrencyRows = async (
  parallel: number,
  sessions: number,
  callsEach: number
): Promise<ReadonlyArray<Row>> => {
  const floorSession = spawnFloor()
  await initialize(floorSession)
  await burst(parallel, () => floorCall(floorSession))
  const floor = await burst(parallel, () => floorCall(floorSession))
  await floorSession.close()
  const server = await serverOnSimulator("bare")
  const guest = [...server.sim.sim.model.guests.values()].find((g) => g.config.template === undefined)!
  const status = () =>
    server.session.request("tools/call", {
      name: "pve_guest_status",
      arguments: { vmid: guest.vmid, node: guest.node }
    })
  await burst(parallel, status)
  const stdio = await burst(parallel, status)
  await server.close()
  const http = await overHttp(sessions, callsEach)
  const section = "concurrency"
  const failures = stdio.failures + http.failures
  return [
    row({
      section,
      figure: `floor: ${parallel} parallel calls, one stdio session, throughput`,
      value: floor.perSecond,
      unit: "/s"
    }),
    row({
      section,
      figure: `${parallel} parallel pve_guest_status, one stdio session, throughput`,
      value: stdio.perSecond,
      unit: "/s",
      floor: floor.perSecond
    }),
    row({
      section,
      figure: `${parallel} parallel pve_guest_status, one stdio session, p99`,
      value: stdio.p99,
      unit: "ms",
      floor: floor.p99
    }),
    row({
      section,
      figure: `${sessions} HTTP sessions x ${callsEach} calls at once, throughput`,
      value: http.perSecond,
      unit: "/s",
      floor: floor.perSecond
    }),
    row({
      section,
      figure: `${sessions} HTTP sessions x ${callsEach} calls at once, p99`,
      value: http.p99,
      unit: "ms",
      floor: floor.p99
    }),
    row({ section, figure: "failed calls (stdio + HTTP)", value: failures, unit: "", target: "0", met: failures === 0 })
  ]
}
