import { randomBytes } from "node:crypto"
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  McpServer,
  type RegisteredTool,
  requireScopes,
  type ServerContext,
  type StandardSchemaWithJSON
} from "@modelcontextprotocol/server"
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/server/validators/cf-worker"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type { PveAuthConfig } from "../config/PveConfig.js"
import { PveConfig } from "../config/PveConfig.js"
import type { AuditLog } from "../policy/Audit.js"
import { type ConfirmationState, makeNonceLedger } from "../policy/Confirmation.js"
import {
  type DynamicToolsets,
  TOOLSETS_TOOL,
  type ToolsetState,
  ToolsetSwitch,
  toolsetStates
} from "../policy/DynamicToolsets.js"
import type { SafetyOptions } from "../policy/index.js"
import { type Allowlists, type ConfirmMode, noAllowlists } from "../policy/PolicyConfig.js"
import { makeSecretScrubber, type SecretScrubber, scrubJson } from "../policy/Secrets.js"
import { auditArgumentRefusal, type CallOutcome, type ConfirmationAnswer, runToolCall } from "../policy/ToolCall.js"
import { ProxmoxError } from "../proxmox/errors.js"
import { oncePerObject } from "../proxmox/oncePer.js"
import type { TaskProgress } from "../proxmox/Tasks.js"
import type { AnyTool, ToolRequirements, Toolset } from "../proxmox/Tool.js"
import { withNestingLimit } from "./argumentNesting.js"
import { presentError } from "./errorMessages.js"
import { toolStandardSchema } from "./JsonSchema.js"

/**
 * The only code that knows the MCP SDK: it registers the tools, hands each call to the policy pipeline
 * (`runToolCall`, one `runPromiseExit` per request, interrupted when the client cancels) and turns the outcome
 * into an MCP result.
 */

export type AdapterRequirements = ToolRequirements | AuditLog

/** At most four progress notifications a second; lines printed in between are carried by the next one. */
const PROGRESS_GAP_MS = 250
const LINES_PER_NOTIFICATION = 50

/**
 * Progress notifications for a call whose client sent a progressToken: the task's new log lines and, where PVE
 * prints one, its percentage (`progress` of `total: 100`; otherwise `progress` counts the notifications). The
 * last poll of a task (stopped) is always sent.
 */
