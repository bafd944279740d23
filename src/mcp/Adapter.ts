import { randomBytes, randomUUID } from "node:crypto"
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  McpServer,
  type ServerContext,
  type StandardSchemaWithJSON
} from "@modelcontextprotocol/server"
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/server/validators/cf-worker"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import { type Allowlists, type ConfirmMode, noAllowlists } from "../config/PolicyConfig.js"
import { type PveAuthConfig, PveConfig } from "../config/PveConfig.js"
import { argumentsViolation } from "../policy/Allowlist.js"
import {
  argumentsDigest,
  type ConfirmationState,
  confirmationForm,
  confirmationMessage,
  confirmationMethod,
  DryRunResult,
  describeRequest,
  effectiveInputSchema,
  makeNonceLedger,
  paramConfirmationProblem,
  plannedRequest,
  splitArguments
} from "../policy/Confirmation.js"
import { makeSecretScrubber, type SecretScrubber, scrubJson } from "../policy/Secrets.js"
import { currentTool, requestFingerprint, WriteGate, type WriteGateMode } from "../policy/WriteGate.js"
import { ConfirmationRequired, PolicyDenied, ProxmoxError } from "../proxmox/errors.js"
import type { PveRequest } from "../proxmox/ProxmoxClient.js"
import { TaskProgress } from "../proxmox/Tasks.js"
import { boundIssues, type Issue } from "./boundedIssues.js"
import { presentError } from "./errorMessages.js"
import type { AnyTool, ToolRequirements } from "./Tool.js"

type JsonObject = Record<string, unknown>

const effectTitle = /^[a-z][A-Za-z]*(\(.*\))?$/

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
      // Effect marks Unknown/Any with "$id": "/schemas/unknown"; repeated ids make Ajv-based clients reject the schema.
      if (k === "$defs" || k === "$schema" || k === "$id") continue
      // Effect's own titles ("int", "between(100, 999999999)") tell the model nothing
      if (k === "title" && typeof v === "string" && effectTitle.test(v)) continue
      out[k] = visit(v, seen)
    }
    return out
  }
  return visit(root, []) as JsonObject
}

/** A union of objects (a write tool's result or its dry-run) is still an object: say so at the root. */
const stampObjectRoot = (schema: JsonObject): JsonObject => {
  const branches = schema.anyOf
  if (
    schema.type === undefined &&
    Array.isArray(branches) &&
    branches.every((b) => (b as JsonObject).type === "object")
  ) {
    return { type: "object", ...schema }
  }
  return schema
}

export const toJsonSchema = (schema: Schema.Schema.Any): JsonObject =>
  stampObjectRoot(inlineRefs(JSONSchema.make(schema, { target: "jsonSchema2020-12" }) as unknown as JsonObject))

/**
 * An Effect Schema as the Standard Schema (with JSON Schema) the SDK takes. Input: unknown keys are an error,
 * so a misspelt argument is reported instead of silently ignored. Output: the type side, plain JSON.
 */
export const toStandardSchema = <A, I>(
  schema: Schema.Schema<A, I>,
  side: "input" | "output"
): StandardSchemaWithJSON<I, A> => {
  const validated = side === "input" ? schema : (Schema.typeSchema(schema) as unknown as Schema.Schema<A, I>)
  const standard = Schema.standardSchemaV1(validated, {
    errors: "all",
    onExcessProperty: side === "input" ? "error" : "ignore"
  })
  const json = toJsonSchema(validated)
  const validate = standard["~standard"].validate
  const bounded = <R extends { readonly issues?: ReadonlyArray<Issue> | undefined }>(result: R, value: unknown): R =>
    result.issues === undefined ? result : { ...result, issues: boundIssues(result.issues, value) }
  return {
    "~standard": {
      ...standard["~standard"],
      // the error text quotes each bad value once and short, whatever its size
      validate: (value: unknown) => {
        const result = validate(value)
        return result instanceof Promise ? result.then((r) => bounded(r, value)) : bounded(result, value)
      },
      jsonSchema: { input: () => json, output: () => json }
    }
  } as StandardSchemaWithJSON<I, A>
}

/** The result Schema the client sees: a write tool may also answer with its dry-run. */
export const effectiveOutputSchema = (tool: AnyTool): Schema.Schema.AnyNoContext =>
  tool.annotations.readOnlyHint ? tool.output : Schema.Union(tool.output, DryRunResult)

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

