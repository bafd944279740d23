import { randomUUID } from "node:crypto"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { DEFAULT_MAX_ANSWER_BYTES, PveConfig } from "../config/PveConfig.js"
import { requestFor } from "../proxmox/Endpoint.js"
import {
  ConfirmationRequired,
  InvalidInput,
  PolicyDenied,
  type ProxmoxError,
  type StepReport
} from "../proxmox/errors.js"
import { oncePerObject } from "../proxmox/oncePer.js"
import { executePlan, type Plan, type PlanStep } from "../proxmox/Plan.js"
import { ProxmoxClient, type PveRequest } from "../proxmox/ProxmoxClient.js"
import { TaskCancellation, TaskProgress, taskStatusEndpoint, taskStopEndpoint } from "../proxmox/Tasks.js"
import {
  type AnyPlanningTool,
  type AnyTool,
  type DestructiveTool,
  type ReadTool,
  type ToolRequirements,
  toolMayCall
} from "../proxmox/Tool.js"
import { parseUpid } from "../proxmox/Upid.js"
import { argumentsViolation } from "./Allowlist.js"
import { fitAnswer, narrowingHint } from "./AnswerBudget.js"
import { AuditLog } from "./Audit.js"
import {
  argumentsDigest,
  ConfirmationState,
  type ControlArguments,
  confirmationForm,
  confirmationMessage,
  confirmationMethod,
  DryRunResult,
  describePlan,
  type makeNonceLedger,
  paramConfirmationProblem,
  plannedRequest,
  splitArguments
} from "./Confirmation.js"
import { currentCall } from "./CurrentCall.js"
import { markEncodedOutput } from "./EncodedOutput.js"
import type { Allowlists, ConfirmMode } from "./PolicyConfig.js"
import { RunningResult, runningResult } from "./Running.js"
import { approvedGate, requestFingerprint, WriteGate } from "./WriteGate.js"

/**
 * One tool call through the policies, as one Effect:
 * decode → argument allowlists → (read tools run) → plan → dry-run, or confirmation → execute → encode.
 * It knows nothing of MCP: the adapter hands in what the client said and turns the outcome into a result.
 */

/** The person's answer to a confirmation form, as the client returned it. */
export type ConfirmationAnswer =
  | { readonly action: "accept"; readonly content?: Readonly<Record<string, unknown>> | undefined }
  | { readonly action: "decline" | "cancel" }
  | { readonly action: "none" }

export interface CallInput {
  readonly tool: AnyTool
  /** the arguments as the client sent them (already checked against the input Schema) */
  readonly args: unknown
  /** whether the client can show a form to the person now */
  readonly canElicit: boolean
  /** on the call that answers a confirmation: the verified state and the person's answer */
  readonly answered: Option.Option<{ readonly state: unknown; readonly answer: ConfirmationAnswer }>
  readonly progress: Option.Option<TaskProgress["Type"]>
  /** over HTTP: the token's name or the OAuth subject, into every audit line of this call */
  readonly caller?: string | undefined
}

export interface CallPolicy {
  readonly confirm: ConfirmMode
  readonly allowlists: Allowlists
  readonly nonces: ReturnType<typeof makeNonceLedger>
}

/** What the call came to; only `Failed` carries an error, and none of them is thrown. */
export type CallOutcome =
  | { readonly _tag: "Answer"; readonly structured: Record<string, unknown>; readonly text: string }
  | { readonly _tag: "DryRun"; readonly structured: Record<string, unknown>; readonly text: string }
  | { readonly _tag: "Running"; readonly structured: Record<string, unknown>; readonly text: string }
  | {
      readonly _tag: "AskPerson"
      readonly message: string
      readonly form: ReturnType<typeof confirmationForm>
      readonly state: ConfirmationState
    }
  | { readonly _tag: "Failed"; readonly error: ProxmoxError }
  | { readonly _tag: "Internal" }

type Requirements = ToolRequirements | AuditLog

// once per tool, not per call
const encoderOf = oncePerObject((tool: AnyTool): ((output: unknown) => unknown) =>
  Schema.encodeUnknownSync(Schema.typeSchema(tool.output))
)

const answer = (tool: AnyTool, output: unknown): CallOutcome => ({
  _tag: "Answer",
  structured: markEncodedOutput(tool, encoderOf(tool)(output) as Record<string, unknown>),
  text: tool.render(output)
})

const refused = (message: string) => new ConfirmationRequired({ message })

const PLANNING: WriteGate["Type"] = { _tag: "Planning" }

const mayFollowTasks = (tool: AnyTool) => toolMayCall(tool)("GET", taskStatusEndpoint.template)

