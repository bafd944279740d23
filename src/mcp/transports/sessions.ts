import { randomUUID } from "node:crypto"
import {
  type AuthInfo,
  type McpServer,
  type Transport,
  WebStandardStreamableHTTPServerTransport
} from "@modelcontextprotocol/server"

/**
 * 2025-11-25 clients over streamable HTTP keep a session: `initialize` creates one McpServer and one SDK transport
 * (WebStandardStreamableHTTPServerTransport, stateful), both kept in this process's memory under the random
 * `Mcp-Session-Id` the SDK hands out. Later requests carrying that id reach the same server, so a request from the
 * server to the client (elicitation) and the client's answer, cancellations and progress all meet on one connection.
 * A session belongs to the caller that opened it, is closed by DELETE, after `idleMs` without a request, or when
 * the process stops. (Sessions are per process: behind several replicas, 2025 clients need sticky routing on the
 * Mcp-Session-Id header; 2026-07-28 clients need nothing.)
 */

export interface SessionEntry {
  readonly transport: Transport
  readonly server: McpServer
  /** the caller that opened it (token name, OAuth subject); undefined when unauthenticated */
  readonly owner: string | undefined
  lastUsed: number
  /** requests of this session being answered now */
  busy: number
}

export interface SessionOptions {
  readonly maxSessions: number
  readonly idleMs: number
  readonly maxBodyBytes: number
  readonly makeServer: () => McpServer
  readonly onerror: (error: Error) => void
}

export const jsonRpcError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers })

export const tooManySessions = (max: number) =>
  jsonRpcError(503, -32000, `Too many open sessions (${max}); try again later`, { "Retry-After": "5" })

/** Calls `done` once the response body was read to its end or abandoned (a call's SSE stream closes with its answer). */
export const whenBodyDone = (response: Response, done: () => void): Response => {
  if (response.body === null) {
    done()
    return response
  }
  const reader = response.body.getReader()
  let over = false
  const finish = () => {
    if (!over) done()
    over = true
  }
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        const { done: end, value } = await reader.read()
        if (end) {
          finish()
          controller.close()
        } else controller.enqueue(value)
      } catch (error) {
        finish()
        controller.error(error)
      }
    },
    cancel: async (reason) => {
      finish()
      await reader.cancel(reason)
    }
  })
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
}

export class StreamableSessions {
  private readonly sessions = new Map<string, SessionEntry>()
  private readonly sweeper: ReturnType<typeof setInterval>
  /** initialize requests being answered: counted against the limit before their session exists */
  private opening = 0

  constructor(private readonly options: SessionOptions) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.max(1000, Math.min(options.idleMs / 4, 60_000)))
    this.sweeper.unref()
  }

  get size() {
    return this.sessions.size
  }

  async handle(request: Request, authInfo: AuthInfo | undefined): Promise<Response> {
    const id = request.headers.get("mcp-session-id")
    const caller = authInfo?.clientId
    if (id !== null) {
      const entry = this.sessions.get(id)
      // someone else's session id is answered as unknown: whether it exists is not theirs to learn
      if (entry === undefined || entry.owner !== caller) return jsonRpcError(404, -32001, "Session not found")
      return this.serve(entry, request, authInfo)
    }
    if (request.method !== "POST") return jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required")
    if (this.sessions.size + this.opening >= this.options.maxSessions) {
      return tooManySessions(this.options.maxSessions)
    }
    this.opening++
    try {
      return await this.open(request, authInfo)
    } finally {
      this.opening--
    }
  }

  private async open(request: Request, authInfo: AuthInfo | undefined): Promise<Response> {
    const caller = authInfo?.clientId
    const server = this.options.makeServer()
    let entry: SessionEntry | undefined
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.options.maxBodyBytes,
      onsessioninitialized: (sessionId) => {
        entry = { transport, server, owner: caller, lastUsed: Date.now(), busy: 0 }
        this.sessions.set(sessionId, entry)
      },
      onsessionclosed: (sessionId) => {
        this.sessions.delete(sessionId)
      }
    })
    transport.onerror = this.options.onerror
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.sessions.delete(transport.sessionId)
    }
    await server.connect(transport)
    const response = await transport.handleRequest(request, authInfo === undefined ? {} : { authInfo })
    // not an initialize (or a refused one): nothing was kept
    if (entry === undefined) await server.close().catch(() => {})
    return response
  }

  private async serve(entry: SessionEntry, request: Request, authInfo: AuthInfo | undefined) {
    entry.lastUsed = Date.now()
    entry.busy++
    const transport = entry.transport as WebStandardStreamableHTTPServerTransport
    const release = () => {
      entry.busy--
      entry.lastUsed = Date.now()
    }
    try {
      const response = await transport.handleRequest(request, authInfo === undefined ? {} : { authInfo })
      // a GET is the session's standing stream for server messages: open for as long as the session, never busy
      if (request.method === "GET") {
        release()
        return response
      }
      return whenBodyDone(response, release)
    } catch (error) {
      release()
      throw error
    }
  }

  private closeIdle() {
    const cutoff = Date.now() - this.options.idleMs
    for (const [id, entry] of this.sessions) {
      if (entry.busy === 0 && entry.lastUsed < cutoff) {
        this.sessions.delete(id)
        entry.server.close().catch(() => {})
      }
    }
  }

  /** Closes every session (their open streams end; a call still running is cancelled by its server). */
  async closeAll() {
    clearInterval(this.sweeper)
    const entries = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(entries.map((e) => e.server.close().catch(() => {})))
  }
}