const progressReporter = (ctx: ServerContext): Option.Option<TaskProgress["Type"]> => {
  const progressToken = ctx.mcpReq._meta?.progressToken
  if (progressToken === undefined) return Option.none()
  let lastSentAt = Number.NEGATIVE_INFINITY
  let lastProgress = 0
  const pending: string[] = []
  return Option.some({
    report: (update) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        pending.push(...update.newLines)
        const final = update.status.status !== "running"
        if (!final && now - lastSentAt < PROGRESS_GAP_MS) return Effect.void
        lastSentAt = now
        const lines = pending.splice(0)
        const shown = lines.slice(-LINES_PER_NOTIFICATION)
        // progress must grow with every notification, even when the percentage does not
        const progress =
          update.percent === undefined
            ? lastProgress + 1
            : Math.round(Math.max(update.percent, lastProgress + 0.01) * 100) / 100
        lastProgress = progress
        const head = `task ${update.status.type} ${update.status.id} ${update.status.status} (${Math.round(update.elapsedMs / 100) / 10} s${update.percent === undefined ? "" : `, ${update.percent}%`})`
        const skipped = lines.length > shown.length ? [`(${lines.length - shown.length} earlier lines)`] : []
        return Effect.tryPromise(() =>
          ctx.mcpReq.notify({
            method: "notifications/progress",
            params: {
              progressToken,
              progress,
              ...(update.percent !== undefined && progress <= 100 ? { total: 100 } : {}),
              message: [head, ...skipped, ...shown].join("\n")
            }
          })
        ).pipe(Effect.ignore)
      })
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

/** The person's answer, when this call is the retry that carries one. */
const confirmationAnswer = (ctx: ServerContext): ConfirmationAnswer => {
  const reply = inputResponse(ctx.mcpReq.inputResponses, "confirm")
  if (reply.kind !== "elicit") return { action: "none" }
  if (reply.action === "accept") return { action: "accept", content: reply.content }
  return { action: reply.action }
}

const errorResult = (text: string, hint: string, error: unknown): CallToolResult => ({
  content: [{ type: "text", text: `${text}\nHint: ${hint}` }],
  isError: true,
  // Structured error in _meta: older clients validate structuredContent against the output schema even on errors.
  _meta: { "proxmox-mcp/error": error }
})

const cancelled = errorResult("The call was cancelled.", "Nothing more was sent to Proxmox after the cancellation.", {
  _tag: "Cancelled"
})

const internal = errorResult(
  "Internal error in proxmox-mcp.",
  "This is a bug; the server log (stderr) has the details.",
  {
    _tag: "InternalError"
  }
)

type Issues = ReadonlyArray<{ readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }>

/** Reports where the SDK's check of the arguments failed (the pipeline never sees those calls), for the audit log. */
const auditingRefusals = <I, A>(
  schema: StandardSchemaWithJSON<I, A>,
  report: (at: ReadonlyArray<string>) => void
): StandardSchemaWithJSON<I, A> => {
  const seen = <R extends { readonly issues?: Issues | undefined }>(result: R): R => {
    if (result.issues !== undefined) {
      report(
        result.issues.map((issue) =>
          (issue.path ?? []).map((step) => String(typeof step === "object" ? step.key : step)).join(".")
        )
      )
    }
    return result
  }
  return {
    "~standard": {
      ...schema["~standard"],
      validate: (value) => {
        const result = schema["~standard"].validate(value)
        return result instanceof Promise ? result.then(seen) : seen(result)
      }
    }
  }
}

interface Session {
  readonly runtime: Runtime.Runtime<AdapterRequirements>
  readonly auth: PveAuthConfig | undefined
  readonly scrub: SecretScrubber
  readonly server: McpServer
  readonly policy: { readonly confirm: ConfirmMode; readonly allowlists: Allowlists }
  readonly stateCodec: StateCodec
  /** dynamic mode: this session's toolsets */
  readonly toolsets: ToolsetSwitch["Type"] | undefined
}

/** The MCP result of an outcome; every string that leaves the process goes through the scrubber. */
const toResult = async (
  outcome: CallOutcome,
  ctx: ServerContext,
  session: Session
): Promise<CallToolResult | InputRequiredResult> => {
  switch (outcome._tag) {
    case "Answer":
    case "DryRun":
    case "Running":
      return scrubJson(
        { content: [{ type: "text", text: outcome.text }], structuredContent: outcome.structured },
        session.scrub
      ) as CallToolResult
    case "AskPerson":
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            mode: "form",
            message: session.scrub(outcome.message),
            requestedSchema: outcome.form
          })
        },
        requestState: await session.stateCodec.mint(outcome.state, ctx)
      })
    case "Failed": {
      const { text, hint } = presentError(outcome.error, session.auth)
      return scrubJson(
        errorResult(text, hint, Schema.encodeSync(ProxmoxError)(outcome.error)),
        session.scrub
      ) as CallToolResult
    }
    case "Internal":
      return internal
  }
}

const call = async (tool: AnyTool, args: unknown, ctx: ServerContext, session: Session) => {
  const state = ctx.mcpReq.requestState<ConfirmationState>()
  const exit = await Runtime.runPromiseExit(session.runtime)(
    runToolCall(
      {
        tool,
        args,
        canElicit: clientCanElicit(ctx, session.server),
        answered: state === undefined ? Option.none() : Option.some({ state, answer: confirmationAnswer(ctx) }),
        progress: progressReporter(ctx),
        caller: ctx.http?.authInfo?.clientId
      },
      { ...session.policy, nonces }
    ).pipe((e) => (session.toolsets === undefined ? e : Effect.provideService(e, ToolsetSwitch, session.toolsets))),
    { signal: ctx.mcpReq.signal }
  )
  if (Exit.isSuccess(exit)) return toResult(exit.value, ctx, session)
  return Cause.isInterruptedOnly(exit.cause) ? cancelled : internal
}

export interface ServerIdentity {
  readonly name: string
  readonly version: string
  readonly instructions?: string
}

const makeStateCodec = (key: Uint8Array) =>
  createRequestStateCodec<ConfirmationState>({ key, ttlSeconds: 600, bind: (ctx) => ctx.mcpReq.method })
type StateCodec = ReturnType<typeof makeStateCodec>

