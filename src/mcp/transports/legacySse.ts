import { randomUUID } from "node:crypto"
import {
  type AuthInfo,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type McpServer,
  parseJSONRPCMessage,
  readRequestBody,
  type Transport
} from "@modelcontextprotocol/server"
import { jsonRpcError, tooManySessions } from "./sessions.js"

/**
 * The HTTP+SSE transport of protocol 2024-11-05, for clients that predate streamable HTTP: `GET <path>` opens an
 * event stream whose first event (`endpoint`) names where to POST messages (`<path>/messages?sessionId=…`); every
 * server message is an SSE `message` event on that stream. SDK v2 ships no server side for it (SDK v1's
 * SSEServerTransport is Node-only and would pull in SDK v1); this is the same framing over web streams, and the
 * McpServer behind it is the SDK's own.
 */
class SseServerTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: Transport["onmessage"]
  readonly sessionId = randomUUID()
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined
  private closed = false
  private readonly encoder = new TextEncoder()
  /** ids of requests from the client not answered yet */
  readonly pending = new Set<string | number>()

  readonly stream = new ReadableStream<Uint8Array>({
    start: (controller) => {
      this.controller = controller
    },
    cancel: () => {
      void this.close()
    }
  })

  constructor(private readonly endpoint: string) {}

  async start() {
    this.write(`event: endpoint\ndata: ${this.endpoint}?sessionId=${this.sessionId}\n\n`)
  }

  private write(frame: string) {
    if (this.closed) return
    try {
      this.controller?.enqueue(this.encoder.encode(frame))
    } catch {
      void this.close()
    }
  }

  deliver(message: JSONRPCMessage, authInfo: AuthInfo | undefined) {
    if ("method" in message && "id" in message) this.pending.add(message.id)
    this.onmessage?.(message, authInfo === undefined ? {} : { authInfo })
  }

  async send(message: JSONRPCMessage) {
    if ("id" in message && !("method" in message) && message.id != null) this.pending.delete(message.id)
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`)
  }

  async close() {
    if (this.closed) return
    this.closed = true
    try {
      this.controller?.close()
    } catch {}
    this.onclose?.()
  }
}

interface SseSession {
  readonly transport: SseServerTransport
  readonly server: McpServer
  readonly owner: string | undefined
  lastUsed: number
}

export interface SseOptions {
  /** the event stream's path; messages are posted to `<path>/messages` */
  readonly path: string
  readonly maxSessions: number
  readonly idleMs: number
  readonly maxBodyBytes: number
  readonly makeServer: () => McpServer
  readonly onerror: (error: Error) => void
  /**
   * The OAuth scope check of a request (step-up, 403 insufficient_scope): streamable HTTP gets it from the SDK's
   * transports; here it runs before the message is delivered.
   */
  readonly scopeCheck?: (
    server: McpServer,
    request: JSONRPCRequest,
    authInfo: AuthInfo | undefined
  ) => Promise<Response | undefined>
}

export class SseSessions {
  private readonly sessions = new Map<string, SseSession>()
  private readonly sweeper: ReturnType<typeof setInterval>

  constructor(private readonly options: SseOptions) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.max(1000, Math.min(options.idleMs / 4, 60_000)))
    this.sweeper.unref()
  }

  get messagesPath() {
    return `${this.options.path === "/" ? "" : this.options.path}/messages`
  }

  /** requests received on any stream and not answered yet */
  get pendingRequests() {
    let n = 0
    for (const s of this.sessions.values()) n += s.transport.pending.size
    return n
  }

  async handle(request: Request, pathname: string, authInfo: AuthInfo | undefined): Promise<Response> {
    if (pathname === this.options.path && request.method === "GET") return this.open(authInfo)
    if (pathname === this.messagesPath && request.method === "POST") return this.post(request, authInfo)
    return new Response("Method not allowed.", { status: 405 })
  }

  private async open(authInfo: AuthInfo | undefined) {
    if (this.sessions.size >= this.options.maxSessions) return tooManySessions(this.options.maxSessions)
    const transport = new SseServerTransport(this.messagesPath)
    const server = this.options.makeServer()
    const session: SseSession = { transport, server, owner: authInfo?.clientId, lastUsed: Date.now() }
    this.sessions.set(transport.sessionId, session)
    transport.onerror = this.options.onerror
    const forget = transport.onclose
    transport.onclose = () => {
      this.sessions.delete(transport.sessionId)
      forget?.()
    }
    await server.connect(transport)
    return new Response(transport.stream, {
      status: 200,
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform" }
    })
  }

  private async post(request: Request, authInfo: AuthInfo | undefined) {
    const id = new URL(request.url).searchParams.get("sessionId")
    const session = id === null ? undefined : this.sessions.get(id)
    if (session === undefined || session.owner !== authInfo?.clientId) {
      return jsonRpcError(404, -32001, "Session not found")
    }
    const body = await readRequestBody(request, this.options.maxBodyBytes)
    if (body.tooLarge) return jsonRpcError(413, -32000, "Payload too large")
    let message: JSONRPCMessage
    try {
      message = parseJSONRPCMessage(JSON.parse(body.text))
    } catch {
      return jsonRpcError(400, -32700, "Parse error: not a JSON-RPC message")
    }
    if (this.options.scopeCheck !== undefined && isJSONRPCRequest(message)) {
      const refused = await this.options.scopeCheck(session.server, message, authInfo)
      if (refused !== undefined) return refused
    }
    session.lastUsed = Date.now()
    session.transport.deliver(message, authInfo)
    return new Response("Accepted", { status: 202 })
  }

  private closeIdle() {
    const cutoff = Date.now() - this.options.idleMs
    for (const session of this.sessions.values()) {
      if (session.transport.pending.size === 0 && session.lastUsed < cutoff) void session.server.close()
    }
  }

  async closeAll() {
    clearInterval(this.sweeper)
    const sessions = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(sessions.map((s) => s.server.close().catch(() => {})))
  }
}
