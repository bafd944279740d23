import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { PveConfig } from "../config/PveConfig.js"
import { type Endpoint, requestFor, type Segments } from "./Endpoint.js"
import { PlanFailed, type ProxmoxError, PveDecodeError, type StepReport, TaskFailed } from "./errors.js"
import { type Params, ProxmoxClient, type PveRequest } from "./ProxmoxClient.js"
import { awaitTask, type TaskOutcome, type TaskStillRunning } from "./Tasks.js"
import { parseUpid } from "./Upid.js"

/** One write of a plan: exactly the request that will be sent, and whether its task is waited for. */
export interface PlanStep {
  readonly request: PveRequest
  readonly startsTask: boolean
  /** the generic API tool's step: its task is waited for when PVE answers with a UPID */
  readonly waitsIfTask?: boolean
}

/** A step that was sent: PVE's answer, and the task's outcome when it started one. */
export interface StepDone {
  readonly request: PveRequest
  readonly data: unknown
  readonly task: TaskOutcome | undefined
}

/**
 * Every write a tool will make, in order, decided before anything is written (a later step depends on an earlier
 * one only in ways known now: a new vmid is chosen while planning). `finish` turns the steps' results into the
 * tool's answer; it may read, never write.
 */
export interface Plan<O, R = never> {
  readonly steps: ReadonlyArray<PlanStep>
  readonly finish: (done: ReadonlyArray<StepDone>) => Effect.Effect<O, ProxmoxError, R>
}

/** A plan step for an endpoint, with every segment validated. */
export const planStep = <T extends string>(
  target: Pick<Endpoint<T>, "method" | "template" | "startsTask">,
  segments: Segments<T>,
  params?: Params
): Effect.Effect<PlanStep, ProxmoxError> =>
  Effect.map(requestFor(target, segments, params), (request) => ({ request, startsTask: target.startsTask }))

/** A plan of steps whose answer is computed by `finish`. */
export const plan = <O, R = never>(
  steps: ReadonlyArray<PlanStep>,
  finish: (done: ReadonlyArray<StepDone>) => Effect.Effect<O, ProxmoxError, R>
): Plan<O, R> => ({ steps, finish })

/**
 * What a plan's run did, in the plan's order: all steps done and the tool's answer, or stopped at the cap while
 * one step's task still runs (the steps before it done, the rest not run). Running is not a failure: the task
 * goes on in PVE, and the steps done stay done.
 */
export type PlanRun<O> =
  | { readonly status: "done"; readonly output: O; readonly steps: ReadonlyArray<StepReport> }
  | { readonly status: "running"; readonly steps: ReadonlyArray<StepReport>; readonly running: TaskStillRunning }

/** How long a run may wait for its tasks. */
export interface PlanWait {
  /** the moment (epoch ms) after which a task still running ends the run as running; none: wait to the end */
  readonly until?: number | undefined
  /** false: end the run as running as soon as the first task is started (the caller follows the UPID) */
  readonly waitForTasks?: boolean | undefined
}

const reportOf = (index: number, request: PveRequest, status: StepReport["status"]): StepReport => ({
  step: index + 1,
  method: request.method,
  path: request.path.path,
  status
})

const upidOf = (step: PlanStep, data: unknown): Effect.Effect<string, PveDecodeError> =>
  typeof data === "string" && data.startsWith("UPID:")
    ? Effect.succeed(data)
    : Effect.fail(
        new PveDecodeError({
          path: step.request.path.path,
          message: `expected a task id (UPID) from ${step.request.method} ${step.request.path.path}`
        })
      )

/** A task just started, not waited for. */
const justStarted = (upid: string): TaskStillRunning => {
  const fields = parseUpid(upid)
  return { upid, node: fields?.node ?? "", type: fields?.type ?? "", logTail: [], percent: undefined }
}

/**
 * Runs the steps in order through the ProxmoxClient (and so through its policies), waits for each task, and
 * stops at the first failure. On failure every step is reported as done, failed or not run; nothing is retried.
 * With `wait.until`, a task still running then ends the run as running; with `wait.waitForTasks: false`, the
 * first task started does.
 */
export const executePlan = <O, R>(
  toRun: Plan<O, R>,
  wait: PlanWait = {}
): Effect.Effect<PlanRun<O>, PlanFailed, R | ProxmoxClient | PveConfig> =>
  Effect.gen(function* () {
    const client = yield* ProxmoxClient
    const reports: StepReport[] = toRun.steps.map((s, i) => reportOf(i, s.request, "not run"))
    const done: StepDone[] = []
    const stop = (failure: ProxmoxError) => Effect.fail(new PlanFailed({ steps: reports, failure }))
    for (const [index, step] of toRun.steps.entries()) {
      const outcome = yield* Effect.either(
        Effect.gen(function* () {
          const response = yield* client.execute(step.request)
          const answeredTask = step.waitsIfTask === true && parseUpid(String(response.data)) !== undefined
          if (!step.startsTask && !answeredTask) return { data: response.data, task: undefined }
          const upid = yield* upidOf(step, response.data)
          reports[index] = { ...reports[index]!, upid }
          if (wait.waitForTasks === false) return { data: response.data, task: justStarted(upid) }
          const waiting = awaitTask(upid, { until: wait.until })
          // the generic API tool's task may be one whose status the allowlists do not show (a vzdump of several
          // guests names none): then its answer is PVE's own, the UPID, as if it had not been waited for
          const waited = answeredTask
            ? yield* Effect.catchTag(waiting, "PolicyDenied", () => Effect.succeed(undefined))
            : yield* waiting
          if (waited === undefined) return { data: response.data, task: undefined }
          return { data: response.data, task: waited._tag === "Stopped" ? waited.outcome : waited.running }
        })
      )
      if (Either.isLeft(outcome)) {
        const failure = outcome.left
        reports[index] = {
          ...reports[index]!,
          status: "failed",
          error: failure.message,
          ...(failure instanceof TaskFailed ? { exitStatus: failure.exitStatus, logTail: failure.logTail } : {})
        }
        return yield* stop(failure)
      }
      const { data, task } = outcome.right
      if (task !== undefined && !("exitStatus" in task)) {
        reports[index] = { ...reports[index]!, status: "running" }
        return { status: "running", steps: reports, running: task } satisfies PlanRun<O>
      }
      reports[index] = {
        ...reports[index]!,
        status: "done",
        ...(task === undefined ? {} : { exitStatus: task.exitStatus })
      }
      done.push({ request: step.request, data, task })
    }
    const output = yield* Effect.catchAll(toRun.finish(done), stop)
    return { status: "done", output, steps: reports } satisfies PlanRun<O>
  })

/** Runs a plan to its end, however long its tasks take (up to PVE_TASK_TIMEOUT_MS): embedding, no cap. */
export const executePlanToEnd = <O, R>(toRun: Plan<O, R>) =>
  Effect.flatMap(executePlan(toRun), (run) =>
    run.status === "done" ? Effect.succeed(run.output) : Effect.dieMessage("a plan without a cap ended running")
  )
