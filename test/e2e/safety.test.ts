/**
 * The safety policies end to end: the built server (dist/proxmox-mcp.js) spawned over stdio, driven by real MCP
 * clients of both protocol generations, against the simulator served over HTTP (the live code path) or the
 * built-in one (--simulator).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../../sim/Simulator.js"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import {
  type ClientGeneration,
  connect,
  type ElicitationAnswer,
  GENERATIONS,
  SERVER_BIN,
  type ToolResult,
  textOf
} from "../support/mcpClient.js"
import { TOUR_CI_PASSWORD, tour, tourProblems } from "../support/tour.js"

const WRITE_TOOLS = ["pve_guest_start", "pve_guest_shutdown", "pve_guest_stop", "pve_api_call"]
const auditPath = () => join(mkdtempSync(join(tmpdir(), "pmcp-e2e-audit-")), "audit.jsonl")
const errorTag = (r: ToolResult) => (r._meta?.["proxmox-mcp/error"] as { readonly _tag?: string } | undefined)?._tag

const liveEnv = (sim: RunningSimServer, extra: Record<string, string> = {}) => ({
  ...sim.serverEnv,
  PROXMOX_REQUEST_TIMEOUT_MS: "2000",
  PVE_TASK_TIMEOUT_MS: "20000",
  LOG_LEVEL: "debug",
  ...extra
})

const writesOf = (sim: RunningSimServer) =>
  sim.sim.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`)

describe.each(GENERATIONS)("safety, end to end (%s client)", (generation: ClientGeneration) => {
  let sim: RunningSimServer
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
  })
  afterAll(() => sim.close())

  it("is read-only by default: no write tool is listed, and the start line says so", async () => {
    const conn = await connect(generation, { env: liveEnv(sim) })
    try {
      const names = (await conn.listTools()).map((t) => t.name)
      expect(names).toContain("pve_list_guests")
      expect(names).toContain("pve_api_get")
      for (const tool of WRITE_TOOLS) expect(names).not.toContain(tool)
      expect(conn.stderr()).toContain("read-only")
    } finally {
      await conn.close()
    }
  })

  it("filters the tool list by PVE_TOOLSETS and PVE_TOOLS_DENY", async () => {
    const conn = await connect(generation, {
      env: liveEnv(sim, { PVE_READONLY: "false", PVE_TOOLSETS: "lifecycle,api", PVE_TOOLS_DENY: "pve_api_get" })
    })
    try {
      expect((await conn.listTools()).map((t) => t.name).sort()).toEqual([
        "pve_api_call",
        "pve_api_describe",
        "pve_guest_shutdown",
        "pve_guest_start",
        "pve_guest_stop",
        "pve_task_stop"
      ])
    } finally {
      await conn.close()
    }
  })

  it.each<[string, ElicitationAnswer, boolean]>([
    ["accepts", { action: "accept", content: { confirm: true } }, true],
    ["declines", { action: "decline" }, false],
    ["cancels", { action: "cancel" }, false]
  ])("asks the person before a destructive call; the person %s", async (_, answer, runs) => {
    const messages: string[] = []
    const conn = await connect(generation, {
      env: liveEnv(sim, { PVE_READONLY: "false" }),
      onElicit: (request) => {
        messages.push(request.message)
        return answer
      }
    })
    try {
      const running = (await conn.callTool("pve_list_guests", { status: "running", type: "qemu" }))
        .structuredContent as {
        guests: Array<{ vmid: number; node: string }>
      }
      const guest = running.guests[0]!
      sim.sim.clearRequests()
      const result = await conn.callTool("pve_guest_stop", { vmid: guest.vmid, confirm: true, confirmVmid: guest.vmid })
      const stop = `POST /nodes/${guest.node}/qemu/${guest.vmid}/status/stop`
      expect(messages).toHaveLength(1)
      expect(messages[0]).toContain(stop)
      if (runs) {
        expect(result.isError, textOf(result)).toBeFalsy()
        expect(writesOf(sim)).toEqual([stop])
      } else {
        expect(result.isError).toBe(true)
        expect(errorTag(result)).toBe("ConfirmationRequired")
        expect(textOf(result)).toMatch(answer.action === "decline" ? /declined/ : /cancelled/)
        expect(writesOf(sim)).toEqual([])
      }
    } finally {
      await conn.close()
    }
  })

  it("a host without elicitation gets the confirm-and-echo fallback", async () => {
    const conn = await connect(generation, { env: liveEnv(sim, { PVE_READONLY: "false" }) })
    try {
      const guests = (await conn.callTool("pve_list_guests", { status: "running", type: "qemu" }))
        .structuredContent as {
        guests: Array<{ vmid: number }>
      }
      const vmid = guests.guests[0]!.vmid
      sim.sim.clearRequests()
      const unconfirmed = await conn.callTool("pve_guest_stop", { vmid })
      expect(unconfirmed.isError).toBe(true)
      expect(textOf(unconfirmed)).toContain(`confirmVmid: ${vmid}`)
      expect(writesOf(sim)).toEqual([])
      const confirmed = await conn.callTool("pve_guest_stop", { vmid, confirm: true, confirmVmid: vmid })
      expect(confirmed.isError, textOf(confirmed)).toBeFalsy()
      expect(writesOf(sim)).toHaveLength(1)
    } finally {
      await conn.close()
    }
  })

  it("dry-run shows the request and sends nothing", async () => {
    const conn = await connect(generation, { env: liveEnv(sim, { PVE_READONLY: "false" }) })
    try {
      sim.sim.clearRequests()
      const result = await conn.callTool("pve_api_call", {
        method: "POST",
        path: "/nodes/pve1/qemu/100/status/reset",
        dryRun: true
      })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({
        dryRun: true,
        requests: [{ method: "POST", path: "/nodes/pve1/qemu/100/status/reset", params: {} }]
      })
      expect(writesOf(sim)).toEqual([])
    } finally {
      await conn.close()
    }
  })

  it("allowlists refuse targets outside them and hide them from lists", async () => {
    const conn = await connect(generation, {
      env: liveEnv(sim, {
        PVE_READONLY: "false",
        PVE_CONFIRM: "param",
        PVE_VMID_ALLOWLIST: "100-101",
        PVE_NODE_ALLOWLIST: "pve1"
      })
    })
    try {
      const guests = (await conn.callTool("pve_list_guests", {})).structuredContent as {
        guests: Array<{ vmid: number }>
      }
      expect(guests.guests.map((g) => g.vmid)).toEqual([100, 101])
      sim.sim.clearRequests()
      const refused = await conn.callTool("pve_guest_stop", { vmid: 105, confirm: true, confirmVmid: 105 })
      expect(errorTag(refused)).toBe("PolicyDenied")
      const generic = await conn.callTool("pve_api_get", { path: "/nodes/pve2/status" })
      expect(errorTag(generic)).toBe("PolicyDenied")
      expect(sim.sim.requests.filter((r) => r.path.includes("pve2") || r.path.includes("/105"))).toEqual([])
    } finally {
      await conn.close()
    }
  })

  it("audits every write as one JSON line to PVE_AUDIT_LOG", async () => {
    const file = auditPath()
    const conn = await connect(generation, {
      env: liveEnv(sim, { PVE_READONLY: "false", PVE_CONFIRM: "param", PVE_AUDIT_LOG: file })
    })
    try {
      await conn.callTool("pve_api_call", {
        method: "PUT",
        path: "/nodes/pve1/qemu/101/config",
        params: { description: "audited", cipassword: "e2e-ci-secret" },
        confirm: true,
        confirmName: "/nodes/pve1/qemu/101/config"
      })
      await conn.callTool("pve_guest_stop", { vmid: 100, dryRun: true })
    } finally {
      await conn.close()
    }
    const entries = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l))
    expect(entries).toMatchObject([
      {
        event: "pve_request",
        tool: "pve_api_call",
        method: "PUT",
        path: "/nodes/pve1/qemu/101/config",
        params: { description: "audited", cipassword: "[redacted]" },
        outcome: "ok"
      },
      { tool: "pve_guest_stop", method: "POST", outcome: "dry-run" }
    ])
  })

  it("audits to stderr when PVE_AUDIT_LOG is unset", async () => {
    const conn = await connect(generation, { env: liveEnv(sim, { PVE_READONLY: "false", PVE_CONFIRM: "param" }) })
    try {
      await conn.callTool("pve_guest_start", { vmid: 104, dryRun: true })
      const line = conn
        .stderr()
        .split("\n")
        .find((l) => l.startsWith('{"event":"pve_request"'))
      expect(JSON.parse(line!)).toMatchObject({
        tool: "pve_guest_start",
        outcome: "dry-run",
        path: "/nodes/pve3/qemu/104/status/start"
      })
    } finally {
      await conn.close()
    }
  })

  it("sweep: no credential in any result, log line or audit line", async () => {
    expect(tourProblems()).toEqual([])
    const file = auditPath()
    const outputs: string[] = []
    const conn = await connect(generation, {
      env: liveEnv(sim, { PVE_READONLY: "false", PVE_AUDIT_LOG: file }),
      onElicit: (request) => {
        outputs.push(request.message)
        return { action: "accept", content: { confirm: true } }
      }
    })
    const call = async (name: string, args: Record<string, unknown>) => {
      const result = await conn.callTool(name, args)
      outputs.push(JSON.stringify(result))
      return result
    }
    try {
      for (const tool of await conn.listTools()) outputs.push(JSON.stringify(tool))
      // every tool of allTools, with the arguments of test/support/tour.ts (cipassword in parameters, /access/ticket)
      await tour(call)
      sim.sim.faults.add({
        path: "/nodes/pve1/status",
        status: 500,
        message: `upstream echoed PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}`,
        times: 1
      })
      await call("pve_node_status", { node: "pve1" })
    } finally {
      await conn.close()
    }
    const everything = [...outputs, conn.stderr(), readFileSync(file, "utf8")].join("\n")
    expect(outputs.length).toBeGreaterThan(20)
    expect(conn.stderr().length).toBeGreaterThan(0)
    expect(everything).not.toContain(SIM_TOKEN_SECRET)
    expect(everything).not.toContain(TOUR_CI_PASSWORD)
    expect(everything).toContain("[redacted]")
  })
})

describe("configuration problems", () => {
  it("refuses to start on unknown toolsets and tools, naming the fix", () => {
    const result = spawnSync(process.execPath, [SERVER_BIN, "--simulator"], {
      env: {
        PATH: process.env.PATH ?? "",
        PVE_TOOLSETS: "core,lifecycel",
        PVE_TOOLS_DENY: "pve_guest_stp",
        PVE_VMID_ALLOWLIST: "100-"
      },
      encoding: "utf8",
      timeout: 20_000
    })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("PVE_TOOLSETS")
    expect(result.stderr).toContain("did you mean lifecycle?")
    expect(result.stderr).toContain("did you mean pve_guest_stop?")
    expect(result.stderr).toContain("PVE_VMID_ALLOWLIST")
    expect(result.stdout).toBe("")
  })

  it("honours the policy variables in --simulator mode", async () => {
    const conn = await connect("v2", {
      args: ["--simulator"],
      env: { PVE_READONLY: "false", PVE_TOOLSETS: "lifecycle" }
    })
    try {
      expect((await conn.listTools()).map((t) => t.name).sort()).toEqual([
        "pve_guest_shutdown",
        "pve_guest_start",
        "pve_guest_stop",
        "pve_task_stop"
      ])
    } finally {
      await conn.close()
    }
  })
})