/** Whether the client can show a form: per request on the 2026 protocol, from initialize on 2025. */
const clientCanElicit = (ctx: ServerContext, server: McpServer): boolean => {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined
  const capabilities = (
    envelope !== undefined ? envelope[CLIENT_CAPABILITIES_META_KEY] : server.server.getClientCapabilities()
  ) as { readonly elicitation?: { readonly form?: unknown; readonly url?: unknown } } | undefined
  const elicitation = capabilities?.elicitation
  // `elicitation: {}` predates the form/url split and means form
  return elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined)
}

interface CallContext {
  readonly runtime: Runtime.Runtime<ToolRequirements>
  readonly auth: PveAuthConfig | undefined
  readonly scrub: SecretScrubber
  readonly confirm: ConfirmMode
  readonly allowlists: Allowlists
  readonly server: McpServer
  readonly mintState: (state: ConfirmationState, ctx: ServerContext) => Promise<string>
  readonly nonces: ReturnType<typeof makeNonceLedger>
}

/** Every string that leaves the process goes through the scrubber, whatever produced it. */
const scrubbed = (result: CallToolResult, scrub: SecretScrubber): CallToolResult =>
  scrubJson(result, scrub) as CallToolResult

const errorResult = (text: string, hint: string, error: unknown): CallToolResult => ({
  content: [{ type: "text", text: `${text}\nHint: ${hint}` }],
  isError: true,
  // Structured error in _meta: older clients validate structuredContent against the output schema even on errors.
  _meta: { "proxmox-mcp/error": error }
})

const proxmoxErrorResult = (error: ProxmoxError, auth: PveAuthConfig | undefined): CallToolResult => {
  const { text, hint } = presentError(error, auth)
  return errorResult(text, hint, Schema.encodeSync(ProxmoxError)(error))
}

type RunExit = Exit.Exit<unknown, ProxmoxError>

/** Runs the tool's handler; its fiber lives exactly as long as the request (AbortSignal → interrupt). */
const runHandler = (
  tool: AnyTool,
  input: unknown,
  ctx: ServerContext,
  call: CallContext,
  gate?: WriteGateMode
): Promise<RunExit> => {
  const reporter = progressReporter(ctx)
  let handled: Effect.Effect<unknown, ProxmoxError, ToolRequirements> = Option.match(reporter, {
    onNone: () => tool.handler(input),
    onSome: (r) => Effect.provideService(tool.handler(input), TaskProgress, r)
  })
  if (gate !== undefined) handled = Effect.provideService(handled, WriteGate, gate)
  return Runtime.runPromiseExit(call.runtime)(
    handled.pipe(
      Effect.locally(currentTool, tool.name),
      Effect.withSpan(`tool.${tool.name}`),
      Effect.tap(() => Effect.logDebug(`${tool.name}: ok`)),
      Effect.tapErrorCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.void
          : Effect.logInfo(`${tool.name}: ${Cause.pretty(cause).split("\n")[0]}`)
      )
    ),
    { signal: ctx.mcpReq.signal }
  )
}

/** Turns a handler's exit into the MCP result. */
const present = async (tool: AnyTool, exit: RunExit, call: CallContext): Promise<CallToolResult> => {
  if (Exit.isSuccess(exit)) {
    const structured = Schema.encodeUnknownSync(Schema.typeSchema(tool.output))(exit.value) as JsonObject
    return { content: [{ type: "text", text: tool.render(exit.value) }], structuredContent: structured }
  }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && Schema.is(ProxmoxError)(failure.value))
    return proxmoxErrorResult(failure.value, call.auth)
  if (Cause.isInterruptedOnly(exit.cause)) {
    return errorResult("The call was cancelled.", "Nothing more was sent to Proxmox after the cancellation.", {
      _tag: "Cancelled"
    })
  }
  await Runtime.runPromise(call.runtime)(Effect.logError(`${tool.name} failed unexpectedly`, exit.cause))
  return errorResult("Internal error in proxmox-mcp.", "This is a bug; the server log (stderr) has the details.", {
    _tag: "InternalError"
  })
}