// Without a configured key, one per process: a confirmation can only come back to the process that asked (stdio:
// one per client). Replicas behind one URL share MCP_STATE_KEY, so any of them can verify the answer.
const processStateCodec = makeStateCodec(randomBytes(32))
const sharedStateCodec = oncePerObject(makeStateCodec)
const stateCodecFor = (key: Uint8Array | undefined): StateCodec =>
  key === undefined ? processStateCodec : sharedStateCodec(key)
// A nonce is single-use within this process only; across replicas a state is bounded by its 600 s lifetime.
const nonces = makeNonceLedger(2 * 600 * 1000)

/** How the server is reached, where it matters to the adapter (HTTP serving). */
export interface ServingOptions {
  /** the key of the signed confirmation state (MCP_STATE_KEY); undefined: one random key per process */
  readonly stateKey?: Uint8Array | undefined
  /** an OAuth scope without which write and destructive tools answer 403 insufficient_scope (step-up) */
  readonly writeScope?: string | undefined
  /**
   * a fresh server for one request (2026-07-28 over HTTP): nothing outlives the request, so in dynamic mode every
   * toolset the policies offer is on from the start
   */
  readonly stateless?: boolean | undefined
}

/**
 * One session's toolsets in dynamic mode: the tools outside the initial toolsets are switched off once registered
 * (`switchOffTheRest`, before connect: nothing is sent), and enabling a toolset switches its tools on (the SDK then
 * sends notifications/tools/list_changed). Only tools the policies let exist were registered at all.
 */
const sessionToolsets = (
  dynamic: DynamicToolsets,
  tools: ReadonlyArray<AnyTool>,
  registered: ReadonlyMap<string, RegisteredTool>,
  allOn: boolean
): ToolsetSwitch["Type"] & { readonly switchOffTheRest: () => void } => {
  const enabled = new Set<Toolset>(allOn ? dynamic.offered : dynamic.initial)
  return {
    switchOffTheRest: () => {
      for (const tool of tools) {
        if (tool.name !== TOOLSETS_TOOL && !enabled.has(tool.toolset)) registered.get(tool.name)?.disable()
      }
    },
    list: (): ReadonlyArray<ToolsetState> => toolsetStates(dynamic, tools, enabled),
    enable: (name) => {
      if (!dynamic.offered.includes(name)) return []
      enabled.add(name)
      const added: Array<string> = []
      for (const tool of tools) {
        const entry = registered.get(tool.name)
        if (tool.toolset === name && entry !== undefined && !entry.enabled) {
          entry.enable()
          added.push(tool.name)
        }
      }
      return added
    }
  }
}

/** A fresh McpServer with every tool registered; the SDK calls this once per connection. */
export const makeMcpServer = (
  tools: ReadonlyArray<AnyTool>,
  runtime: Runtime.Runtime<AdapterRequirements>,
  identity: ServerIdentity,
  safety: SafetyOptions = {},
  serving: ServingOptions = {}
): McpServer => {
  const stateCodec = stateCodecFor(serving.stateKey)
  const auth = Runtime.runSync(runtime)(Effect.map(PveConfig, (c) => c.auth))
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
  const registered = new Map<string, RegisteredTool>()
  const toolsets =
    safety.dynamic === undefined
      ? undefined
      : sessionToolsets(safety.dynamic, tools, registered, serving.stateless === true)
  const session: Session = {
    runtime,
    auth,
    scrub: makeSecretScrubber(auth),
    server,
    policy: { confirm: safety.confirm ?? "auto", allowlists: safety.allowlists ?? noAllowlists },
    stateCodec,
    toolsets
  }
  const writeScope = serving.writeScope
  const scopeFor = (tool: AnyTool) =>
    writeScope !== undefined && tool.kind !== "read" ? { scopeChallenge: requireScopes(writeScope) } : {}
  for (const tool of tools) {
    const entry = server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: auditingRefusals(withNestingLimit(toolStandardSchema(tool, "input")), (at) =>
          Runtime.runFork(runtime)(auditArgumentRefusal(tool.name, at))
        ),
        outputSchema: toolStandardSchema(tool, "output"),
        annotations: { title: tool.title, ...tool.annotations },
        ...scopeFor(tool)
      },
      (args: unknown, ctx: ServerContext) => call(tool, args, ctx, session)
    )
    registered.set(tool.name, entry)
  }
  toolsets?.switchOffTheRest()
  return server
}
