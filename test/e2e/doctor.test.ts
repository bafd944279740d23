/**
 * `proxmox-mcp doctor` (the built command) against the simulator over real HTTP(S): a full token, a restricted one
 * (it names what is missing and the pveum lines, and those lines are what makes it pass), a wrong secret, plain HTTP
 * to an HTTPS port and the reverse, a self-signed certificate with and without the CA file; and the server's
 * background check at start, whose one warning line a client sees in its MCP log before its first call.
 */
import { spawn } from "node:child_process"
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { AclEntry } from "../../sim/Simulator.js"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { connectClient, SERVER_BIN } from "../support/mcpClient.js"

interface DoctorRun {
  readonly code: number | null
  readonly stdout: string
}

/** Asynchronously: the simulator answers from this very process. */
const doctor = (env: Record<string, string>): Promise<DoctorRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_BIN, "doctor"], {
      env: { PATH: process.env.PATH ?? "", PROXMOX_REQUEST_TIMEOUT_MS: "5000", ...env },
      cwd: "/",
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
    })
    child.once("error", reject)
    child.once("exit", (code) => resolve({ code, stdout }))
  })

const line = (run: DoctorRun, check: string) =>
  run.stdout.split("\n").find((l) => new RegExp(`^ {2}\\[[^\\]]+\\] ${check} `).test(l)) ?? ""

const AUDITOR = { tokenid: "auditor@pve!mcp", secret: "0d6f1a52-7f0e-4a4b-9b55-3c1d2e3f4a5b" }
// the auditor role, plus Sys.Syslog for the node log that core also reads: everything core needs, nothing that writes
const AUDITOR_ACL: ReadonlyArray<AclEntry> = [{ path: "/", privs: ["PVEAuditor", "Sys.Syslog"], propagate: true }]