/** Runs the handler until its first write, which is recorded and not sent. */
const captureFirstWrite = async (
  tool: AnyTool,
  input: unknown,
  ctx: ServerContext,
  call: CallContext,
  purpose: "dry-run" | "confirmation"
): Promise<{ readonly request: PveRequest } | { readonly exit: RunExit }> => {
  const captured = Ref.unsafeMake(Option.none<PveRequest>())
  const exit = await runHandler(tool, input, ctx, call, { _tag: "Capture", purpose, captured })
  const request = Runtime.runSync(call.runtime)(Ref.get(captured))
  return Option.isSome(request) ? { request: request.value } : { exit }
}

const confirmationRefused = (message: string) => proxmoxErrorResult(new ConfirmationRequired({ message }), undefined)

const dryRun = async (
  tool: AnyTool,
  input: unknown,
  ctx: ServerContext,
  call: CallContext
): Promise<CallToolResult> => {
  const outcome = await captureFirstWrite(tool, input, ctx, call, "dry-run")
  // No write at all: the handler finished (nothing to do) or failed before writing.
  if ("exit" in outcome) return present(tool, outcome.exit, call)
  const result: DryRunResult = {
    dryRun: true,
    tool: tool.name,
    requests: [plannedRequest(outcome.request)],
    confirmation: tool.annotations.destructiveHint
      ? "required: this operation is destructive and must be confirmed when run"
      : "not required"
  }
  return {
    content: [
      {
        type: "text",
        text: `Dry run, nothing was sent. ${tool.name} would send:\n  ${describeRequest(outcome.request)}`
      }
    ],
    structuredContent: Schema.encodeSync(DryRunResult)(result) as JsonObject
  }
}

/** Asks the person: the first write becomes the form, its fingerprint goes into the signed state. */
const askPerson = async (
  tool: AnyTool,
  args: unknown,
  input: unknown,
  ctx: ServerContext,
  call: CallContext
): Promise<CallToolResult | InputRequiredResult> => {
  const outcome = await captureFirstWrite(tool, input, ctx, call, "confirmation")
  if ("exit" in outcome) return present(tool, outcome.exit, call)
  const state: ConfirmationState = {
    tool: tool.name,
    args: argumentsDigest(tool.name, args),
    writes: [requestFingerprint(outcome.request)],
    nonce: randomUUID()
  }
  return inputRequired({
    inputRequests: {
      confirm: inputRequired.elicit({
        mode: "form",
        message: call.scrub(confirmationMessage(tool, outcome.request)),
        requestedSchema: confirmationForm(outcome.request)
      })
    },
    requestState: await call.mintState(state, ctx)
  })
}

const isConfirmationState = (value: unknown): value is ConfirmationState =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as ConfirmationState).tool === "string" &&
  typeof (value as ConfirmationState).args === "string" &&
  typeof (value as ConfirmationState).nonce === "string" &&
  Array.isArray((value as ConfirmationState).writes)

/** The retried call: only a verified state and an accepted, ticked form let the confirmed writes through. */
const afterAnswer = async (
  tool: AnyTool,
  args: unknown,
  input: unknown,
  state: ConfirmationState,
  ctx: ServerContext,
  call: CallContext
): Promise<CallToolResult> => {
  if (state.tool !== tool.name || state.args !== argumentsDigest(tool.name, args)) {
    return confirmationRefused(
      "The confirmation answered belongs to a different call; nothing was sent. Call the tool again."
    )
  }
  const answer = inputResponse(ctx.mcpReq.inputResponses, "confirm")
  if (answer.kind !== "elicit") {
    return confirmationRefused("The confirmation request got no answer; nothing was sent.")
  }
  if (answer.action === "decline") {
    return confirmationRefused(`The person declined ${tool.name}; nothing was sent to Proxmox.`)
  }
  if (answer.action === "cancel") {
    return confirmationRefused(`The person cancelled the confirmation of ${tool.name}; nothing was sent to Proxmox.`)
  }
  if (answer.content?.confirm !== true) {
    return confirmationRefused(`The confirmation box was not ticked; ${tool.name} did not run and nothing was sent.`)
  }
  if (!call.nonces.consume(state.nonce)) {
    return confirmationRefused(
      "This confirmation was already used; nothing was sent. Call the tool again to be asked anew."
    )
  }
  const approved: WriteGateMode = { _tag: "Approved", fingerprints: state.writes, sent: Ref.unsafeMake(0) }
  return present(tool, await runHandler(tool, input, ctx, call, approved), call)
}

