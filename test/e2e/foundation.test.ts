import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../../sim/Simulator.js"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import {
  type Connection,
  connect,
  EXPECTED_PROTOCOL,
  GENERATIONS,
  type ToolResult,
  textOf
} from "../support/mcpClient.js"

const FIRST_TOOLS = [
  "pve_version",
  "pve_cluster_status",
  "pve_list_nodes",
  "pve_node_status",
  "pve_cluster_resources",
  "pve_list_guests",
  "pve_guest_status",
  "pve_guest_config",
  "pve_task_status",
  "pve_guest_start",
  "pve_guest_shutdown",
  "pve_guest_stop"
]

const LIMITED_TOKEN = { id: "auditor@pve!mcp", secret: "0d6f1a52-7f0e-4a4b-9b55-3c1d2e3f4a5b" }

const serverEnv = (sim: RunningSimServer, token = { id: SIM_TOKEN_ID, secret: SIM_TOKEN_SECRET }) => ({
  PROXMOX_HOST: sim.url,
  PVE_ALLOW_INSECURE_HTTP: "true",
  PROXMOX_TOKEN_ID: token.id,
  PROXMOX_TOKEN_SECRET: token.secret,
  PVE_READONLY: "false",
  // generous, so a loaded CI machine never times out a normal request; the timeout test delays past it
  PROXMOX_REQUEST_TIMEOUT_MS: "3000",
  PVE_TASK_TIMEOUT_MS: "20000",
  LOG_LEVEL: "debug"
})

const guestsOf = (result: ToolResult) =>
  (
    result.structuredContent as {
      guests: Array<{ vmid: number; node: string; status: string; template: boolean; type: string }>
    }
  ).guests