/** Reads, and builds the plan, with every write refused: a tool writes only through its plan. */
const planned = (tool: AnyPlanningTool, input: unknown) =>
  Effect.provideService(tool.plan(input), WriteGate, { _tag: "Planning" })

/** Every step through every policy, audited as shown, nothing sent. */
const preview = (steps: ReadonlyArray<PlanStep>, purpose: "dry-run" | "confirmation") =>
  Effect.gen(function* () {
    const client = yield* ProxmoxClient
    for (const step of steps) yield* client.execute(step.request)
  }).pipe(Effect.provideService(WriteGate, { _tag: "Preview", purpose }))

const dryRun = (tool: AnyPlanningTool, steps: ReadonlyArray<PlanStep>) =>
  Effect.gen(function* () {
    yield* preview(steps, "dry-run")
    const result: DryRunResult = {
      dryRun: true,
      tool: tool.name,
      requests: steps.map(plannedRequest),
      confirmation:
        tool.kind === "destructive"
          ? "required: this operation is destructive and must be confirmed when run"
          : "not required"
    }
    const what = steps.length === 0 ? " nothing (there is nothing to do)." : `:\n${describePlan(steps)}`
    return {
      _tag: "DryRun",
      structured: Schema.encodeSync(DryRunResult)(result) as Record<string, unknown>,
      text: `Dry run, nothing was sent. ${tool.name} would send${what}`
    } satisfies CallOutcome
  })

/** The `digest` a step was planned with: PVE's optimistic lock, kept from approval to the run. */
const digestOf = (step: PlanStep): string | null => {
  const digest = step.request.params?.digest
  return typeof digest === "string" ? digest : null
}

const withDigest = (step: PlanStep, digest: string | null): PlanStep =>
  digest === null || digestOf(step) === null
    ? step
    : { ...step, request: { ...step.request, params: { ...step.request.params, digest } } satisfies PveRequest }

/** Audits a plan of several steps as one line: what was done, what failed or still runs, what was not run. */
const auditPlan = (tool: AnyTool, steps: ReadonlyArray<StepReport>, outcome: "ok" | "failed" | "running") =>
  steps.length < 2
    ? Effect.void
    : Effect.flatMap(AuditLog, (audit) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          audit.record({ event: "pve_plan", time: new Date(now).toISOString(), tool: tool.name, outcome, steps })
        )
      )

/**
 * What a cancelled call does to the task it was waiting for: with PVE_CANCEL_STOPS_TASK=true a write tool sends
 * the stop through the policy client (audited like any write, under a gate that admits exactly this request);
 * otherwise, and always for a read tool, the task is left running. The log and a `pve_cancel` audit line say which.
 */
const cancellation = (tool: AnyTool) =>
  Effect.gen(function* () {
    const client = yield* ProxmoxClient
    const audit = yield* AuditLog
    const config = yield* PveConfig
    const record = (upid: string, task: "stopped" | "left running" | "stop failed", error?: ProxmoxError) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        audit.record({
          event: "pve_cancel",
          time: new Date(now).toISOString(),
          tool: tool.name,
          upid,
          task,
          ...(error === undefined ? {} : { error: { tag: error._tag, message: error.message } })
        })
      )
    const stop = (upid: string) =>
      Effect.gen(function* () {
        const node = parseUpid(upid)?.node ?? ""
        const request = yield* requestFor(taskStopEndpoint, { node, upid })
        const gate = yield* approvedGate([requestFingerprint(request)])
        yield* client.execute(request).pipe(Effect.provideService(WriteGate, gate))
      })
    // a read tool (pve_task_wait) never writes, not even on cancel: its readOnlyHint stays true
    const stops = config.cancelStopsTask && tool.kind !== "read"
    const why = config.cancelStopsTask ? "a read-only tool never stops tasks" : "PVE_CANCEL_STOPS_TASK=false"
    return {
      cancelled: (upid: string) =>
        stops
          ? Effect.either(stop(upid)).pipe(
              Effect.flatMap((sent) =>
                Either.isRight(sent)
                  ? Effect.logInfo(
                      `${tool.name} cancelled: task ${upid} was stopped (PVE_CANCEL_STOPS_TASK=true)`
                    ).pipe(Effect.zipRight(record(upid, "stopped")))
                  : Effect.logWarning(
                      `${tool.name} cancelled: stopping task ${upid} failed, it may still run: ${sent.left.message}`
                    ).pipe(Effect.zipRight(record(upid, "stop failed", sent.left)))
              )
            )
          : Effect.logInfo(`${tool.name} cancelled: task ${upid} was left running in Proxmox (${why})`).pipe(
              Effect.zipRight(record(upid, "left running"))
            )
    } satisfies TaskCancellation["Type"]
  })

