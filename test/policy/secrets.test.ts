/**
 * A sweep through every tool, the error paths and the confirmation dialog, with token and with ticket
 * authentication: no credential may appear in any tool result, error, dialog text, log line or audit line.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import type { PveAuthConfig } from "../../src/config/PveConfig.js"
import { makeSecretScrubber, REDACTED, scrubJson } from "../../src/policy/Secrets.js"
import { inProcess } from "../support/inProcess.js"
import type { ToolResult } from "../support/mcpClient.js"
import { TOUR_CI_PASSWORD, tour, tourProblems } from "../support/tour.js"

const TOKEN_ID = "sweep@pve!audit"
const TOKEN_SECRET = "7c1e9a52-3d4b-4e6f-8a90-b1c2d3e4f5a6"
const USER = "sweep@pve"
const PASSWORD = "Correct-Horse-Battery-1729"
const CI_PASSWORD = TOUR_CI_PASSWORD

const sweep = async (auth: PveAuthConfig) => {
  const dialogs: string[] = []
  const server = await inProcess("v2", {
    env: { PVE_READONLY: "false", PVE_CONFIRM: "auto" },
    config: { auth },
    sim: { taskDurationMs: 20 },
    onElicit: (request) => {
      dialogs.push(request.message, JSON.stringify(request.requestedSchema))
      return { action: "accept", content: { confirm: true } }
    }
  })
  const admin = [{ path: "/", privs: ["Administrator"], propagate: true }]
  server.sim.addToken({ tokenid: TOKEN_ID, secret: TOKEN_SECRET, acl: admin })
  server.sim.addUser({ userid: USER, password: PASSWORD, acl: admin })
  const results: ToolResult[] = []
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await server.callTool(name, args)
    results.push(result)
    return result
  }
  try {
    // every tool of allTools, with the arguments of test/support/tour.ts (cipassword in parameters, /access/ticket)
    await tour(call)
    // error paths: an upstream that echoes the credentials back, a dropped connection, a failed task, an expired ticket
    const echoed = auth._tag === "Token" ? `PVEAPIToken=${TOKEN_ID}=${TOKEN_SECRET}` : `password ${PASSWORD}`
    server.sim.faults.add({ path: "/nodes/pve1/status", status: 500, message: `proxy error: ${echoed}`, times: 1 })
    await call("pve_node_status", { node: "pve1" })
    server.sim.faults.add({ path: "/nodes/pve2/status", drop: true, times: 4 })
    await call("pve_node_status", { node: "pve2" })
    server.sim.faults.failNextTask({ exitStatus: `VM 102 start failed: ${echoed}` })
    await call("pve_guest_stop", { vmid: 102 })
    server.sim.faults.expireTickets()
    await call("pve_list_guests", {})
  } finally {
    await server.close()
  }
  // the credentials PVE handed out during the sweep
  const handedOut = new Set<string>()
  for (const request of server.sim.requests) {
    const cookie = /PVEAuthCookie=([^;]+)/.exec(request.headers.cookie ?? "")?.[1]
    if (cookie !== undefined) handedOut.add(decodeURIComponent(cookie))
    const csrf = request.headers.csrfpreventiontoken
    if (csrf !== undefined) handedOut.add(csrf)
  }
  return {
    results,
    everything: [
      ...results.map((r) => JSON.stringify(r)),
      ...dialogs,
      ...server.logs,
      readFileSync(server.auditFile, "utf8")
    ].join("\n"),
    handedOut: [...handedOut],
    logs: server.logs
  }
}

describe("secret hygiene", () => {
  it("tours every tool of allTools, with arguments its input Schema accepts, using each of its arguments", () => {
    expect(tourProblems()).toEqual([])
  })

  it("token authentication: the token secret appears nowhere", async () => {
    const { everything, results, logs } = await sweep({
      _tag: "Token",
      tokenId: TOKEN_ID,
      secret: Redacted.make(TOKEN_SECRET)
    })
    expect(results.length).toBeGreaterThan(20)
    expect(results.some((r) => r.isError)).toBe(true)
    expect(results.filter((r) => !r.isError).length).toBeGreaterThan(12)
    expect(logs.length).toBeGreaterThan(0)
    expect(everything).not.toContain(TOKEN_SECRET)
    expect(everything).not.toContain(encodeURIComponent(TOKEN_SECRET))
    expect(everything).not.toContain(CI_PASSWORD)
    expect(everything).not.toMatch(/PVEAPIToken=[^\s"[]/)
    expect(everything).toContain(REDACTED)
  })

  it("ticket authentication: neither the password nor any ticket or CSRF token appears", async () => {
    const { everything, handedOut } = await sweep({ _tag: "Ticket", username: USER, password: Redacted.make(PASSWORD) })
    expect(handedOut.length).toBeGreaterThanOrEqual(2)
    expect(everything).not.toContain(PASSWORD)
    expect(everything).not.toContain(CI_PASSWORD)
    for (const secret of handedOut) {
      expect(everything).not.toContain(secret)
      expect(everything).not.toContain(encodeURIComponent(secret))
    }
  })
})

describe("secret scrubber", () => {
  const scrub = makeSecretScrubber({ _tag: "Token", tokenId: TOKEN_ID, secret: Redacted.make(TOKEN_SECRET) })

  it.each([
    `Authorization: PVEAPIToken=${TOKEN_ID}=${TOKEN_SECRET}`,
    `Authorization: PVEAPIToken ${TOKEN_ID}=${TOKEN_SECRET}`,
    `secret=${encodeURIComponent(TOKEN_SECRET)}`,
    "Cookie: PVEAuthCookie=PVE%3Aroot%40pam%3A64E10CBA%3A%3AyTMqV7abc%2Bdef%3D%3D",
    "ticket PVE:root@pam:64E10CBA::yTMqV7abc+def/ghi==",
    "CSRFPreventionToken: 64E10CBA:YDNz71IKnE0sWsm1SbV1PGwz3hAyprvygQ7SBkxHVtE"
  ])("removes %s", (line) => {
    const out = scrub(line)
    expect(out).toContain(REDACTED)
    expect(out).not.toContain(TOKEN_SECRET)
    expect(out).not.toMatch(/yTMqV7|YDNz71/)
  })

  it("leaves ordinary text, UPIDs and fingerprints alone", () => {
    for (const line of [
      "UPID:pve1:0006D77B:00548A83:6A4E2CB0:qmclone:1000:mcp@pve!mcp:",
      "9A:3B:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD",
      "stop of qemu 100 on pve1: OK; now stopped"
    ]) {
      expect(scrub(line)).toBe(line)
    }
  })

  it("scrubs every string of a result, copying only what held a secret", () => {
    const clean = { rows: [{ name: "web", tags: ["a", "b"] }, { name: "db" }], total: 2 }
    expect(scrubJson(clean, scrub)).toBe(clean)
    const leaky = {
      first: "kept",
      rows: [{ name: "web" }, { note: `token ${TOKEN_ID}=${TOKEN_SECRET}` }, { name: "db" }],
      list: ["a", `secret=${TOKEN_SECRET}`, "c"],
      n: 1
    }
    const out = scrubJson(leaky, scrub) as typeof leaky
    expect(JSON.stringify(out)).not.toContain(TOKEN_SECRET)
    expect(out.rows[1]!.note).toContain(REDACTED)
    expect(out.list[1]).toContain(REDACTED)
    expect(out).toMatchObject({ first: "kept", n: 1, list: ["a", expect.any(String), "c"] })
    // the parts without a secret are the very same objects; the input is left as it was
    expect(out.rows[0]).toBe(leaky.rows[0])
    expect(out.rows[2]).toBe(leaky.rows[2])
    expect(out).not.toBe(leaky)
    expect(leaky.rows[1]!.note).toContain(TOKEN_SECRET)
  })
})
