import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import {
  type AuthInfo,
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  createMcpHandler,
  getOAuthProtectedResourceMetadataUrl,
  hostHeaderValidationResponse,
  isLegacyRequest,
  type McpServer,
  OAuthError,
  OAuthErrorCode,
  type OAuthMetadata,
  originValidationResponse,
  type ScopeChallengeHandler,
  verifyBearerToken
} from "@modelcontextprotocol/server"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { McpServerConfigShape } from "../../config/McpServerConfig.js"
import type { ServingOptions } from "../Adapter.js"
import { makeTokenVerifier } from "./bearer.js"
import { SseSessions } from "./legacySse.js"
import { toWebRequest, writeWebResponse } from "./nodeBridge.js"
import { makeRateLimiter } from "./rateLimit.js"
import { jsonRpcError, StreamableSessions } from "./sessions.js"

/**
 * MCP over HTTP, one Node http server:
 *
 *   Host / Origin check (403) → body size by Content-Length (413) → OAuth metadata documents → the MCP path (404
 *   elsewhere) → bearer token or JWT (401 with WWW-Authenticate) → rate limit per caller (429) →
 *     streamable-http: a 2026-07-28 request (it carries its protocol envelope) → createMcpHandler: a fresh McpServer
 *                      for this one request, nothing kept, so any replica can answer (stateless);
 *                      a 2025-era request (isLegacyRequest) → StreamableSessions: a kept session per client;
 *     sse:             the 2024-11-05 HTTP+SSE transport (SseSessions).
 *
 * Shutdown: stop accepting, answer new requests on open connections 503, let the calls in flight finish within the
 * grace period, then cancel what is left (each call ends with its "cancelled" result) and close every session.
 */

export class HttpListenFailed extends Data.TaggedError("HttpListenFailed")<{
  readonly address: string
  readonly reason: string
}> {
  override get message() {
    return `proxmox-mcp cannot listen on ${this.address}: ${this.reason}`
  }
}

export interface HttpServeOptions {
  readonly config: McpServerConfigShape
  /** a fresh McpServer with every tool (makeMcpServer), for one request or one session */
  readonly makeServer: (serving: ServingOptions) => McpServer
  /** one line to the server log (stderr); never given a token */
  readonly log: (line: string) => void
}

export interface RunningHttpServer {
  /** where it listens, e.g. http://127.0.0.1:8000/mcp (the port resolved when 0 was asked for) */
  readonly url: string
  readonly port: number
  /** graceful: see above; resolves when everything is closed */
  readonly shutdown: () => Promise<void>
}

const wellKnownPrefix = "/.well-known/oauth-protected-resource"

