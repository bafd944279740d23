/**
 * The server as an OAuth 2.1 resource server: JWT access tokens of a local issuer (keys made and tokens signed in
 * the test, JWKS served on loopback), checked for signature, issuer, audience and expiry; the protected-resource
 * metadata; the 401 challenge; a read-only scope refused on a write tool (403 insufficient_scope).
 */
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { connectHttp, type HttpFlavour, type HttpServerProcess, startHttpServerProcess } from "../support/httpServer.js"
import type { ClientGeneration } from "../support/mcpClient.js"
import { startTestIssuer, type TestIssuer } from "../support/testIssuer.js"

const READ = "proxmox:read"
const WRITE = "proxmox:write"

describe("OAuth access tokens", () => {
  let sim: RunningSimServer
  let issuer: TestIssuer
  let server: HttpServerProcess
  let sseServer: HttpServerProcess
  let auditFile: string

  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    issuer = await startTestIssuer(() => server.url)
    auditFile = join(mkdtempSync(join(tmpdir(), "pmcp-oauth-")), "audit.jsonl")
    const env = {
      ...sim.serverEnv,
      PVE_READONLY: "false",
      PVE_CONFIRM: "param",
      PVE_AUDIT_LOG: auditFile,
      MCP_OAUTH_ISSUER: issuer.issuer,
      MCP_OAUTH_READ_SCOPE: READ,
      MCP_OAUTH_WRITE_SCOPE: WRITE
    }
    server = await startHttpServerProcess(env)
    sseServer = await startHttpServerProcess({ ...env, MCP_OAUTH_AUDIENCE: "proxmox-mcp-sse" }, ["--transport", "sse"])
  })
  afterAll(async () => {
    await server?.stop()
    await sseServer?.stop()
    await issuer?.close()
    await sim?.close()
  })

  const initialize = (token: string | undefined) =>
    fetch(server.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` })
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
      })
    })

  it("publishes the protected-resource metadata, bare and path-aware", async () => {
    const origin = new URL(server.url).origin
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const response = await fetch(`${origin}${path}`)
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({
        resource: server.url,
        authorization_servers: [issuer.issuer],
        scopes_supported: [READ, WRITE]
      })
    }
  })

  it("answers 401 with the challenge naming the metadata, without a token", async () => {
    const response = await initialize(undefined)
    expect(response.status).toBe(401)
    const challenge = response.headers.get("www-authenticate") ?? ""
    expect(challenge).toMatch(/^Bearer /)
    expect(challenge).toContain(
      `resource_metadata="${new URL(server.url).origin}/.well-known/oauth-protected-resource/mcp"`
    )
  })

  it.each<[string, () => Promise<string>]>([
    ["expired", () => issuer.sign({ scope: READ, expiresIn: -60 })],
    ["for another audience", () => issuer.sign({ scope: READ, aud: "https://other.example/mcp" })],
    ["from another issuer", () => issuer.sign({ scope: READ, iss: "https://evil.example" })],
    ["signed by a key the issuer does not publish", () => issuer.signWithUnknownKey({ scope: READ })],
    ["without the read scope", () => issuer.sign({ scope: "profile" })]
  ])("refuses a token %s", async (what, token) => {
    const response = await initialize(await token())
    expect(response.status, what).toBe(what === "without the read scope" ? 403 : 401)
    expect(response.headers.get("www-authenticate")).toMatch(
      what === "without the read scope" ? /error="insufficient_scope"/ : /error="invalid_token"/
    )
  })

  it.each<ClientGeneration>(["v2", "v1"])(
    "serves a valid token (%s client), with either published key; the audit log names the subject",
    async (generation) => {
      for (const kid of ["key-1", "key-2"]) {
        const token = await issuer.sign({ sub: `erin-${generation}`, scope: `${READ} ${WRITE}`, kid })
        const client = await connectHttp(generation, server.url, { token })
        try {
          expect((await client.callTool("pve_version", {})).isError).toBeFalsy()
          const running = (await client.callTool("pve_list_guests", { type: "qemu", status: "running" }))
            .structuredContent as { guests: Array<{ vmid: number }> }
          const vmid = running.guests[0]!.vmid
          const stop = await client.callTool("pve_guest_stop", { vmid, confirm: true, confirmVmid: vmid })
          expect(stop.isError).toBeFalsy()
        } finally {
          await client.client.close()
        }
      }
      const lines = readFileSync(auditFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
      expect(lines.filter((l) => l.event === "pve_request" && l.outcome === "ok").map((l) => l.who)).toContain(
        `erin-${generation}`
      )
    }
  )

  it.each<[ClientGeneration, HttpFlavour]>([
    ["v2", "streamable-http"],
    ["v1", "streamable-http"],
    ["v1", "sse"]
  ])(
    "a read-only token (%s client, %s) reads, and a write tool answers 403 insufficient_scope",
    async (generation, flavour) => {
      const target = flavour === "sse" ? sseServer : server
      const token = await issuer.sign({ scope: READ, ...(flavour === "sse" ? { aud: "proxmox-mcp-sse" } : {}) })
      const client = await connectHttp(generation, target.url, { token, flavour })
      try {
        expect((await client.callTool("pve_version", {})).isError).toBeFalsy()
        sim.sim.clearRequests()
        const refused = await client
          .callTool("pve_guest_stop", { vmid: 100, confirm: true, confirmVmid: 100 }, { timeoutMs: 10_000 })
          .then(
            (result) => ({ result }),
            (error: unknown) => ({ error: String(error) })
          )
        expect(refused).toMatchObject({ error: expect.stringMatching(/403|insufficient_scope|scope/i) })
        expect(sim.sim.requests.filter((r) => r.method !== "GET")).toEqual([])
      } finally {
        await client.client.close().catch(() => {})
      }
    }
  )
})
