import {
  type CallToolResult,
  McpServer,
  type ServerContext,
  type StandardSchemaWithJSON
} from "@modelcontextprotocol/server"
import { Cause, Effect, Exit, JSONSchema, Option, Runtime, Schema } from "effect"
import { PveConfig, type PveAuthConfig } from "../config/PveConfig.js"
import { ProxmoxError } from "../proxmox/errors.js"
import { TaskProgress } from "../proxmox/Tasks.js"
import { presentError } from "./errorMessages.js"
import type { AnyTool, ToolRequirements } from "./Tool.js"

type JsonObject = Record<string, unknown>

/** Replaces every `$ref` into `$defs` by the definition itself: some MCP hosts do not resolve references. */
const inlineRefs = (root: JsonObject): JsonObject => {
  const defs = (root.$defs ?? {}) as Record<string, JsonObject>
  const visit = (node: unknown, seen: ReadonlyArray<string>): unknown => {
    if (Array.isArray(node)) return node.map((n) => visit(n, seen))
    if (node === null || typeof node !== "object") return node
    const { $ref, ...rest } = node as JsonObject
    const out: JsonObject = {}
    if (typeof $ref === "string" && $ref.startsWith("#/$defs/")) {
      const name = $ref.slice("#/$defs/".length)
      if (seen.includes(name)) throw new Error(`recursive schema ${name} cannot be inlined`)
      Object.assign(out, visit(defs[name], [...seen, name]) as JsonObject)
    }
    for (const [k, v] of Object.entries(rest)) {
      if (k !== "$defs" && k !== "$schema") out[k] = visit(v, seen)
    }
    return out
  }
  return visit(root, []) as JsonObject
}

export const toJsonSchema = (schema: Schema.Schema.Any): JsonObject =>
  inlineRefs(JSONSchema.make(schema, { target: "jsonSchema2020-12" }) as unknown as JsonObject)

/**
 * An Effect Schema as the Standard Schema (with JSON Schema) the SDK takes. Input: unknown keys are an error,
 * so a misspelt argument is reported instead of silently ignored. Output: the type side, plain JSON.
 */
export const toStandardSchema = <A, I>(schema: Schema.Schema<A, I>, side: "input" | "output"): StandardSchemaWithJSON<I, A> => {
  const validated = side === "input" ? schema : (Schema.typeSchema(schema) as unknown as Schema.Schema<A, I>)
  const standard = Schema.standardSchemaV1(validated, { errors: "all", onExcessProperty: side === "input" ? "error" : "ignore" })
  const json = toJsonSchema(validated)
  return {
    "~standard": {
      ...standard["~standard"],
      jsonSchema: { input: () => json, output: () => json }
    }
  } as StandardSchemaWithJSON<I, A>
}

const errorResult = (text: string, hint: string, error: unknown): CallToolResult => ({
  content: [{ type: "text", text: `${text}\nHint: ${hint}` }],
  isError: true,
  // Structured error in _meta: older clients validate structuredContent against the output schema even on errors.
  _meta: { "proxmox-mcp/error": error }
})

const progressReporter = (ctx: ServerContext) => {
  const progressToken = ctx.mcpReq._meta?.progressToken
  if (progressToken === undefined) return Option.none()
  let polls = 0
  return Option.some({
    report: (status: { readonly type: string; readonly status: string }, elapsedMs: number) =>
      Effect.tryPromise(() =>
        ctx.mcpReq.notify({
          method: "notifications/progress",
          params: {
            progressToken,
            progress: ++polls,
            message: `task ${status.type} ${status.status} (${Math.round(elapsedMs / 100) / 10} s)`
          }
        })
      ).pipe(Effect.ignore)
  })
}

/** Runs one tool call: the handler's fiber lives exactly as long as the request (AbortSignal → interrupt). */
const callTool = async (
  tool: AnyTool,
  args: unknown,
  ctx: ServerContext,
  runtime: Runtime.Runtime<ToolRequirements>,
  auth: PveAuthConfig | undefined
): Promise<CallToolResult> => {
  const reporter = progressReporter(ctx)
  const handled = Option.match(reporter, {
    onNone: () => tool.handler(args),
    onSome: (r) => Effect.provideService(tool.handler(args), TaskProgress, r)
  }).pipe(
    Effect.withSpan(`tool.${tool.name}`),
    Effect.tap(() => Effect.logDebug(`${tool.name}: ok`)),
    Effect.tapErrorCause((cause) => Effect.logInfo(`${tool.name}: ${Cause.pretty(cause).split("\n")[0]}`))
  )
  const exit = await Runtime.runPromiseExit(runtime)(handled, { signal: ctx.mcpReq.signal })
  if (Exit.isSuccess(exit)) {
    const structured = Schema.encodeUnknownSync(Schema.typeSchema(tool.output))(exit.value) as JsonObject
    return { content: [{ type: "text", text: tool.render(exit.value) }], structuredContent: structured }
  }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && Schema.is(ProxmoxError)(failure.value)) {
    const { text, hint } = presentError(failure.value, auth)
    return errorResult(text, hint, Schema.encodeSync(ProxmoxError)(failure.value))
  }
  if (Cause.isInterruptedOnly(exit.cause)) {
    return errorResult("The call was cancelled.", "Nothing more was sent to Proxmox after the cancellation.", { _tag: "Cancelled" })
  }
  await Runtime.runPromise(runtime)(Effect.logError(`${tool.name} failed unexpectedly`, exit.cause))
  return errorResult("Internal error in proxmox-mcp.", "This is a bug; the server log (stderr) has the details.", { _tag: "InternalError" })
}

export interface ServerIdentity {
  readonly name: string
  readonly version: string
  readonly instructions?: string
}

/** A fresh McpServer with every tool registered; the SDK calls this once per connection. */
export const makeMcpServer = (
  tools: ReadonlyArray<AnyTool>,
  runtime: Runtime.Runtime<ToolRequirements>,
  identity: ServerIdentity
): McpServer => {
  const auth = Runtime.runSync(runtime)(Effect.map(PveConfig, (c) => c.auth))
  const server = new McpServer(
    { name: identity.name, version: identity.version },
    { capabilities: { tools: {} }, ...(identity.instructions === undefined ? {} : { instructions: identity.instructions }) }
  )
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: toStandardSchema(tool.input, "input"),
        outputSchema: toStandardSchema(tool.output, "output"),
        annotations: { title: tool.title, ...tool.annotations }
      },
      (args: unknown, ctx: ServerContext) => callTool(tool, args, ctx, runtime, auth)
    )
  }
  return server
}
