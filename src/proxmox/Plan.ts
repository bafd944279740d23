import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { PveConfig } from "../config/PveConfig.js"
import { type Endpoint, requestFor, type Segments } from "./Endpoint.js"
import { PlanFailed, type ProxmoxError, PveDecodeError, type StepReport, TaskFailed } from "./errors.js"
import { type Params, ProxmoxClient, type PveRequest } from "./ProxmoxClient.js"
import { type TaskOutcome, waitForTask } from "./Tasks.js"

/** One write of a plan: exactly the request that will be sent, and whether its task is waited for. */
export interface PlanStep {
  readonly request: PveRequest
  readonly startsTask: boolean
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

/** What a plan's run did, in the plan's order. */
export interface PlanRun<O> {
  readonly output: O
  readonly steps: ReadonlyArray<StepReport>
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

/**
 * Runs the steps in order through the ProxmoxClient (and so through its policies), waits for each task, and
 * stops at the first failure. On failure every step is reported as done, failed or not run; nothing is retried.
 */
export const executePlan = <O, R>(
  toRun: Plan<O, R>
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
          if (!step.startsTask) return { data: response.data, task: undefined }
          const upid = yield* upidOf(step, response.data)
          reports[index] = { ...reports[index]!, upid }
          const task = yield* waitForTask(upid)
          return { data: response.data, task }
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
      reports[index] = {
        ...reports[index]!,
        status: "done",
        ...(task === undefined ? {} : { exitStatus: task.exitStatus })
      }
      done.push({ request: step.request, data, task })
    }
    const output = yield* Effect.catchAll(toRun.finish(done), stop)
    return { output, steps: reports }
  })
