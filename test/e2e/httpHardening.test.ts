/**
 * The HTTP service's gates and its shutdown, end to end against the built server: DNS-rebinding protection, body
 * limit, session limit and expiry, rate limit, many concurrent clients, SIGTERM during a call, and on stdio a client
 * that closes stdin before its answers came.
 */
import { spawn } from "node:child_process"
import { request as httpRequest } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { connectHttp, type HttpServerProcess, startHttpServerProcess } from "../support/httpServer.js"
import { type ClientGeneration, SERVER_BIN, type ToolResult, textOf } from "../support/mcpClient.js"

const TOKEN = "carol-0123456789abcdef0123456789"

const serverEnv = (sim: RunningSimServer, extra: Record<string, string> = {}) => ({
  ...sim.serverEnv,
  PVE_READONLY: "false",
  PROXMOX_REQUEST_TIMEOUT_MS: "5000",
  PVE_TASK_TIMEOUT_MS: "20000",
  MCP_AUTH_TOKEN: TOKEN,
  ...extra
})

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
})

/** A raw POST with exactly these headers (fetch would not let a test set Host). */
const post = (url: string, headers: Record<string, string>, body = INITIALIZE) =>
  new Promise<{ status: number; body: string; retryAfter: string | undefined }>((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          Authorization: `Bearer ${TOKEN}`,
          ...headers
        }
      },
      (res) => {
        let text = ""
        res.on("data", (c: Buffer) => {
          text += c.toString("utf8")
        })
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            retryAfter: res.headers["retry-after"] as string | undefined
          })
        )
      }
    )
    req.on("error", reject)
    req.end(body)
  })

const waitFor = async (check: () => boolean, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not reached in time")
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe("HTTP gates", () => {
  let sim: RunningSimServer
  let server: HttpServerProcess
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    server = await startHttpServerProcess(
      serverEnv(sim, { MCP_MAX_BODY_BYTES: "65536", MCP_MAX_SESSIONS: "3", MCP_RATE_LIMIT: "0" })
    )
  })
  afterAll(async () => {
    await server?.stop()
    await sim?.close()
  })

  it("answers a request for another Host name 403 (DNS rebinding)", async () => {
    const port = new URL(server.url).port
    expect((await post(server.url, { Host: `evil.example:${port}` })).status).toBe(403)
    expect((await post(server.url, { Host: `localhost:${port}` })).status).toBe(200)
  })

  it("answers a request from a foreign browser Origin 403", async () => {
    expect((await post(server.url, { Origin: "https://evil.example" })).status).toBe(403)
    expect((await post(server.url, { Origin: "http://localhost:3000" })).status).toBe(200)
  })

  it("answers an oversized body 413, declared or not", async () => {
    const huge = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: { pad: "x".repeat(70_000) } })
    expect((await post(server.url, {}, huge)).status).toBe(413)
    expect((await post(server.url, { "Transfer-Encoding": "chunked" }, huge)).status).toBe(413)
  })

  it("keeps at most MCP_MAX_SESSIONS 2025 sessions; a stateless 2026 client is not limited by them", async () => {
    const sessions = await Promise.all([1, 2, 3, 4].map(() => post(server.url, {})))
    // the two accepted initialize calls of the tests above opened sessions too: 3 in all, then 503
    expect(sessions.map((s) => s.status).sort()).toEqual([200, 503, 503, 503])
    const modern = await connectHttp("v2", server.url, { token: TOKEN })
    try {
      expect((await modern.callTool("pve_version", {})).isError).toBeFalsy()
    } finally {
      await modern.client.close()
    }
  })
})

describe("session expiry and rate limit", () => {
  let sim: RunningSimServer
  let server: HttpServerProcess
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    server = await startHttpServerProcess(serverEnv(sim, { MCP_SESSION_IDLE_MS: "1000", MCP_RATE_LIMIT: "20" }))
  })
  afterAll(async () => {
    await server?.stop()
    await sim?.close()
  })

  it("closes a session nobody used for MCP_SESSION_IDLE_MS: its id is then unknown (404)", async () => {
    const client = await connectHttp("v1", server.url, { token: TOKEN })
    const transport = (client.client as unknown as { transport: { sessionId?: string } }).transport
    const sessionId = transport.sessionId!
    expect(sessionId).toBeDefined()
    const ping = () =>
      post(
        server.url,
        { "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-11-25" },
        '{"jsonrpc":"2.0","id":9,"method":"ping"}'
      )
    let status = (await ping()).status
    expect(status).toBe(200)
    // the sweeper runs every second; poll until it has closed the idle session
    const until = Date.now() + 15_000
    while (status === 200 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1200))
      status = (await ping()).status
    }
    expect(status).toBe(404)
    await client.client.close().catch(() => {})
  })

  it("answers 429 with Retry-After once a caller is over MCP_RATE_LIMIT a minute", async () => {
    const answers: Array<{ status: number; retryAfter: string | undefined }> = []
    for (let i = 0; i < 30; i++) answers.push(await post(server.url, {}, '{"jsonrpc":"2.0","id":3,"method":"ping"}'))
    const first = answers.findIndex((a) => a.status === 429)
    // 20 a minute, some of them spent by the test above: never more than 20 admitted (plus what refilled meanwhile)
    expect(first).toBeGreaterThan(0)
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(21)
    expect(Number(answers[first]!.retryAfter)).toBeGreaterThanOrEqual(1)
  })
})