/** What every waiting call gets: the progress listener, when the client asked for one, and the cancellation. */
const withWaiting = <A, E, R>(
  tool: AnyTool,
  effect: Effect.Effect<A, E, R>,
  progress: Option.Option<TaskProgress["Type"]>
): Effect.Effect<A, E, Exclude<R, TaskProgress | TaskCancellation> | Requirements> =>
  Effect.flatMap(cancellation(tool), (onCancel) => {
    const cancellable = Effect.provideService(effect, TaskCancellation, onCancel)
    return Option.match(progress, {
      onNone: () => cancellable,
      onSome: (p) => Effect.provideService(cancellable, TaskProgress, p)
    }) as Effect.Effect<A, E, Exclude<R, TaskProgress | TaskCancellation>>
  })

/**
 * Sends exactly the approved steps, in order, waiting for each task up to PVE_WAIT_MAX_MS (or only until the first
 * task is started, with `wait: false`); the answer is the tool's own, or "running" with the steps done so far. A
 * failure is reported step by step, unless the plan was one step that was not done: then it is that step's own
 * error.
 */
const execute = <O>(
  tool: AnyPlanningTool,
  toRun: Plan<O, ToolRequirements>,
  call: Pick<CallInput, "progress">,
  control: ControlArguments
) =>
  Effect.gen(function* () {
    const gate = yield* approvedGate(toRun.steps.map((s) => requestFingerprint(s.request)))
    const config = yield* PveConfig
    const until = (yield* Clock.currentTimeMillis) + config.waitMaxMs
    const waitForTasks = control.wait !== false
    const run = executePlan(toRun, { until, waitForTasks }).pipe(
      Effect.provideService(WriteGate, gate),
      (e) => withWaiting(tool, e, call.progress),
      Effect.tapError((e) => auditPlan(tool, e.steps, "failed")),
      Effect.tap((r) => auditPlan(tool, r.steps, r.status === "done" ? "ok" : "running")),
      // a single step that was not done fails with its own error; otherwise the steps tell what was done
      Effect.mapError(
        (e): ProxmoxError => (toRun.steps.length < 2 && !e.steps.some((s) => s.status === "done") ? e.failure : e)
      )
    )
    const result = yield* run
    if (result.status === "done") return answer(tool, result.output)
    const running = runningResult(tool.name, result.steps, result.running, waitForTasks ? "cap" : "not waited")
    return {
      _tag: "Running",
      structured: Schema.encodeSync(RunningResult)(running.result) as Record<string, unknown>,
      text: running.text
    } satisfies CallOutcome
  })

/** The retried call after the person answered: only a verified state and an accepted, ticked form run the plan. */
const afterAnswer = (
  tool: DestructiveTool<unknown, unknown, unknown, unknown>,
  call: CallInput,
  input: unknown,
  policy: CallPolicy,
  answered: { readonly state: unknown; readonly answer: ConfirmationAnswer }
) =>
  Effect.gen(function* () {
    const state = yield* Schema.decodeUnknown(ConfirmationState)(answered.state).pipe(
      Effect.mapError(() => refused("The confirmation state is not one this server issued; nothing was sent."))
    )
    if (state.tool !== tool.name || state.args !== argumentsDigest(tool.name, call.args)) {
      return yield* refused(
        "The confirmation answered belongs to a different call; nothing was sent. Call the tool again."
      )
    }
    const reply = answered.answer
    if (reply.action === "none") return yield* refused("The confirmation request got no answer; nothing was sent.")
    if (reply.action === "decline")
      return yield* refused(`The person declined ${tool.name}; nothing was sent to Proxmox.`)
    if (reply.action === "cancel") {
      return yield* refused(`The person cancelled the confirmation of ${tool.name}; nothing was sent to Proxmox.`)
    }
    if (reply.action !== "accept" || reply.content?.confirm !== true) {
      return yield* refused(`The confirmation box was not ticked; ${tool.name} did not run and nothing was sent.`)
    }
    if (!policy.nonces.consume(state.nonce)) {
      return yield* refused(
        "This confirmation was already used; nothing was sent. Call the tool again to be asked anew."
      )
    }
    // Planned again to run: the steps must be the ones approved, with the digests PVE's lock was read with then.
    const again = yield* planned(tool, input)
    const steps = again.steps.map((s, i) => withDigest(s, state.digests[i] ?? null))
    const changed = steps.findIndex((s, i) => requestFingerprint(s.request) !== state.writes[i])
    if (steps.length !== state.writes.length || changed !== -1) {
      const where =
        changed === -1
          ? `it now has ${steps.length} steps instead of ${state.writes.length}`
          : `step ${changed + 1} is now ${describePlan([steps[changed]!], "")}`
      return yield* new PolicyDenied({
        policy: "confirmation",
        message: `the plan changed since it was approved (${where}); nothing was sent, call the tool again to be asked anew`
      })
    }
    return yield* execute(tool, { steps, finish: again.finish }, call, splitArguments(call.args).control)
  })

