import { readFileSync } from "node:fs"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { ConfigInvalid, type ConfigProblem, optionalString, readBoolean, readMs } from "./PveConfig.js"

/**
 * How the MCP side is served: the MCP_* variables. stdio needs none of them; the HTTP transports read them all and
 * refuse a configuration that would expose the cluster (a network address without authentication).
 */

export const TRANSPORTS = ["stdio", "streamable-http", "sse"] as const
export type McpTransport = (typeof TRANSPORTS)[number]

/** A bearer token a client presents; `name` is who called, in the audit log. */
export interface NamedToken {
  readonly name: string
  readonly token: Redacted.Redacted<string>
}

/** An external OAuth 2.1 authorization server whose JWT access tokens this server accepts. */
export interface OAuthResourceConfig {
  /** the `iss` of accepted tokens, e.g. https://auth.example.com/realms/pve */
  readonly issuer: string
  /** the `aud` accepted tokens must carry; undefined: this server's public URL */
  readonly audience: string | undefined
  /** where the signing keys are; undefined: from the issuer's metadata (`jwks_uri`) */
  readonly jwksUrl: string | undefined
  /** a scope every token must have; undefined: none required */
  readonly readScope: string | undefined
  /** the scope that admits write and destructive tools; undefined: every valid token may write */
  readonly writeScope: string | undefined
}

export interface McpServerConfigShape {
  readonly transport: McpTransport
  readonly host: string
  readonly port: number
  /** the MCP endpoint's path (streamable HTTP), e.g. /mcp; the legacy SSE transport serves /sse and /messages */
  readonly path: string
  /**
   * the URL clients reach the MCP endpoint at (behind a reverse proxy: the proxy's), the OAuth resource identifier;
   * undefined: the address it listens on
   */
  readonly publicUrl: string | undefined
  readonly tokens: ReadonlyArray<NamedToken>
  readonly oauth: OAuthResourceConfig | undefined
  readonly allowUnauthenticated: boolean
  /** Host header names accepted (DNS-rebinding protection); ["*"]: any */
  readonly allowedHosts: ReadonlyArray<string>
  /** Origin host names accepted from browsers; a request without Origin always passes */
  readonly allowedOrigins: ReadonlyArray<string>
  readonly maxBodyBytes: number
  /** 2025-11-25 sessions (and legacy SSE connections) open at once */
  readonly maxSessions: number
  /** a session nobody used for this long is closed */
  readonly sessionIdleMs: number
  /** requests per minute per client (token name, or address when unauthenticated); 0: unlimited */
  readonly rateLimitPerMinute: number
  /** on SIGTERM/SIGINT, how long calls in flight may take before they are cancelled */
  readonly shutdownGraceMs: number
  /** key of the signed confirmation state; replicas behind one URL must share it. undefined: random per process */
  readonly stateKey: Redacted.Redacted<Uint8Array> | undefined
}

export const LOOPBACK_HOSTNAMES = ["localhost", "127.0.0.1", "[::1]"] as const

export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host)

/** 4 MiB, the SDK's own default: far above any tool call; the stdio transport's 32 MiB covers pve_api_call bulk. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

const readCount = (name: string, fallback: number, min: number, problems: ConfigProblem[]) =>
  Effect.map(optionalString(name), (raw) => {
    if (raw === undefined || raw.trim() === "") return fallback
    const n = Number(raw)
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push({
        variable: name,
        problem: `"${raw}" is not a whole number of at least ${min}`,
        fix: `set ${name} to a whole number, e.g. ${fallback}`
      })
      return fallback
    }
    return n
  })

const list = (raw: string | undefined) =>
  (raw ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "")

/** `name token` per line; blank lines and `#` comments are skipped. */
export const parseTokensFile = (text: string, file: string, problems: ConfigProblem[]): ReadonlyArray<NamedToken> => {
  const tokens: NamedToken[] = []
  const names = new Set<string>()
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim()
    if (trimmed === "" || trimmed.startsWith("#")) return
    const parts = trimmed.split(/\s+/)
    const where = `${file} line ${index + 1}`
    if (parts.length !== 2) {
      // never echo the line: it may hold a token
      problems.push({
        variable: "MCP_AUTH_TOKENS_FILE",
        problem: `${where} is not "name token"`,
        fix: "write one client per line: a name (for the audit log), a space, its token"
      })
      return
    }
    const [name, token] = parts as [string, string]
    if (names.has(name)) {
      problems.push({
        variable: "MCP_AUTH_TOKENS_FILE",
        problem: `${where}: the name ${name} is used twice`,
        fix: "give every client its own name"
      })
    }
    if (token.length < 16) {
      problems.push({
        variable: "MCP_AUTH_TOKENS_FILE",
        problem: `${where}: the token of ${name} is shorter than 16 characters`,
        fix: "use a long random token, e.g. `openssl rand -hex 32`"
      })
    }
    names.add(name)
    tokens.push({ name, token: Redacted.make(token) })
  })
  return tokens
}

