/**
 * The whole server in this process: the real MCP adapter, the policies and the real ProxmoxClient over the
 * simulator, connected to a real MCP client of either generation through an in-memory transport. v2 speaks the
 * 2026-07-28 protocol (served by serveStdio's era logic), v1 speaks 2025-11-25.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InMemoryTransport } from "@modelcontextprotocol/server"
import { serveStdio } from "@modelcontextprotocol/server/stdio"
import { Effect, Exit, Layer, LogLevel, Scope } from "effect"
import type { Simulator, SimulatorOptions } from "../../sim/Simulator.js"
import { PveConfig, type PveConfigShape } from "../../src/config/PveConfig.js"
import { makeMcpServer } from "../../src/mcp/Adapter.js"
import { knownTools, makeServerPolicies } from "../../src/policy/index.js"
import { loadPolicyConfigFrom } from "../../src/policy/PolicyConfig.js"
import { scrubbingLogger } from "../../src/policy/Secrets.js"
import type { AnyTool } from "../../src/proxmox/Tool.js"
import { ProxmoxSimulated, simulatorConfig } from "../../src/simulatorMode.js"
import { allTools } from "../../src/tools/index.js"
import {
  type CallOptions,
  type ClientGeneration,
  type ConnectedClient,
  connectClient,
  type ElicitationAnswer,
  type ListedTool,
  type ToolResult
} from "./mcpClient.js"

export interface InProcessOptions {
  /** policy variables (PVE_READONLY, PVE_*_ALLOWLIST, PVE_CONFIRM, PVE_AUDIT_LOG, …) */
  readonly env?: Record<string, string>
  readonly sim?: SimulatorOptions
  readonly config?: Partial<PveConfigShape>
  /** declare elicitation and answer each request with this */
  readonly onElicit?: (request: { readonly message: string; readonly requestedSchema: unknown }) => ElicitationAnswer
  /** tools offered beside the real ones (under the same policies) */
  readonly extraTools?: ReadonlyArray<AnyTool>
  /** called on each notifications/tools/list_changed the client receives */
  readonly onToolsChanged?: () => void
}

export interface InProcessServer {
  readonly sim: Simulator
  readonly generation: ClientGeneration
  readonly listTools: () => Promise<ReadonlyArray<ListedTool>>
  readonly callTool: (name: string, args: Record<string, unknown>, options?: CallOptions) => Promise<ToolResult>
  /** the audit file (PVE_AUDIT_LOG, or a fresh temporary file) */
  readonly auditFile: string
  /** every line the server logged */
  readonly logs: ReadonlyArray<string>
  /** the client itself, for calls the helpers do not cover */
  readonly client: ConnectedClient["client"]
  readonly close: () => Promise<void>
}

export const inProcess = async (
  generation: ClientGeneration,
  options: InProcessOptions = {}
): Promise<InProcessServer> => {
  // audit lines go to a file of their own unless the test names one (stderr would be noise here)
  const auditFile = join(mkdtempSync(join(tmpdir(), "pmcp-inproc-")), "audit.jsonl")
  const tools = [...allTools, ...(options.extraTools ?? [])]
  const policy = Effect.runSync(loadPolicyConfigFrom({ PVE_AUDIT_LOG: auditFile, ...options.env }, knownTools(tools)))
  const config = simulatorConfig(options.config)
  const { simulator, layer } = ProxmoxSimulated(config, options.sim)
  const policies = makeServerPolicies(policy, config.auth, tools)
  const logs: string[] = []
  // the same scrubbing logger as bin.ts, writing into `logs` instead of stderr
  const logger = scrubbingLogger(LogLevel.Debug, policies.scrub, (line) => logs.push(line))
  const scope = Effect.runSync(Scope.make())
  const runtime = await Effect.runPromise(
    Layer.toRuntime(Layer.mergeAll(policies.wrapClient(layer), PveConfig.layer(config), logger)).pipe(
      Scope.extend(scope)
    )
  )
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const handle = serveStdio(
    () => makeMcpServer(policies.tools, runtime, { name: "proxmox-mcp", version: "test" }, policies.safety),
    { transport: serverSide }
  )
  const finish = async (closeClient: () => Promise<void>) => {
    await closeClient()
    await handle.close()
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
  const connected = await connectClient(generation, clientSide, {
    name: `inproc-${generation}`,
    onElicit: options.onElicit,
    onToolsChanged: options.onToolsChanged
  })
  return {
    sim: simulator,
    generation,
    auditFile: policy.auditLog ?? auditFile,
    logs,
    client: connected.client,
    listTools: connected.listTools,
    callTool: (name, args, call) => connected.callTool(name, args, call),
    close: () => finish(() => connected.client.close())
  }
}