const waitFor = async (check: () => boolean, timeoutMs = 5_000) => {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not reached in time")
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.each(GENERATIONS)("stdio server with the %s client", (generation) => {
  let sim: RunningSimServer
  let conn: Connection
  const outputs: string[] = []
  const call = async (name: string, args: Record<string, unknown>, options = {}) => {
    const result = await conn.callTool(name, args, options)
    outputs.push(JSON.stringify(result))
    return result
  }

  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    conn = await connect(generation, { env: serverEnv(sim) })
  })

  afterAll(async () => {
    await conn?.close()
    await sim?.close()
  })

  it("negotiates its protocol generation", () => {
    expect(conn.protocolVersion).toBe(EXPECTED_PROTOCOL[generation])
  })

  it("lists every tool with input and output JSON Schema and all four annotations", async () => {
    const tools = await conn.listTools()
    const names = tools.map((t) => t.name)
    for (const name of FIRST_TOOLS) expect(names).toContain(name)
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe("object")
      expect(tool.outputSchema?.type, tool.name).toBe("object")
      expect(JSON.stringify(tool.inputSchema), tool.name).not.toContain("$ref")
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"]) {
        expect(typeof tool.annotations?.[hint], `${tool.name} ${hint}`).toBe("boolean")
      }
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(20)
    }
  })

  it("answers read calls with structured content and text", async () => {
    const version = await call("pve_version", {})
    expect(version.isError).toBeFalsy()
    expect(version.structuredContent).toMatchObject({ release: expect.any(String) })
    expect(textOf(version)).toMatch(/^Proxmox VE \d/)

    const status = await call("pve_cluster_status", {})
    expect((status.structuredContent as { entries: unknown[] }).entries.length).toBeGreaterThan(1)

    const guests = guestsOf(await call("pve_list_guests", {}))
    expect(guests.some((g) => g.type === "qemu")).toBe(true)
    expect(guests.some((g) => g.type === "lxc")).toBe(true)

    const vm = guests.find((g) => g.type === "qemu")!
    const config = await call("pve_guest_config", { vmid: vm.vmid })
    expect(config.structuredContent).toMatchObject({ vmid: vm.vmid, node: vm.node, type: "qemu" })

    const node = await call("pve_node_status", { node: vm.node })
    expect(node.structuredContent).toMatchObject({ pveversion: expect.stringContaining("pve-manager") })
  })

  it("starts a VM, waits for the task, reports the outcome, and sends progress when asked", async () => {
    const vm = guestsOf(await call("pve_list_guests", { type: "qemu", status: "stopped" })).find((g) => !g.template)!
    const progress: string[] = []
    const result = await call(
      "pve_guest_start",
      { vmid: vm.vmid },
      { onProgress: (p: { message?: string }) => progress.push(p.message ?? "") }
    )
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(result.structuredContent).toMatchObject({
      vmid: vm.vmid,
      action: "start",
      exitStatus: "OK",
      statusAfter: "running"
    })
    expect(progress.length).toBeGreaterThan(0)

    const upid = (result.structuredContent as { upid: string }).upid
    const task = await call("pve_task_status", { upid })
    expect(task.structuredContent).toMatchObject({ task: { status: "stopped", exitstatus: "OK" }, succeeded: true })
  })

  it("reports a failed task as isError with the exit status and the log tail", async () => {
    const running = guestsOf(await call("pve_list_guests", { type: "qemu", status: "running" }))[0]!
    const result = await call("pve_guest_start", { vmid: running.vmid })
    expect(result.isError).toBe(true)
    const text = textOf(result)
    expect(text).toContain(`exit status "VM ${running.vmid} already running"`)
    expect(text).toContain(`TASK ERROR: VM ${running.vmid} already running`)
    expect(result._meta?.["proxmox-mcp/error"]).toMatchObject({ _tag: "TaskFailed" })
  })

  it("reports a timeout", async () => {
    const vm = guestsOf(await call("pve_list_guests", { type: "qemu" }))[0]!
    sim.sim.faults.add({ method: "GET", path: /\/status\/current$/, delayMs: 8_000, times: 1 })
    const result = await call("pve_guest_status", { vmid: vm.vmid, node: vm.node })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/no answer within 3000 ms/)
    sim.sim.faults.clear()
  })

  it("interrupts the handler when the client cancels: no request is sent afterwards", async () => {
    const vm = guestsOf(await call("pve_list_guests", { type: "qemu", status: "stopped" })).find((g) => !g.template)!
    sim.sim.faults.hangNextTask()
    sim.sim.clearRequests()
    const abort = new AbortController()
    const pending = conn
      .callTool("pve_guest_start", { vmid: vm.vmid }, { signal: abort.signal })
      .catch((e: unknown) => e)
    await waitFor(() => sim.sim.requests.filter((r) => r.path.endsWith("/status")).length >= 2)
    abort.abort()
    await pending
    await new Promise((r) => setTimeout(r, 300))
    const seen = sim.sim.requests.length
    await new Promise((r) => setTimeout(r, 2_500))
    expect(sim.sim.requests.length).toBe(seen)
    expect(conn.stderr()).toMatch(/pve_guest_start/)
  })

  it("names the missing privilege and the pveum line on a 403", async () => {
    sim.sim.addToken({
      tokenid: LIMITED_TOKEN.id,
      secret: LIMITED_TOKEN.secret,
      acl: [{ path: "/", privs: ["VM.Audit", "Sys.Audit"], propagate: true }]
    })
    const limited = await connect(generation, { env: serverEnv(sim, LIMITED_TOKEN) })
    try {
      const vm = guestsOf(await limited.callTool("pve_list_guests", { type: "qemu", status: "stopped" })).find(
        (g) => !g.template
      )!
      const result = await limited.callTool("pve_guest_start", { vmid: vm.vmid })
      outputs.push(JSON.stringify(result))
      expect(result.isError).toBe(true)
      const text = textOf(result)
      expect(text).toContain(`VM.PowerMgmt on /vms/${vm.vmid}`)
      expect(text).toContain(`pveum acl modify '/vms/${vm.vmid}' --tokens 'auditor@pve!mcp'`)
      expect(limited.stderr()).not.toContain(LIMITED_TOKEN.secret)
    } finally {
      await limited.close()
    }
  })

  it("refuses an injected node before any request", async () => {
    sim.sim.clearRequests()
    for (const node of ["pve/qemu/101/status/stop#", "../cluster"]) {
      const result = await call("pve_guest_stop", { vmid: 100, node })
      expect(result.isError).toBe(true)
    }
    expect(sim.sim.requests).toHaveLength(0)
  })

  it("never shows the token secret in any output or log line", () => {
    expect(outputs.length).toBeGreaterThan(5)
    for (const output of outputs) expect(output).not.toContain(SIM_TOKEN_SECRET)
    expect(conn.stderr().length).toBeGreaterThan(0)
    expect(conn.stderr()).not.toContain(SIM_TOKEN_SECRET)
  })
})