/** The steps inline when there is one, else one numbered line each. */
const wouldSend = (steps: ReadonlyArray<PlanStep>) =>
  steps.length === 1 ? ` ${describePlan(steps, "")}` : `:\n${describePlan(steps)}\n`

/** A destructive call: confirmed by parameter, by the person, or both, as the server's mode says. */
const confirmed = (
  tool: DestructiveTool<unknown, unknown, unknown, unknown>,
  call: CallInput,
  input: unknown,
  control: ReturnType<typeof splitArguments>["control"],
  policy: CallPolicy
) =>
  Effect.gen(function* () {
    const method = confirmationMethod(policy.confirm, call.canElicit)
    if (method._tag === "Impossible") return yield* refused(`${tool.name} was not run: ${method.reason}.`)
    if (Option.isSome(call.answered) && method._tag === "Elicit") {
      return yield* afterAnswer(tool, call, input, policy, call.answered.value)
    }
    const toRun = yield* planned(tool, input)
    // a plan of no steps sends nothing: there is nothing to confirm (a task already stopped, a guest already off)
    if (toRun.steps.length === 0) return yield* execute(tool, toRun, call, control)
    if (method._tag === "Param" || method.alsoParam) {
      const problem = paramConfirmationProblem(tool, input as Record<string, unknown>, control)
      if (problem !== undefined) {
        // what would be sent, after the policies: a refused step is reported as refused, not as unconfirmed
        yield* preview(toRun.steps, "confirmation")
        return yield* refused(
          `${tool.name} is destructive and was not run: it would send${wouldSend(toRun.steps)}. To confirm, ${problem}.`
        )
      }
      if (method._tag === "Param") return yield* execute(tool, toRun, call, control)
    }
    yield* preview(toRun.steps, "confirmation")
    return {
      _tag: "AskPerson",
      message: confirmationMessage(tool, toRun.steps),
      form: confirmationForm(toRun.steps),
      state: {
        tool: tool.name,
        args: argumentsDigest(tool.name, call.args),
        writes: toRun.steps.map((s) => requestFingerprint(s.request)),
        digests: toRun.steps.map(digestOf),
        nonce: randomUUID()
      }
    } satisfies CallOutcome
  })

const run = (call: CallInput, policy: CallPolicy): Effect.Effect<CallOutcome, ProxmoxError, Requirements> =>
  Effect.gen(function* () {
    const tool = call.tool
    const { input, control } = splitArguments(call.args)
    const violation = argumentsViolation(policy.allowlists, input)
    if (violation !== undefined) return yield* new PolicyDenied({ policy: "allowlist", message: violation })
    if (tool.kind === "read") {
      const read = Effect.provideService(
        (tool as ReadTool<unknown, unknown, unknown, unknown>).handler(input),
        WriteGate,
        PLANNING
      )
      // a read tool that can follow a task (pve_task_wait, pve_api_get) waits with progress, cancellable like a
      // write; the others never look for either (both are optional services), so they are not built per call
      return answer(tool, yield* mayFollowTasks(tool) ? withWaiting(tool, read, call.progress) : read)
    }
    if (control.dryRun === true) return yield* dryRun(tool, (yield* planned(tool, input)).steps)
    if (tool.kind === "write") return yield* execute(tool, yield* planned(tool, input), call, control)
    return yield* confirmed(tool, call, input, control, policy)
  })

/** A refusal before anything was sent leaves one audit line with its reason (the client logs refused writes itself). */
const auditRefusal = (tool: AnyTool, error: ProxmoxError) =>
  Effect.gen(function* () {
    if (!(error instanceof PolicyDenied || error instanceof InvalidInput)) return
    // an answer over the budget is a read that was sent, not a refusal
    if (error instanceof PolicyDenied && error.policy === "answer-budget") return
    if ((yield* FiberRef.get(currentCall))?.refusalAudited === true) return
    const audit = yield* AuditLog
    const now = yield* Clock.currentTimeMillis
    yield* audit.record({
      event: "pve_refusal",
      time: new Date(now).toISOString(),
      tool: tool.name,
      error: { tag: error._tag, message: error.message }
    })
  })