export const startHttpServer = async (options: HttpServeOptions): Promise<RunningHttpServer> => {
  const { config } = options
  const base = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}`
  // listen first: with MCP_PORT=0 the address (and so the default resource URL) is known only then
  const server = createServer()
  // no limit of Node's own on a request that waits long for a person's answer; idle sockets go after 65 s
  server.requestTimeout = 0
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(error))
    server.listen(config.port, config.host, () => resolve())
  })
  try {
    return serveOn(server, base, options)
  } catch (error) {
    server.close()
    throw error
  }
}

/** Everything in front of the SDK, on a server that listens already. */
const serveOn = (server: HttpServer, base: string, options: HttpServeOptions): RunningHttpServer => {
  const { config, log } = options
  const serving: ServingOptions = {
    stateKey: config.stateKey === undefined ? undefined : Redacted.value(config.stateKey),
    writeScope: config.oauth?.writeScope
  }
  const makeServer = () => options.makeServer(serving)
  const { port } = server.address() as AddressInfo
  const url = new URL(config.path, `${base}:${port}`).href
  const onerror = (error: Error) => log(`transport error: ${error.message}`)
  const authenticated = config.tokens.length > 0 || config.oauth !== undefined
  const resourceUrl = new URL(config.publicUrl ?? url)
  const verifier = makeTokenVerifier(config.tokens, config.oauth, resourceUrl.href)
  const resourceMetadataUrl = config.oauth === undefined ? undefined : getOAuthProtectedResourceMetadataUrl(resourceUrl)
  const resourceMetadata =
    config.oauth === undefined
      ? undefined
      : buildOAuthProtectedResourceMetadata({
          oauthMetadata: { issuer: config.oauth.issuer } as OAuthMetadata,
          resourceServerUrl: resourceUrl,
          resourceName: "proxmox-mcp",
          scopesSupported: [config.oauth.readScope, config.oauth.writeScope].filter(
            (s): s is string => s !== undefined
          ),
          // the issuer is the operator's choice; https is recommended in the README, not enforced here
          dangerouslyAllowInsecureIssuerUrl: true
        })
  const rateLimiter = makeRateLimiter(config.rateLimitPerMinute)
  const anyHost = config.allowedHosts.includes("*")

  // a fresh server per request: in dynamic mode its toolsets are all on (an enable could not outlive the request)
  const modern = createMcpHandler(() => options.makeServer({ ...serving, stateless: true }), {
    legacy: "reject",
    maxRequestBodySize: config.maxBodyBytes,
    onerror
  })
  const sessions = new StreamableSessions({
    maxSessions: config.maxSessions,
    idleMs: config.sessionIdleMs,
    maxBodyBytes: config.maxBodyBytes,
    makeServer,
    onerror
  })
  const sse =
    config.transport === "sse"
      ? new SseSessions({
          path: config.path,
          maxSessions: config.maxSessions,
          idleMs: config.sessionIdleMs,
          maxBodyBytes: config.maxBodyBytes,
          makeServer,
          onerror,
          ...(serving.writeScope === undefined
            ? {}
            : {
                scopeCheck: async (mcp, message, authInfo) => {
                  // the same per-tool check the SDK's HTTP transports run (McpServer.resolveScopeChallenge)
                  const resolve = (mcp as unknown as { resolveScopeChallenge?: ScopeChallengeHandler })
                    .resolveScopeChallenge
                  if (typeof resolve !== "function") {
                    // fail closed: without the SDK's check no write scope could be enforced here
                    return jsonRpcError(500, -32603, "The scope check is not available in this SDK version")
                  }
                  const challenge = await resolve({ request: message, ...(authInfo === undefined ? {} : { authInfo }) })
                  if (challenge === undefined) return undefined
                  return bearerAuthChallengeResponse(
                    new OAuthError(
                      OAuthErrorCode.InsufficientScope,
                      challenge.errorDescription ?? "Insufficient scope"
                    ),
                    {
                      requiredScopes: [...challenge.scopes],
                      ...(resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl })
                    }
                  )
                }
              })
        })
      : undefined

  const authenticate = async (request: Request): Promise<AuthInfo | Response | undefined> => {
    if (!authenticated) return undefined
    try {
      return await verifyBearerToken(request.headers.get("authorization"), {
        verifier,
        ...(config.oauth?.readScope === undefined ? {} : { requiredScopes: [config.oauth.readScope] }),
        ...(resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl })
      })
    } catch (error) {
      return bearerAuthChallengeResponse(error, {
        ...(resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl }),
        ...(config.oauth?.readScope === undefined ? {} : { requiredScopes: [config.oauth.readScope] })
      })
    }
  }

  const handle = async (request: Request, remote: string): Promise<Response> => {
    const refused =
      (anyHost ? undefined : hostHeaderValidationResponse(request, [...config.allowedHosts])) ??
      originValidationResponse(request, [...config.allowedOrigins])
    if (refused !== undefined) return refused
    const declared = Number(request.headers.get("content-length") ?? "0")
    if (declared > config.maxBodyBytes) return jsonRpcError(413, -32000, "Payload too large")
    const { pathname } = new URL(request.url)
    if (resourceMetadata !== undefined && pathname.startsWith(wellKnownPrefix)) {
      return Response.json(resourceMetadata, { headers: { "Access-Control-Allow-Origin": "*" } })
    }
    const mcpPath =
      sse === undefined ? pathname === config.path : pathname === config.path || pathname === sse.messagesPath
    if (!mcpPath) return new Response("Not found", { status: 404 })
    const auth = await authenticate(request)
    if (auth instanceof Response) return auth
    const retryAfter = rateLimiter.take(auth?.clientId ?? remote)
    if (retryAfter !== undefined) {
      return jsonRpcError(429, -32000, "Too many requests", { "Retry-After": String(retryAfter) })
    }
    if (sse !== undefined) return sse.handle(request, pathname, auth)
    if (await isLegacyRequest(request, undefined, { maxRequestBodySize: config.maxBodyBytes })) {
      return sessions.handle(request, auth)
    }
    return modern.fetch(request, auth === undefined ? {} : { authInfo: auth })
  }

  // the exchanges whose answer is still being written, with the means to cancel each
  const inFlight = new Map<ServerResponse, { readonly abort: AbortController; readonly isCall: boolean }>()
  let draining = false
  const idleWaiters: Array<() => void> = []
  const callsInFlight = () =>
    [...inFlight.values()].filter((e) => e.isCall).length + (sse === undefined ? 0 : sse.pendingRequests)
  const settle = () => {
    if (callsInFlight() > 0) return
    for (const wake of idleWaiters.splice(0)) wake()
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (draining) {
      res.writeHead(503, { "Content-Type": "application/json", Connection: "close", "Retry-After": "1" })
      res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "Server is shutting down" }, id: null }))
      return
    }
    const abort = new AbortController()
    // a GET is a stream for server messages, not a call: shutdown does not wait for it
    inFlight.set(res, { abort, isCall: req.method === "POST" })
    res.once("close", () => {
      if (!res.writableFinished) abort.abort()
      inFlight.delete(res)
      settle()
    })
    const remote = req.socket.remoteAddress ?? "unknown"
    handle(toWebRequest(req, base, abort.signal), remote)
      .then((response) => writeWebResponse(res, response))
      .catch((error: unknown) => {
        log(`HTTP request failed: ${error instanceof Error ? error.message : String(error)}`)
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" })
        res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null }))
      })
  })

  let shutting: Promise<void> | undefined
  const shutdown = () => {
    shutting ??= (async () => {
      draining = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      if (callsInFlight() > 0) {
        log(`shutting down: waiting up to ${config.shutdownGraceMs} ms for ${callsInFlight()} call(s) in flight`)
        const idle = new Promise<void>((resolve) => idleWaiters.push(resolve))
        let timer: ReturnType<typeof setTimeout> | undefined
        const grace = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), config.shutdownGraceMs)
        })
        const outcome = await Promise.race([idle, grace])
        clearTimeout(timer)
        if (outcome === "late") log(`shutting down: cancelling ${callsInFlight()} call(s) still running`)
      }
      // what is left is cancelled: each call ends with its "cancelled" result, each stream is closed
      await Promise.all([modern.close(), sessions.closeAll(), sse?.closeAll()])
      for (const entry of inFlight.values()) entry.abort.abort()
      server.closeAllConnections()
      await closed
    })()
    return shutting
  }
  return { url, port, shutdown }
}

/** The HTTP server as a scoped resource: closing the scope (SIGTERM/SIGINT interrupt runMain) shuts it down. */
export const serveHttp = (options: HttpServeOptions) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => startHttpServer(options),
      catch: (error) =>
        new HttpListenFailed({
          address: `${options.config.host}:${options.config.port}`,
          reason: (error as NodeJS.ErrnoException).code ?? String(error)
        })
    }),
    (running) => Effect.promise(() => running.shutdown())
  )