describe("TLS to PVE", () => {
  it.each(GENERATIONS)(
    "verifies the certificate: trusted with PROXMOX_CA_FILE, refused without (%s client)",
    async (generation) => {
      const sim = await startSimServer({ port: 0, tls: true })
      const env = { PROXMOX_HOST: sim.url, PROXMOX_TOKEN_ID: SIM_TOKEN_ID, PROXMOX_TOKEN_SECRET: SIM_TOKEN_SECRET }
      const trusted = await connect(generation, { env: { ...env, PROXMOX_CA_FILE: sim.caFile! } })
      const untrusted = await connect(generation, { env })
      try {
        const ok = await trusted.callTool("pve_version", {})
        expect(ok.isError, textOf(ok)).toBeFalsy()
        const refused = await untrusted.callTool("pve_version", {})
        expect(refused.isError).toBe(true)
        expect(textOf(refused)).toMatch(/PVE's certificate is (self-signed .*and )?not trusted.*\([A-Z_]+\)/)
        expect(textOf(refused)).toContain("Set PROXMOX_CA_FILE")
        // the trusted server's call and its start-up check; nothing of the untrusted one got through
        const versions = () => sim.sim.requests.filter((r) => r.path === "/version").length
        for (let i = 0; i < 100 && versions() < 2; i++) await new Promise((r) => setTimeout(r, 50))
        expect(versions()).toBe(2)
      } finally {
        await trusted.close()
        await untrusted.close()
        await sim.close()
      }
    }
  )
})

describe("stdout hygiene", () => {
  it("writes nothing but JSON-RPC to stdout, even with debug logging and a bad config (live or --simulator)", async () => {
    const { spawn } = await import("node:child_process")
    const { SERVER_BIN } = await import("../support/mcpClient.js")
    const run = (args: string[], env: Record<string, string>, input: string) =>
      new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
        const child = spawn(process.execPath, [SERVER_BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env } })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
        child.on("exit", (code) => resolve({ stdout, stderr, code }))
        child.stdin.write(input)
        setTimeout(() => child.stdin.end(), 1_500)
      })
    const messages = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "pve_list_guests", arguments: {} } },
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "pve_node_status", arguments: { node: "nope" } } }
    ]
    const ok = await run(
      ["--simulator"],
      { LOG_LEVEL: "debug" },
      messages.map((m) => JSON.stringify(m)).join("\n") + "\n"
    )
    const lines = ok.stdout.split("\n").filter((l) => l !== "")
    expect(lines.length).toBe(3)
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" })
    // LOG_LEVEL applies in --simulator mode too
    expect(ok.stderr).toMatch(/level=DEBUG .*pve_list_guests: ok/)

    const badSimulator = await run(["--simulator"], { LOG_LEVEL: "shouting", PVE_TASK_TIMEOUT_MS: "soon" }, "")
    expect(badSimulator.stdout).toBe("")
    expect(badSimulator.code).toBe(2)
    expect(badSimulator.stderr).toContain("LOG_LEVEL")
    expect(badSimulator.stderr).toContain("PVE_TASK_TIMEOUT_MS")

    const bad = await run([], { PROXMOX_HOST: "pve.example", LOG_LEVEL: "shouting" }, "")
    expect(bad.stdout).toBe("")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("LOG_LEVEL")
    expect(bad.stderr).toContain("PROXMOX_TOKEN_ID")
  })
})
