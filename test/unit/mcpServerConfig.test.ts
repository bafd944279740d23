import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Redacted } from "effect"
import { loadMcpServerConfigFrom } from "../../src/config/McpServerConfig.js"
import { staticTokenVerifier } from "../../src/mcp/transports/bearer.js"
import { makeRateLimiter } from "../../src/mcp/transports/rateLimit.js"

const load = (env: Record<string, string>, flag?: string) =>
  Effect.runSync(Effect.either(loadMcpServerConfigFrom(env, flag)))
const problemsOf = (env: Record<string, string>, flag?: string) => {
  const result = load(env, flag)
  return Either.isLeft(result) ? result.left.problems : []
}
const TOKEN = "0123456789abcdef0123456789abcdef"

describe("MCP server config", () => {
  it("defaults to stdio on 127.0.0.1:8000/mcp with loopback host names allowed", () => {
    const config = Either.getOrThrow(load({}))
    expect(config).toMatchObject({ transport: "stdio", host: "127.0.0.1", port: 8000, path: "/mcp", tokens: [] })
    expect(config.allowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]"])
  })

  it("takes --transport over MCP_TRANSPORT and refuses an unknown one", () => {
    expect(Either.getOrThrow(load({ MCP_TRANSPORT: "sse" }, "streamable-http")).transport).toBe("streamable-http")
    expect(Either.getOrThrow(load({ MCP_TRANSPORT: "sse" })).path).toBe("/sse")
    expect(problemsOf({}, "websocket")).toEqual([expect.objectContaining({ variable: "--transport" })])
  })

  it("refuses a network address without authentication, with the fix; a token, OAuth or the override admit it", () => {
    const network = { MCP_TRANSPORT: "streamable-http", MCP_HOST: "0.0.0.0" }
    const [problem, ...rest] = problemsOf(network)
    expect(rest).toEqual([])
    expect(problem).toMatchObject({ variable: "MCP_HOST", fix: expect.stringContaining("MCP_AUTH_TOKEN") })
    expect(problemsOf({ ...network, MCP_AUTH_TOKEN: TOKEN })).toEqual([])
    const oauth = { MCP_OAUTH_ISSUER: "https://auth.example.com", MCP_PUBLIC_URL: "https://mcp.example.com/mcp" }
    expect(problemsOf({ ...network, ...oauth })).toEqual([])
    expect(problemsOf({ ...network, MCP_ALLOW_UNAUTHENTICATED: "true" })).toEqual([])
    // an OAuth resource listening on every address cannot know its own URL
    expect(problemsOf({ ...network, MCP_OAUTH_ISSUER: oauth.MCP_OAUTH_ISSUER }).map((p) => p.variable)).toEqual([
      "MCP_PUBLIC_URL"
    ])
    expect(problemsOf({ MCP_HOST: "0.0.0.0" })).toEqual([])
  })

  it("reads a tokens file of `name token` lines and names a bad line without echoing it", () => {
    const dir = mkdtempSync(join(tmpdir(), "pmcp-tokens-"))
    const good = join(dir, "good")
    writeFileSync(good, `# clients\nalice ${TOKEN}\n\nbob  ${TOKEN.replace("0", "9")}\n`)
    const config = Either.getOrThrow(load({ MCP_AUTH_TOKENS_FILE: good }))
    expect(config.tokens.map((t) => t.name)).toEqual(["alice", "bob"])
    expect(Redacted.value(config.tokens[0]!.token)).toBe(TOKEN)
    const bad = join(dir, "bad")
    writeFileSync(bad, `alice ${TOKEN}\nsecret-without-a-name\nalice ${TOKEN}x\ncarol short\n`)
    const problems = problemsOf({ MCP_AUTH_TOKENS_FILE: bad })
    expect(problems.map((p) => p.problem)).toEqual([
      `${bad} line 2 is not "name token"`,
      `${bad} line 3: the name alice is used twice`,
      `${bad} line 4: the token of carol is shorter than 16 characters`
    ])
    expect(JSON.stringify(problems)).not.toContain("secret-without-a-name")
  })

  it("checks the state key, numbers and URLs", () => {
    expect(problemsOf({ MCP_STATE_KEY: "abcd" }).map((p) => p.variable)).toEqual(["MCP_STATE_KEY"])
    const key = Either.getOrThrow(load({ MCP_STATE_KEY: "ab".repeat(32) })).stateKey
    expect(key === undefined ? 0 : Redacted.value(key).length).toBe(32)
    expect(
      problemsOf({ MCP_PORT: "70000", MCP_MAX_SESSIONS: "0", MCP_PUBLIC_URL: "ftp://x" }).map((p) => p.variable)
    ).toEqual(["MCP_PORT", "MCP_PUBLIC_URL", "MCP_MAX_SESSIONS"])
  })
})

describe("static bearer tokens", () => {
  const verify = staticTokenVerifier([{ name: "alice", token: Redacted.make(TOKEN) }], [])
  it("names the caller of a known token and knows no other, whatever its length", () => {
    expect(verify(TOKEN)?.clientId).toBe("alice")
    for (const wrong of ["", TOKEN.slice(0, -1), `${TOKEN}0`, TOKEN.toUpperCase()])
      expect(verify(wrong)).toBeUndefined()
  })
})

describe("rate limiter", () => {
  it("admits a minute's worth at once, then one request per 60/limit seconds, per client", () => {
    let now = 0
    const limiter = makeRateLimiter(6, () => now)
    for (let i = 0; i < 6; i++) expect(limiter.take("a")).toBeUndefined()
    expect(limiter.take("a")).toBe(10)
    expect(limiter.take("b")).toBeUndefined()
    now += 10_000
    expect(limiter.take("a")).toBeUndefined()
    expect(limiter.take("a")).toBeGreaterThan(0)
  })
})