describe("proxmox-mcp doctor", () => {
  let secure: RunningSimServer
  let plain: RunningSimServer
  let other: RunningSimServer
  beforeAll(async () => {
    ;[secure, plain, other] = await Promise.all([
      startSimServer({ tls: true, simulator: { size: "tiny" } }),
      startSimServer({ simulator: { size: "tiny" } }),
      startSimServer({ tls: true, simulator: { size: "tiny" } })
    ])
    secure.sim.addToken({ ...AUDITOR, acl: AUDITOR_ACL })
  })
  afterAll(async () => {
    await Promise.all([secure?.close(), plain?.close(), other?.close()])
  })

  it("passes with the full token over verified TLS: version, clock, every served toolset", async () => {
    const run = await doctor({ ...secure.serverEnv, PVE_READONLY: "false" })
    expect(run.stdout).toContain("All checks passed")
    expect(run.code).toBe(0)
    expect(line(run, "TLS")).toContain("certificate verified with PROXMOX_CA_FILE")
    expect(line(run, "credentials")).toContain("accepted (API token root@pam!mcp)")
    expect(line(run, "version")).toMatch(/Proxmox VE \d+\.\d+/)
    expect(line(run, "clock")).toContain("[ok  ]")
    expect(line(run, "toolset core")).toContain("[ok  ]")
    expect(line(run, "toolset lifecycle")).toContain("[ok  ]")
  })

  it("names what a restricted token lacks and the pveum lines; granted as they say, it passes", async () => {
    const env = {
      ...secure.serverEnv,
      PROXMOX_TOKEN_ID: AUDITOR.tokenid,
      PROXMOX_TOKEN_SECRET: AUDITOR.secret,
      PVE_READONLY: "false",
      PVE_TOOLSETS: "core,lifecycle"
    }
    const run = await doctor(env)
    expect(run.code).toBe(1)
    expect(line(run, "toolset core")).toContain("[ok  ]")
    expect(line(run, "toolset lifecycle")).toMatch(
      /\[FAIL\] toolset lifecycle +the token lacks VM\.PowerMgmt on \/vms; /
    )
    expect(line(run, "toolset lifecycle").match(/VM\.Config\.Disk on \/vms(;|$)/g)).toHaveLength(1)
    // the role keeps what the token inherited on /vms (an entry there replaces it) and adds VM.PowerMgmt
    const role = /pveum role add ProxmoxMCP-lifecycle-vms --privs (\S+)/.exec(run.stdout)?.[1]?.split(",") ?? []
    expect(role).toEqual(expect.arrayContaining(["VM.PowerMgmt", "VM.Audit"]))
    expect(run.stdout).toContain(
      "pveum acl modify /vms --users auditor@pve --tokens 'auditor@pve!mcp' --roles ProxmoxMCP-lifecycle-vms"
    )
    // read-only, the lifecycle tools are not served: what they would need is said, and it is no failure
    const readOnly = await doctor({ ...env, PVE_READONLY: "true" })
    expect(readOnly.code).toBe(0)
    expect(line(readOnly, "toolset lifecycle")).toContain("not served (PVE_TOOLSETS / PVE_READONLY)")

    // what the two lines do: that role on /vms (propagated, as pveum acl modify does by default)
    const granted = { tokenid: "granted@pve!mcp", secret: "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b" }
    secure.sim.addToken({
      ...granted,
      acl: [...AUDITOR_ACL, { path: "/vms", privs: role, propagate: true }]
    })
    const after = await doctor({ ...env, PROXMOX_TOKEN_ID: granted.tokenid, PROXMOX_TOKEN_SECRET: granted.secret })
    expect(after.stdout).toContain("All checks passed")
    expect(after.code).toBe(0)
  })

  it("says a wrong secret is rejected, and how to check the token", async () => {
    const run = await doctor({ ...secure.serverEnv, PROXMOX_TOKEN_SECRET: "00000000-0000-4000-8000-000000000000" })
    expect(run.code).toBe(1)
    expect(line(run, "credentials")).toContain(
      "[FAIL] credentials  rejected: wrong token id or secret for root@pam!mcp"
    )
    expect(run.stdout).toContain("pveum user token list root@pam")
    expect(line(run, "privileges")).toContain("needs accepted credentials")
  })

  it("tells plain HTTP to an HTTPS port from HTTPS to a plain-HTTP server", async () => {
    const toTls = await doctor({
      ...secure.serverEnv,
      PROXMOX_HOST: secure.url.replace("https:", "http:"),
      PVE_ALLOW_INSECURE_HTTP: "true"
    })
    expect(toTls.code).toBe(1)
    expect(line(toTls, "connection")).toContain("it probably speaks HTTPS, as PVE does on port 8006; use https://")

    const toPlain = await doctor({
      ...plain.serverEnv,
      PROXMOX_HOST: plain.url.replace("http:", "https:"),
      PVE_ALLOW_INSECURE_HTTP: "false"
    })
    expect(toPlain.code).toBe(1)
    expect(line(toPlain, "TLS")).toContain("the server answered in plain HTTP, not HTTPS")
  })

  it("explains a self-signed certificate and how to fetch the cluster CA; a CA file of another CA is named", async () => {
    const { PROXMOX_CA_FILE: _ca, ...withoutCa } = secure.serverEnv
    const run = await doctor(withoutCa)
    expect(run.code).toBe(1)
    expect(line(run, "TLS")).toContain("PVE's certificate is self-signed")
    expect(line(run, "TLS")).toContain("issued to pve-simulator")
    expect(run.stdout).toContain("scp root@127.0.0.1:/etc/pve/pve-root-ca.pem .")
    expect(run.stdout).toContain("PROXMOX_CA_FILE=$PWD/pve-root-ca.pem")

    const wrongCa = await doctor({ ...secure.serverEnv, PROXMOX_CA_FILE: other.caFile! })
    expect(wrongCa.code).toBe(1)
    expect(line(wrongCa, "TLS")).toContain(`it is not signed by the CA in PROXMOX_CA_FILE (${other.caFile})`)
  })

  it("says when the host name does not resolve", async () => {
    const run = await doctor({ ...secure.serverEnv, PROXMOX_HOST: "https://no-such-node.invalid:8006" })
    expect(run.code).toBe(1)
    expect(line(run, "DNS")).toContain("no-such-node.invalid does not resolve")
  })

  it("reports a configuration problem as a failed check, exit 1", async () => {
    const run = await doctor({ PROXMOX_TOKEN_ID: "mcp@pve!mcp", PROXMOX_TOKEN_SECRET: "x" })
    expect(run.code).toBe(1)
    expect(line(run, "PROXMOX_HOST")).toContain("[FAIL] PROXMOX_HOST  not set")
  })
})

describe("the check at server start", () => {
  let sim: RunningSimServer
  beforeAll(async () => {
    sim = await startSimServer({ tls: true, simulator: { size: "tiny" } })
  })
  afterAll(() => sim?.close())

  it("does not delay the handshake and logs one warning line when the credentials are wrong", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [SERVER_BIN],
      env: { PATH: process.env.PATH ?? "", ...sim.serverEnv, PROXMOX_TOKEN_SECRET: "wrong" },
      stderr: "pipe"
    })
    let stderr = ""
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    const client = await connectClient("v2", transport, { name: "startup-check" })
    try {
      expect((await client.listTools()).length).toBeGreaterThan(0)
      const deadline = Date.now() + 15_000
      while (!stderr.includes("level=WARN") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      const warnings = stderr.split("\n").filter((l) => l.includes("level=WARN"))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(`Proxmox at ${sim.url}/api2/json is not usable: Proxmox rejected the credentials`)
      expect(warnings[0]).toContain("Run `proxmox-mcp doctor` for a full check.")
      expect(stderr).not.toContain("wrong")
    } finally {
      await client.client.close()
    }
  })

  it("logs nothing but its debug line when all is well", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [SERVER_BIN],
      env: { PATH: process.env.PATH ?? "", ...sim.serverEnv, LOG_LEVEL: "debug" },
      stderr: "pipe"
    })
    let stderr = ""
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    const client = await connectClient("v2", transport, { name: "startup-check" })
    try {
      await client.listTools()
      const deadline = Date.now() + 15_000
      while (!stderr.includes("the credentials work") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(stderr).toContain("answered; the credentials work")
      expect(stderr).not.toContain("level=WARN")
    } finally {
      await client.client.close()
    }
  })
})