const normalisePath = (raw: string | undefined, fallback: string, problems: ConfigProblem[]) => {
  const path = (raw ?? fallback).trim()
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(path) || path.includes("//")) {
    problems.push({ variable: "MCP_PATH", problem: `"${raw}" is not a URL path`, fix: "set MCP_PATH=/mcp" })
    return "/mcp"
  }
  return path.length > 1 ? path.replace(/\/$/, "") : path
}

const urlProblem = (variable: string, raw: string, problems: ConfigProblem[]): string | undefined => {
  try {
    const url = new URL(raw)
    if (url.protocol === "https:" || url.protocol === "http:") return url.href
  } catch {}
  problems.push({ variable, problem: `"${raw}" is not an http(s) URL`, fix: `set ${variable}=https://…` })
  return undefined
}

const decodeKey = (raw: string, problems: ConfigProblem[]): Redacted.Redacted<Uint8Array> | undefined => {
  const text = raw.trim()
  const bytes =
    /^[0-9a-f]+$/i.test(text) && text.length % 2 === 0 ? Buffer.from(text, "hex") : Buffer.from(text, "base64")
  if (bytes.length < 32) {
    problems.push({
      variable: "MCP_STATE_KEY",
      problem: "shorter than 32 bytes",
      fix: "set it to 32 random bytes, hex or base64: `openssl rand -hex 32`; every replica gets the same value"
    })
    return undefined
  }
  return Redacted.make(new Uint8Array(bytes))
}

