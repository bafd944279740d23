/**
 * MCP over HTTP end to end: the built server spawned with --transport streamable-http (and sse), real SDK clients
 * of both generations over loopback sockets, against the simulator served over HTTP.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import {
  connectHttp,
  type HttpFlavour,
  type HttpServerProcess,
  runToExit,
  startHttpServerProcess
} from "../support/httpServer.js"
import {
  type ClientGeneration,
  type ConnectedClient,
  EXPECTED_PROTOCOL,
  type ToolResult,
  textOf
} from "../support/mcpClient.js"

const ALICE = "alice-0123456789abcdef0123456789"
const BOB = "bob-fedcba9876543210fedcba98765"

const tokensFile = () => {
  const file = join(mkdtempSync(join(tmpdir(), "pmcp-http-")), "tokens")
  writeFileSync(file, `# who  token\nalice ${ALICE}\nbob ${BOB}\n`, { mode: 0o600 })
  return file
}

const serverEnv = (sim: RunningSimServer, extra: Record<string, string> = {}) => ({
  ...sim.serverEnv,
  PVE_READONLY: "false",
  PROXMOX_REQUEST_TIMEOUT_MS: "3000",
  PVE_TASK_TIMEOUT_MS: "20000",
  LOG_LEVEL: "debug",
  ...extra
})

const guestsOf = (result: ToolResult) =>
  (result.structuredContent as { guests: Array<{ vmid: number; node: string; status: string; template: boolean }> })
    .guests

const waitFor = async (check: () => boolean, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not reached in time")
    await new Promise((r) => setTimeout(r, 20))
  }
}

const CASES: ReadonlyArray<[string, ClientGeneration, HttpFlavour]> = [
  ["streamable HTTP, v2 client (2026-07-28, stateless)", "v2", "streamable-http"],
  ["streamable HTTP, v1 client (2025-11-25, session)", "v1", "streamable-http"],
  ["legacy HTTP+SSE, v1 client", "v1", "sse"]
]

describe.each(CASES)("%s", (_, generation, flavour) => {
  let sim: RunningSimServer
  let server: HttpServerProcess
  let auditFile: string
  let client: ConnectedClient
  let elicited: string[]

  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    auditFile = join(mkdtempSync(join(tmpdir(), "pmcp-http-audit-")), "audit.jsonl")
    server = await startHttpServerProcess(
      serverEnv(sim, { MCP_AUTH_TOKENS_FILE: tokensFile(), PVE_AUDIT_LOG: auditFile }),
      ["--transport", flavour]
    )
    elicited = []
    client = await connectHttp(generation, server.url, {
      token: ALICE,
      flavour,
      onElicit: (request) => {
        elicited.push(request.message)
        return { action: "accept", content: { confirm: true } }
      }
    })
  })

  afterAll(async () => {
    await client?.client.close()
    await server?.stop()
    await sim?.close()
  })

  it("negotiates its protocol generation", () => {
    if (flavour === "streamable-http") expect(client.protocolVersion).toBe(EXPECTED_PROTOCOL[generation])
    else expect(client.protocolVersion).toBeDefined()
  })

  it("lists the tools and answers read calls", async () => {
    const names = (await client.listTools()).map((t) => t.name)
    expect(names).toContain("pve_guest_stop")
    const version = await client.callTool("pve_version", {})
    expect(version.isError).toBeFalsy()
    expect(textOf(version)).toMatch(/^Proxmox VE \d/)
  })

  it("runs a destructive call once the person confirmed it, and the audit log says who called", async () => {
    const running = guestsOf(await client.callTool("pve_list_guests", { status: "running", type: "qemu" }))[0]!
    elicited.length = 0
    const result = await client.callTool("pve_guest_stop", { vmid: running.vmid })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(elicited).toHaveLength(1)
    expect(elicited[0]).toContain(`/qemu/${running.vmid}/status/stop`)
    const lines = readFileSync(auditFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    const stops = lines.filter((l) => l.event === "pve_request" && l.path.endsWith(`/${running.vmid}/status/stop`))
    expect(stops.map((l) => [l.outcome, l.who])).toEqual([
      ["awaiting-confirmation", "alice"],
      ["ok", "alice"]
    ])
  })

  it("sends progress while it waits for a task", async () => {
    const stopped = guestsOf(await client.callTool("pve_list_guests", { type: "qemu", status: "stopped" })).find(
      (g) => !g.template
    )!
    const progress: string[] = []
    const result = await client.callTool(
      "pve_guest_start",
      { vmid: stopped.vmid },
      { onProgress: (p) => progress.push(p.message ?? "") }
    )
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(progress.length).toBeGreaterThan(0)
  })

  it("cancels a call when the client cancels: the task is no longer polled, and the server answers on", async () => {
    const stopped = guestsOf(await client.callTool("pve_list_guests", { type: "qemu", status: "stopped" })).find(
      (g) => !g.template
    )!
    sim.sim.faults.hangNextTask()
    sim.sim.clearRequests()
    const abort = new AbortController()
    const pending = client
      .callTool("pve_guest_start", { vmid: stopped.vmid }, { signal: abort.signal })
      .catch((e: unknown) => e)
    const polls = () => sim.sim.requests.filter((r) => r.path.endsWith("/status")).length
    await waitFor(() => polls() >= 2)
    abort.abort()
    await pending
    await new Promise((r) => setTimeout(r, 300))
    const seen = polls()
    const version = await client.callTool("pve_version", {})
    expect(version.isError).toBeFalsy()
    await new Promise((r) => setTimeout(r, 1500))
    expect(polls()).toBe(seen)
  })
})

describe("bearer tokens over streamable HTTP", () => {
  let sim: RunningSimServer
  let server: HttpServerProcess
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    server = await startHttpServerProcess(serverEnv(sim, { MCP_AUTH_TOKEN: ALICE }))
  })
  afterAll(async () => {
    await server?.stop()
    await sim?.close()
  })

  const initialize = (headers: Record<string, string>) =>
    fetch(server.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
      })
    })

  it("answers 401 with a Bearer challenge without a token and with a wrong one", async () => {
    for (const headers of [{}, { Authorization: `Bearer ${BOB}` }, { Authorization: "Basic YWxpY2U6eA==" }]) {
      const response = await initialize(headers)
      expect(response.status).toBe(401)
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /)
    }
  })

  it.each<ClientGeneration>(["v2", "v1"])("serves the right token (%s client)", async (generation) => {
    const client = await connectHttp(generation, server.url, { token: ALICE })
    try {
      expect((await client.callTool("pve_version", {})).isError).toBeFalsy()
    } finally {
      await client.client.close()
    }
    expect(server.stderr()).not.toContain(ALICE)
  })
})

describe("refusing to listen on the network without authentication", () => {
  it("exits 2 with the fix, for a non-loopback MCP_HOST and no token", async () => {
    const { code, stderr } = await runToExit({ MCP_HOST: "0.0.0.0" }, ["--simulator", "--transport", "streamable-http"])
    expect(code).toBe(2)
    expect(stderr).toContain("MCP_HOST")
    expect(stderr).toContain("no authentication is set")
    expect(stderr).toContain("fix: set MCP_AUTH_TOKEN")
  })
})