/**
 * Arguments refused against the tool's input Schema, before a call reaches the pipeline (the MCP SDK checks them):
 * one audit line naming where they were wrong, never their values, which may hold a secret.
 */
export const auditArgumentRefusal = (tool: string, at: ReadonlyArray<string>): Effect.Effect<void, never, AuditLog> =>
  Effect.gen(function* () {
    const audit = yield* AuditLog
    const now = yield* Clock.currentTimeMillis
    const where = [...new Set(at)].slice(0, 20).map((p) => (p === "" ? "(the arguments)" : p.slice(0, 100)))
    yield* audit.record({
      event: "pve_refusal",
      time: new Date(now).toISOString(),
      tool,
      error: { tag: "InvalidInput", message: `the arguments do not match the input Schema at ${where.join(", ")}` }
    })
  })

// once per tool: what cut content must still match, and the argument names that narrow a request
const budgetCheckOf = oncePerObject(
  (
    tool: AnyTool
  ): { readonly valid: (tag: "Answer" | "DryRun" | "Running", value: unknown) => boolean; readonly hint: string } => {
    const own = Schema.is(Schema.typeSchema(tool.output))
    const dry = Schema.is(DryRunResult)
    const running = Schema.is(RunningResult)
    let names: ReadonlyArray<string> = []
    try {
      names = SchemaAST.getPropertySignatures(tool.input.ast).map((p) => String(p.name))
    } catch {
      // an input that is not a struct names no arguments
    }
    return {
      valid: (tag, value) => (tag === "Answer" ? own(value) : tag === "DryRun" ? dry(value) : running(value)),
      hint: narrowingHint(tool, names)
    }
  }
)

/**
 * The answer within PVE_MAX_ANSWER_BYTES: cut, and saying so, when it is over. A read that cannot be cut fails with
 * how to ask for less; a write's answer is never turned into a failure (its writes were done): it stays whole.
 */
const withinBudget = (tool: AnyTool, outcome: CallOutcome): Effect.Effect<CallOutcome, PolicyDenied, PveConfig> => {
  if (outcome._tag !== "Answer" && outcome._tag !== "DryRun" && outcome._tag !== "Running")
    return Effect.succeed(outcome)
  return Effect.flatMap(PveConfig, (config) => {
    const check = budgetCheckOf(tool)
    const fitted = fitAnswer(
      outcome.structured,
      outcome.text,
      config.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES,
      check.hint,
      (value) => check.valid(outcome._tag, value)
    )
    if (fitted._tag === "Fits") return Effect.succeed({ ...outcome, structured: fitted.structured, text: fitted.text })
    if (tool.kind !== "read") {
      return Effect.as(Effect.logWarning(`${tool.name}: ${fitted.message} (answered whole: it wrote)`), outcome)
    }
    return Effect.fail(new PolicyDenied({ policy: "answer-budget", message: fitted.message }))
  })
}

// Effect's own tracer, which keeps spans nobody reads: a tool's span (~11 µs a call) is made only under a tracer an
// embedding application installed
const untraced = Effect.runSync(Effect.tracer)

/** Runs one call to its outcome: failures become `Failed`, defects `Internal` (logged), never a thrown error. */
export const runToolCall = (call: CallInput, policy: CallPolicy): Effect.Effect<CallOutcome, never, Requirements> =>
  run(call, policy).pipe(
    Effect.flatMap((outcome) => withinBudget(call.tool, outcome)),
    Effect.either,
    Effect.flatMap((result) =>
      Either.isRight(result)
        ? Effect.as(Effect.logDebug(`${call.tool.name}: ok`), result.right)
        : auditRefusal(call.tool, result.left).pipe(
            Effect.zipRight(Effect.logInfo(`${call.tool.name}: ${result.left._tag}: ${result.left.message}`)),
            Effect.as({ _tag: "Failed", error: result.left } satisfies CallOutcome)
          )
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(Effect.logError(`${call.tool.name} failed unexpectedly`, Cause.die(defect)), {
        _tag: "Internal"
      } satisfies CallOutcome)
    ),
    Effect.locally(currentCall, {
      tool: call.tool.name,
      mayCall: toolMayCall(call.tool),
      caller: call.caller,
      refusalAudited: false
    }),
    (effect) =>
      Effect.tracerWith((tracer) =>
        tracer === untraced
          ? effect
          : // no stack trace captured: it cost ~20 µs of every call, and a tool's span is found by its name
            Effect.withSpan(effect, `tool.${call.tool.name}`, { captureStackTrace: false })
      )
  )