/** One tool call through the policies: dry-run, confirmation (by parameter or by the person), then the run. */
const callTool = async (
  tool: AnyTool,
  args: unknown,
  ctx: ServerContext,
  call: CallContext
): Promise<CallToolResult | InputRequiredResult> => {
  const { input, control } = splitArguments(args)
  const violation = argumentsViolation(call.allowlists, input)
  if (violation !== undefined)
    return proxmoxErrorResult(new PolicyDenied({ policy: "allowlist", message: violation }), call.auth)
  if (tool.annotations.readOnlyHint) return present(tool, await runHandler(tool, input, ctx, call), call)
  if (control.dryRun === true) return dryRun(tool, input, ctx, call)
  if (!tool.annotations.destructiveHint) return present(tool, await runHandler(tool, input, ctx, call), call)

  const method = confirmationMethod(call.confirm, clientCanElicit(ctx, call.server))
  if (method._tag === "Impossible") return confirmationRefused(`${tool.name} was not run: ${method.reason}.`)
  if (method._tag === "Param" || method.alsoParam) {
    const problem = paramConfirmationProblem(tool, input, control)
    if (problem !== undefined) {
      // Show what would be sent, after the policies: a refused request is reported as refused, not as unconfirmed.
      const outcome = await captureFirstWrite(tool, input, ctx, call, "confirmation")
      if ("exit" in outcome) return present(tool, outcome.exit, call)
      return confirmationRefused(
        `${tool.name} is destructive and was not run: it would send ${describeRequest(outcome.request)}. To confirm, ${problem}.`
      )
    }
    if (method._tag === "Param") return present(tool, await runHandler(tool, input, ctx, call), call)
  }
  const state = ctx.mcpReq.requestState<unknown>()
  if (isConfirmationState(state)) return afterAnswer(tool, args, input, state, ctx, call)
  return askPerson(tool, args, input, ctx, call)
}

export interface ServerIdentity {
  readonly name: string
  readonly version: string
  readonly instructions?: string
}

export interface SafetyOptions {
  /** PVE_CONFIRM (default auto: the person when the client can show a form, else confirm + echo) */
  readonly confirm?: ConfirmMode
  /** checked on the tool's arguments before it runs (the client decorator checks every request anyway) */
  readonly allowlists?: Allowlists
}

// One key per process: a confirmation can only come back to the process that asked (stdio: one per client).
const stateCodec = createRequestStateCodec<ConfirmationState>({
  key: randomBytes(32),
  ttlSeconds: 600,
  bind: (ctx) => ctx.mcpReq.method
})
const nonces = makeNonceLedger(2 * 600 * 1000)

/** A fresh McpServer with every tool registered; the SDK calls this once per connection. */
export const makeMcpServer = (
  tools: ReadonlyArray<AnyTool>,
  runtime: Runtime.Runtime<ToolRequirements>,
  identity: ServerIdentity,
  safety: SafetyOptions = {}
): McpServer => {
  const auth = Runtime.runSync(runtime)(Effect.map(PveConfig, (c) => c.auth))
  const scrub = makeSecretScrubber(auth)
  const server = new McpServer(
    { name: identity.name, version: identity.version },
    {
      capabilities: { tools: {} },
      ...(identity.instructions === undefined ? {} : { instructions: identity.instructions }),
      requestState: { verify: stateCodec.verify },
      maxToolInputElements: 5000,
      // checks the person's elicitation answers; the SDK's own light validator, so that Ajv is never loaded
      // (scripts/build.ts keeps it out of the bundle: about 17 ms of start-up)
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator()
    }
  )
  const call: CallContext = {
    runtime,
    auth,
    scrub,
    confirm: safety.confirm ?? "auto",
    allowlists: safety.allowlists ?? noAllowlists,
    server,
    mintState: (state, ctx) => stateCodec.mint(state, ctx),
    nonces
  }
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: toStandardSchema(effectiveInputSchema(tool), "input"),
        outputSchema: toStandardSchema(effectiveOutputSchema(tool), "output"),
        annotations: { title: tool.title, ...tool.annotations }
      },
      async (args: unknown, ctx: ServerContext) => {
        const result = await callTool(tool, args, ctx, call)
        return "resultType" in result ? result : scrubbed(result, scrub)
      }
    )
  }
  return server
}