describe("many clients at once", () => {
  let sim: RunningSimServer
  let server: HttpServerProcess
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    server = await startHttpServerProcess(serverEnv(sim, { MCP_RATE_LIMIT: "0" }))
  })
  afterAll(async () => {
    await server?.stop()
    await sim?.close()
  })

  it("serves 50 concurrent sessions (25 of each generation) calling tools, with zero errors", async () => {
    const generations: ClientGeneration[] = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? "v2" : "v1"))
    const clients = await Promise.all(generations.map((g) => connectHttp(g, server.url, { token: TOKEN })))
    try {
      const results = await Promise.all(
        clients.map(async (c) => {
          const out: ToolResult[] = []
          out.push(await c.callTool("pve_version", {}))
          out.push(await c.callTool("pve_list_guests", {}))
          out.push(await c.callTool("pve_cluster_status", {}))
          return out
        })
      )
      const failures = results.flat().filter((r) => r.isError)
      expect(failures.map(textOf)).toEqual([])
      expect(results.flat()).toHaveLength(150)
    } finally {
      await Promise.all(clients.map((c) => c.client.close().catch(() => {})))
    }
  })
})

describe("graceful shutdown", () => {
  let sim: RunningSimServer
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
  })
  afterAll(() => sim?.close())

  it.each<ClientGeneration>(["v2", "v1"])(
    "SIGTERM during a call (%s client): the call is answered, then the process exits 0",
    async (generation) => {
      const server = await startHttpServerProcess(serverEnv(sim))
      const client = await connectHttp(generation, server.url, { token: TOKEN })
      const vm = (
        (await client.callTool("pve_list_guests", { type: "qemu" })).structuredContent as {
          guests: Array<{ vmid: number; node: string }>
        }
      ).guests[0]!
      sim.sim.clearRequests()
      sim.sim.faults.add({ method: "GET", path: /\/status\/current$/, delayMs: 1500, times: 1 })
      const call = client.callTool("pve_guest_status", { vmid: vm.vmid, node: vm.node })
      await waitFor(() => sim.sim.requests.some((r) => r.path.endsWith("/status/current")))
      const exited = server.stop("SIGTERM")
      const result = await call
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(await exited).toBe(0)
      await client.client.close().catch(() => {})
    }
  )

  it("SIGTERM with a call that outlives the grace period: it is cancelled, the process exits 0", async () => {
    const server = await startHttpServerProcess(serverEnv(sim, { MCP_SHUTDOWN_GRACE_MS: "500" }))
    const client = await connectHttp("v2", server.url, { token: TOKEN })
    const stopped = (
      (await client.callTool("pve_list_guests", { type: "qemu", status: "stopped" })).structuredContent as {
        guests: Array<{ vmid: number; template: boolean }>
      }
    ).guests.find((g) => !g.template)!
    sim.sim.faults.hangNextTask()
    sim.sim.clearRequests()
    const call = client.callTool("pve_guest_start", { vmid: stopped.vmid }).then(
      (r) => ({ answered: r }),
      (error: unknown) => ({ failed: error })
    )
    await waitFor(() => sim.sim.requests.filter((r) => r.path.endsWith("/status")).length >= 1)
    expect(await server.stop("SIGTERM")).toBe(0)
    const outcome = await call
    // either the cancelled result reached the client or the connection ended: the call does not hang
    if ("answered" in outcome) expect(outcome.answered.isError).toBe(true)
    expect(server.stderr()).toMatch(/cancelling 1 call/)
    await client.client.close().catch(() => {})
  })

  it("on stdio, a client that closes stdin right after its requests still gets every answer, then exit 0", async () => {
    sim.sim.faults.add({ method: "GET", path: /\/version$/, delayMs: 800, times: 1 })
    const child = spawn(process.execPath, [SERVER_BIN], {
      env: { PATH: process.env.PATH ?? "", ...serverEnv(sim), MCP_AUTH_TOKEN: "" },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8")
    })
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
    const lines = [
      INITIALIZE,
      JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "pve_version", arguments: {} } }),
      JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" })
    ]
    child.stdin.end(`${lines.join("\n")}\n`)
    expect(await exited).toBe(0)
    const answers = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id?: number; result?: { content?: Array<{ text: string }> } })
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2, 3])
    expect(answers.find((a) => a.id === 2)?.result?.content?.[0]?.text).toMatch(/^Proxmox VE/)
  })
})
