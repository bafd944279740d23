import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { type ConfigInvalid, loadPveConfigFrom } from "../../src/config/PveConfig.js"

const load = (env: Record<string, string>) => Effect.runPromise(loadPveConfigFrom(env))
const problems = (env: Record<string, string>) =>
  Effect.runPromise(Effect.flip(loadPveConfigFrom(env))).then((e: ConfigInvalid) => e.problems)

const token = { PROXMOX_TOKEN_ID: "mcp@pve!mcp", PROXMOX_TOKEN_SECRET: "5f0a7c3e-1111-2222-3333-444455556666" }

describe("PveConfig", () => {
  it.each([
    ["pve.example.com", "https://pve.example.com:8006/api2/json"],
    ["pve.example.com:8443", "https://pve.example.com:8443/api2/json"],
    ["https://10.0.0.5:8006", "https://10.0.0.5:8006/api2/json"],
    ["https://10.0.0.5:8006/api2/json", "https://10.0.0.5:8006/api2/json"],
    ["https://10.0.0.5:8006/api2/json/", "https://10.0.0.5:8006/api2/json"],
    ["https://pve.example.com:443", "https://pve.example.com/api2/json"]
  ])("normalises host %s", async (host, baseUrl) => {
    expect((await load({ PROXMOX_HOST: host, ...token })).baseUrl).toBe(baseUrl)
  })

  it("accepts the PVE_* spelling of every variable", async () => {
    const config = await load({
      PVE_BASE_URL: "https://pve:8006",
      PVE_API_TOKEN_ID: "mcp@pve!mcp",
      PVE_API_TOKEN_SECRET: "s3cret",
      PVE_VERIFY_SSL: "false",
      PVE_TASK_TIMEOUT_MS: "1000"
    })
    expect(config.auth).toMatchObject({ _tag: "Token", tokenId: "mcp@pve!mcp" })
    expect(config.tls.verify).toBe(false)
    expect(config.taskTimeoutMs).toBe(1000)
  })

  it("keeps secrets Redacted", async () => {
    const config = await load({ PROXMOX_HOST: "pve", ...token })
    expect(config.auth._tag).toBe("Token")
    if (config.auth._tag === "Token") {
      expect(Redacted.value(config.auth.secret)).toBe(token.PROXMOX_TOKEN_SECRET)
      expect(String(config.auth.secret)).not.toContain(token.PROXMOX_TOKEN_SECRET)
      expect(JSON.stringify(config)).not.toContain(token.PROXMOX_TOKEN_SECRET)
    }
  })

  it("uses ticket login with a username and password", async () => {
    const config = await load({ PROXMOX_HOST: "pve", PROXMOX_USERNAME: "root@pam", PROXMOX_PASSWORD: "pw" })
    expect(config.auth).toMatchObject({ _tag: "Ticket", username: "root@pam" })
  })

  it("verifies TLS by default and has the documented timeouts", async () => {
    const config = await load({ PROXMOX_HOST: "pve", ...token })
    expect(config.tls).toEqual({ verify: true, caFile: undefined })
    expect(config.requestTimeoutMs).toBe(30_000)
    expect(config.taskTimeoutMs).toBe(600_000)
    expect(config.maxResponseBytes).toBe(16 * 1024 * 1024)
  })

  it("waits up to 50 s and leaves cancelled tasks running by default; PVE_WAIT_MAX_MS and PVE_CANCEL_STOPS_TASK change it", async () => {
    expect(await load({ PROXMOX_HOST: "pve", ...token })).toMatchObject({ waitMaxMs: 50_000, cancelStopsTask: false })
    expect(
      await load({ PROXMOX_HOST: "pve", ...token, PVE_WAIT_MAX_MS: "25000", PVE_CANCEL_STOPS_TASK: "true" })
    ).toMatchObject({ waitMaxMs: 25_000, cancelStopsTask: true })
    expect(
      await problems({ PROXMOX_HOST: "pve", ...token, PVE_WAIT_MAX_MS: "soon", PVE_CANCEL_STOPS_TASK: "maybe" })
    ).toEqual([
      expect.objectContaining({ variable: "PVE_WAIT_MAX_MS", fix: expect.stringContaining("e.g. 50000") }),
      expect.objectContaining({
        variable: "PVE_CANCEL_STOPS_TASK",
        fix: "set PVE_CANCEL_STOPS_TASK=true or PVE_CANCEL_STOPS_TASK=false"
      })
    ])
  })

  it("reads PVE_MAX_RESPONSE_BYTES as a whole number of bytes, at least 64 KiB", async () => {
    expect((await load({ PROXMOX_HOST: "pve", ...token, PVE_MAX_RESPONSE_BYTES: "67108864" })).maxResponseBytes).toBe(
      64 * 1024 * 1024
    )
    for (const bad of ["32M", "1024", "-1", "100000.5"]) {
      const found = await problems({ PROXMOX_HOST: "pve", ...token, PVE_MAX_RESPONSE_BYTES: bad })
      expect(found.map((p) => p.variable)).toEqual(["PVE_MAX_RESPONSE_BYTES"])
      expect(found[0]!.fix).toContain("16777216 (16 MiB)")
    }
  })

  it("refuses plain http unless PVE_ALLOW_INSECURE_HTTP is set", async () => {
    expect((await problems({ PROXMOX_HOST: "http://pve:8006", ...token })).map((p) => p.variable)).toEqual([
      "PROXMOX_HOST"
    ])
    expect((await load({ PROXMOX_HOST: "http://pve:8006", PVE_ALLOW_INSECURE_HTTP: "true", ...token })).baseUrl).toBe(
      "http://pve:8006/api2/json"
    )
  })

  it("reports every problem at once, each with a fix", async () => {
    const found = await problems({
      PROXMOX_HOST: "ftp://pve",
      PROXMOX_TOKEN_ID: "not-a-token",
      PROXMOX_REQUEST_TIMEOUT_MS: "soon",
      PROXMOX_INSECURE_TLS: "maybe",
      PROXMOX_CA_FILE: "/nonexistent/ca.pem",
      LOG_LEVEL: "loud"
    })
    expect(found.map((p) => p.variable).sort()).toEqual(
      [
        "LOG_LEVEL",
        "PROXMOX_CA_FILE",
        "PROXMOX_HOST",
        "PROXMOX_INSECURE_TLS",
        "PROXMOX_REQUEST_TIMEOUT_MS",
        "PROXMOX_TOKEN_ID",
        "PROXMOX_TOKEN_SECRET"
      ].sort()
    )
    for (const p of found) expect(p.fix.length).toBeGreaterThan(5)
  })

  it.each([
    ["mcp@pve", "there is no !tokenname after the user"],
    ["mcp!token", "there is no @realm before the !"],
    ["@pve!mcp", 'the user "" is empty'],
    ["mcp@1pve!mcp", 'the realm "1pve" must start with a letter'],
    ["mcp@pve!b", 'the token name "b" must start with a letter and be at least 2'],
    ["mcp@pve!my token", 'the token name "my token" must start with a letter']
  ])("says which part of the token id %s is wrong", async (tokenId, why) => {
    const [problem] = await problems({ PROXMOX_HOST: "pve", ...token, PROXMOX_TOKEN_ID: tokenId })
    expect(problem?.variable).toBe("PROXMOX_TOKEN_ID")
    expect(problem?.problem).toContain(`"${tokenId}" is not of the form user@realm!tokenname: ${why}`)
  })

  it("says what is missing when nothing is set", async () => {
    const found = await problems({})
    expect(found.map((p) => p.variable)).toEqual(["PROXMOX_HOST", "PROXMOX_TOKEN_ID"])
  })

  it("refuses two spellings with different values", async () => {
    const found = await problems({ PROXMOX_HOST: "a", PVE_BASE_URL: "b", ...token })
    expect(found[0]?.variable).toBe("PROXMOX_HOST / PVE_BASE_URL")
  })

  it("never puts a secret into a problem report", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        loadPveConfigFrom({ PROXMOX_HOST: "http://pve", PROXMOX_TOKEN_ID: "bad", PROXMOX_TOKEN_SECRET: "TOPSECRET-42" })
      )
    )
    expect(error.message).not.toContain("TOPSECRET-42")
  })
})