/** Reads the MCP_* variables; `transportFlag` (from --transport) wins over MCP_TRANSPORT. */
export const loadMcpServerConfig = (transportFlag?: string): Effect.Effect<McpServerConfigShape, ConfigInvalid> =>
  Effect.gen(function* () {
    const problems: ConfigProblem[] = []
    const rawTransport = (transportFlag ?? (yield* optionalString("MCP_TRANSPORT")) ?? "stdio").trim().toLowerCase()
    const transport = (TRANSPORTS as ReadonlyArray<string>).includes(rawTransport)
      ? (rawTransport as McpTransport)
      : undefined
    if (transport === undefined) {
      problems.push({
        variable: transportFlag === undefined ? "MCP_TRANSPORT" : "--transport",
        problem: `"${rawTransport}" is not a transport`,
        fix: `use one of: ${TRANSPORTS.join(", ")}`
      })
    }
    const host = ((yield* optionalString("MCP_HOST")) ?? "127.0.0.1").trim()
    const port = yield* readCount("MCP_PORT", 8000, 0, problems)
    if (port > 65535)
      problems.push({ variable: "MCP_PORT", problem: `${port} is not a port`, fix: "set MCP_PORT=8000" })
    const path = normalisePath(yield* optionalString("MCP_PATH"), transport === "sse" ? "/sse" : "/mcp", problems)

    const tokens: NamedToken[] = []
    const single = yield* optionalString("MCP_AUTH_TOKEN")
    if (single !== undefined && single.trim() !== "") {
      if (single.trim().length < 16) {
        problems.push({
          variable: "MCP_AUTH_TOKEN",
          problem: "shorter than 16 characters",
          fix: "use a long random token, e.g. `openssl rand -hex 32`"
        })
      }
      tokens.push({ name: "token", token: Redacted.make(single.trim()) })
    }
    const tokensFile = yield* optionalString("MCP_AUTH_TOKENS_FILE")
    if (tokensFile !== undefined && tokensFile.trim() !== "") {
      let text: string | undefined
      try {
        text = readFileSync(tokensFile.trim(), "utf8")
      } catch {
        problems.push({
          variable: "MCP_AUTH_TOKENS_FILE",
          problem: `cannot read "${tokensFile}"`,
          fix: "point it at a readable file with one `name token` per line"
        })
      }
      if (text !== undefined) tokens.push(...parseTokensFile(text, tokensFile.trim(), problems))
    }

    const bindsLoopback = isLoopback(host)
    const allowedHostsRaw = list(yield* optionalString("MCP_ALLOWED_HOSTS"))
    const defaultHosts = [
      ...LOOPBACK_HOSTNAMES,
      ...(bindsLoopback || host === "0.0.0.0" || host === "::" ? [] : [host])
    ]
    const allowedHosts = allowedHostsRaw.length > 0 ? allowedHostsRaw : defaultHosts
    const allowedOriginsRaw = list(yield* optionalString("MCP_ALLOWED_ORIGINS"))
    const allowedOrigins = allowedOriginsRaw.length > 0 ? allowedOriginsRaw : allowedHosts.filter((h) => h !== "*")

    const publicRaw = yield* optionalString("MCP_PUBLIC_URL")
    const publicUrl =
      publicRaw === undefined || publicRaw.trim() === ""
        ? undefined
        : urlProblem("MCP_PUBLIC_URL", publicRaw.trim(), problems)

    const issuerRaw = yield* optionalString("MCP_OAUTH_ISSUER")
    let oauth: OAuthResourceConfig | undefined
    if (issuerRaw !== undefined && issuerRaw.trim() !== "") {
      const issuer = issuerRaw.trim()
      urlProblem("MCP_OAUTH_ISSUER", issuer, problems)
      const jwksRaw = yield* optionalString("MCP_OAUTH_JWKS_URL")
      const jwksUrl = jwksRaw === undefined ? undefined : urlProblem("MCP_OAUTH_JWKS_URL", jwksRaw.trim(), problems)
      const audience = (yield* optionalString("MCP_OAUTH_AUDIENCE"))?.trim() || publicUrl
      const readScope = (yield* optionalString("MCP_OAUTH_READ_SCOPE"))?.trim() || undefined
      const writeScope = (yield* optionalString("MCP_OAUTH_WRITE_SCOPE"))?.trim() || undefined
      oauth = { issuer, audience, jwksUrl, readScope, writeScope }
    }

    const allowUnauthenticated = (yield* readBoolean("MCP_ALLOW_UNAUTHENTICATED", problems)) ?? false
    const maxBodyBytes = yield* readCount("MCP_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, problems)
    const maxSessions = yield* readCount("MCP_MAX_SESSIONS", 100, 1, problems)
    const sessionIdleMs = yield* readMs("MCP_SESSION_IDLE_MS", 30 * 60 * 1000, problems)
    const rateLimitPerMinute = yield* readCount("MCP_RATE_LIMIT", 600, 0, problems)
    const shutdownGraceMs = yield* readMs("MCP_SHUTDOWN_GRACE_MS", 10_000, problems)
    const keyRaw = yield* optionalString("MCP_STATE_KEY")
    const stateKey = keyRaw === undefined || keyRaw.trim() === "" ? undefined : decodeKey(keyRaw, problems)

    const overHttp = transport !== undefined && transport !== "stdio"
    if (overHttp && !bindsLoopback && tokens.length === 0 && oauth === undefined && !allowUnauthenticated) {
      problems.push({
        variable: "MCP_HOST",
        problem: `${host} is reachable from the network and no authentication is set: anyone who can connect could operate the cluster`,
        fix: "set MCP_AUTH_TOKEN (or MCP_AUTH_TOKENS_FILE, or MCP_OAUTH_ISSUER), or MCP_HOST=127.0.0.1; MCP_ALLOW_UNAUTHENTICATED=true only when a proxy in front authenticates"
      })
    }

    if (overHttp && oauth !== undefined && publicUrl === undefined && (host === "0.0.0.0" || host === "::")) {
      problems.push({
        variable: "MCP_PUBLIC_URL",
        problem: `not set: with MCP_HOST=${host} the OAuth resource URL (and the tokens' audience) cannot be known`,
        fix: "set MCP_PUBLIC_URL to the URL clients use, e.g. https://mcp.example.com/mcp"
      })
    }

    if (problems.length > 0 || transport === undefined) return yield* new ConfigInvalid({ problems })
    return {
      transport,
      host,
      port,
      path,
      publicUrl,
      tokens,
      oauth,
      allowUnauthenticated,
      allowedHosts,
      allowedOrigins,
      maxBodyBytes,
      maxSessions,
      sessionIdleMs,
      rateLimitPerMinute,
      shutdownGraceMs,
      stateKey
    }
  })

/** From an explicit map (tests, embedding) instead of process.env. */
export const loadMcpServerConfigFrom = (env: Record<string, string>, transportFlag?: string) =>
  loadMcpServerConfig(transportFlag).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )
