import { join } from "node:path"
import { Client as ClientV2 } from "@modelcontextprotocol/client"
import { StdioClientTransport as StdioTransportV2 } from "@modelcontextprotocol/client/stdio"
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport as StdioTransportV1 } from "@modelcontextprotocol/sdk/client/stdio.js"
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js"

/** v2 = a current host (MCP 2026-07-28); v1 = an older host (2025-11-25). Every e2e behaviour runs with both. */
export type ClientGeneration = "v2" | "v1"
export const GENERATIONS: ReadonlyArray<ClientGeneration> = ["v2", "v1"]
export const EXPECTED_PROTOCOL: Record<ClientGeneration, string> = { v2: "2026-07-28", v1: "2025-11-25" }

export const SERVER_BIN = join(import.meta.dirname, "../../dist/proxmox-mcp.js")

export interface ToolResult {
  readonly content: ReadonlyArray<{ readonly type: string; readonly text?: string }>
  readonly structuredContent?: Record<string, unknown>
  readonly isError?: boolean
  readonly _meta?: Record<string, unknown>
}

export interface ListedTool {
  readonly name: string
  readonly description?: string
  readonly inputSchema: Record<string, unknown>
  readonly outputSchema?: Record<string, unknown>
  readonly annotations?: Record<string, unknown>
}

export type ElicitationAnswer =
  | { readonly action: "accept"; readonly content: Record<string, unknown> }
  | { readonly action: "decline" | "cancel" }

export interface ConnectOptions {
  /** environment of the server process (PATH and HOME are added) */
  readonly env?: Record<string, string>
  /** extra CLI arguments, e.g. ["--simulator"] */
  readonly args?: ReadonlyArray<string>
  /** declare elicitation and answer each request with this */
  readonly onElicit?: (request: { readonly message: string; readonly requestedSchema: unknown }) => ElicitationAnswer
}

export interface CallOptions {
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: { readonly progress: number; readonly message?: string }) => void
  readonly timeoutMs?: number
}

export interface Connection {
  readonly generation: ClientGeneration
  readonly protocolVersion: string | undefined
  /** every line the server wrote to stderr so far */
  readonly stderr: () => string
  readonly listTools: () => Promise<ReadonlyArray<ListedTool>>
  readonly callTool: (name: string, args: Record<string, unknown>, options?: CallOptions) => Promise<ToolResult>
  readonly close: () => Promise<void>
}

const requestOptions = (call: CallOptions) => ({
  ...(call.signal ? { signal: call.signal } : {}),
  ...(call.onProgress ? { onprogress: call.onProgress } : {}),
  timeout: call.timeoutMs ?? 60_000
})

const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const key of ["PATH", "HOME", "SYSTEMROOT"]) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  return env
}

/** A real MCP client of one generation, connected. */
export interface ConnectedClient {
  readonly client: ClientV2 | ClientV1
  readonly protocolVersion: string | undefined
  readonly listTools: () => Promise<ReadonlyArray<ListedTool>>
  readonly callTool: (name: string, args: Record<string, unknown>, options?: CallOptions) => Promise<ToolResult>
}

/**
 * Connects a client of the given generation over any transport (stdio, in-memory). With `onElicit` it declares
 * elicitation and answers each request with it.
 */
export const connectClient = async (
  generation: ClientGeneration,
  transport: unknown,
  options: {
    readonly name: string
    readonly onElicit?: ConnectOptions["onElicit"] | undefined
    /** called on each notifications/tools/list_changed (v2: through the subscription it opens on 2026-07-28) */
    readonly onToolsChanged?: (() => void) | undefined
  }
): Promise<ConnectedClient> => {
  const { onElicit, onToolsChanged } = options
  const capabilities = onElicit === undefined ? {} : { elicitation: { form: {} } }
  const answer = (request: { params: { message: string; requestedSchema?: unknown } }) =>
    onElicit!({ message: request.params.message, requestedSchema: request.params.requestedSchema })
  const listed = async (client: { listTools: () => Promise<{ tools: unknown }> }) =>
    (await client.listTools()).tools as ReadonlyArray<ListedTool>

  if (generation === "v2") {
    const client = new ClientV2(
      { name: options.name, version: "1.0.0" },
      {
        capabilities,
        versionNegotiation: { mode: "auto" },
        ...(onToolsChanged === undefined
          ? {}
          : { listChanged: { tools: { autoRefresh: false, debounceMs: 0, onChanged: () => onToolsChanged() } } })
      }
    )
    if (onElicit !== undefined) {
      client.setRequestHandler("elicitation/create", async (request) => answer(request as never) as never)
    }
    await client.connect(transport as never)
    return {
      client,
      protocolVersion: client.getNegotiatedProtocolVersion(),
      listTools: () => listed(client),
      callTool: async (name, args, call = {}) =>
        (await client.callTool({ name, arguments: args }, requestOptions(call) as never)) as unknown as ToolResult
    }
  }

  let negotiated: string | undefined
  // The v1 client hands the negotiated version to transports that want it; stdio and in-memory do not, so we listen.
  Object.assign(transport as object, { setProtocolVersion: (version: string) => (negotiated = version) })
  const client = new ClientV1({ name: options.name, version: "1.0.0" }, { capabilities })
  if (onElicit !== undefined) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => answer(request as never) as never)
  }
  if (onToolsChanged !== undefined) client.setNotificationHandler(ToolListChangedNotificationSchema, onToolsChanged)
  await client.connect(transport as never)
  return {
    client,
    protocolVersion: negotiated,
    listTools: () => listed(client),
    callTool: async (name, args, call = {}) =>
      (await client.callTool(
        { name, arguments: args },
        undefined,
        requestOptions(call) as never
      )) as unknown as ToolResult
  }
}

/** Spawns the built server over stdio and connects a real MCP client of the given generation. */
export const connect = async (generation: ClientGeneration, options: ConnectOptions = {}): Promise<Connection> => {
  const params = {
    command: process.execPath,
    args: [SERVER_BIN, ...(options.args ?? [])],
    env: { ...baseEnv(), ...options.env },
    stderr: "pipe" as const
  }
  const transport = generation === "v2" ? new StdioTransportV2(params) : new StdioTransportV1(params)
  let stderr = ""
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const connected = await connectClient(generation, transport, {
    name: `e2e-${generation}`,
    onElicit: options.onElicit
  })
  return {
    generation,
    protocolVersion: connected.protocolVersion,
    stderr: () => stderr,
    listTools: connected.listTools,
    callTool: connected.callTool,
    close: () => connected.client.close()
  }
}

/** The text of a tool result, joined. */
export const textOf = (result: ToolResult) => result.content.map((c) => c.text ?? "").join("\n")
