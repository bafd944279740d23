import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { PveConfig } from "../config/PveConfig.js"
import { call, callWithTotal, endpoint } from "./Endpoint.js"
import { InvalidInput, TaskFailed, TaskTimeout } from "./errors.js"
import { parseUpid } from "./Upid.js"
import { PveInt, PveNumber } from "./WireSchemas.js"

/** GET /nodes/{node}/tasks/{upid}/status (WIRE.md (b)); `exitstatus` only once stopped. */
export const TaskStatus = Schema.Struct({
  upid: Schema.String,
  node: Schema.String,
  pid: PveInt,
  pstart: PveNumber,
  starttime: PveNumber,
  type: Schema.String,
  id: Schema.String,
  user: Schema.String,
  tokenid: Schema.optional(Schema.String),
  status: Schema.String,
  exitstatus: Schema.optional(Schema.String)
})
export type TaskStatus = typeof TaskStatus.Type

export const TaskLogLine = Schema.Struct({ n: PveInt, t: Schema.String })

/** One row of GET /nodes/{node}/tasks: `status` is the raw exit status, or "RUNNING" for active tasks. */
export const TaskListEntry = Schema.Struct({
  upid: Schema.String,
  node: Schema.String,
  pid: PveInt,
  pstart: PveNumber,
  starttime: PveNumber,
  endtime: Schema.optional(PveNumber),
  type: Schema.String,
  id: Schema.String,
  user: Schema.String,
  tokenid: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String)
})

/** How a finished task went: `OK`, or `WARNINGS: n` with the warning lines. */
export interface TaskOutcome {
  readonly upid: string
  readonly node: string
  readonly type: string
  readonly exitStatus: string
  readonly warnings: number
  /** the log lines that carry warnings, when there were any */
  readonly warningLines: ReadonlyArray<string>
  readonly durationSeconds: number | undefined
}

/** Optional listener for polling progress; the MCP adapter turns it into progress notifications. */
export class TaskProgress extends Context.Tag("proxmox-mcp/TaskProgress")<
  TaskProgress,
  { readonly report: (status: TaskStatus, elapsedMs: number) => Effect.Effect<void> }
>() {}

const warningsPattern = /^WARNINGS: (\d+)$/

/** pve-common UPID.pm status_is_error: anything but OK or WARNINGS: n is a failure. */
export const isTaskSuccess = (exitStatus: string) => exitStatus === "OK" || warningsPattern.test(exitStatus)

/** Polls fast at first (150 ms) and backs off to every 2 s. */
export const taskPollSchedule = Schedule.exponential("150 millis", 1.5).pipe(
  Schedule.union(Schedule.spaced("2 seconds"))
)

const LOG_TAIL = 20

/** Where a task's status is read; the policy client also watches it, to audit how tasks end. */
export const taskStatusEndpoint = endpoint("GET", "/nodes/{node}/tasks/{upid}/status", TaskStatus)
export const taskLogEndpoint = endpoint("GET", "/nodes/{node}/tasks/{upid}/log", Schema.Array(TaskLogLine))
/** What waiting for a task reads: every plan with a task step may use these. */
export const taskEndpoints = [taskStatusEndpoint, taskLogEndpoint] as const

export const getTaskStatus = (upid: string) =>
  Effect.gen(function* () {
    const fields = parseUpid(upid)
    if (fields === undefined) {
      return yield* new InvalidInput({ field: "upid", message: `"${upid}" is not a Proxmox task id` })
    }
    return yield* call(taskStatusEndpoint, { node: fields.node, upid })
  })

/** The last `lines` lines of a task's log. */
export const getTaskLogTail = (upid: string, lines = LOG_TAIL) =>
  Effect.gen(function* () {
    const fields = parseUpid(upid)
    if (fields === undefined) {
      return yield* new InvalidInput({ field: "upid", message: `"${upid}" is not a Proxmox task id` })
    }
    const segments = { node: fields.node, upid }
    const head = yield* callWithTotal(taskLogEndpoint, segments, { start: 0, limit: lines })
    const total = head.total ?? head.data.length
    if (total <= lines) return head.data.map((l) => l.t)
    const tail = yield* callWithTotal(taskLogEndpoint, segments, { start: total - lines, limit: lines })
    return tail.data.map((l) => l.t)
  })

/**
 * Waits for a task to stop, bounded by the task timeout. A failed task is `TaskFailed` with its exit status and
 * log tail; `WARNINGS: n` counts as success but the warnings are returned, not hidden.
 */
export const waitForTask = (upid: string) =>
  Effect.gen(function* () {
    const config = yield* PveConfig
    const progress = yield* Effect.serviceOption(TaskProgress)
    const started = yield* Clock.currentTimeMillis
    const poll = getTaskStatus(upid).pipe(
      Effect.tap((status) =>
        Option.match(progress, {
          onNone: () => Effect.void,
          onSome: (p) => Effect.flatMap(Clock.currentTimeMillis, (now) => p.report(status, now - started))
        })
      )
    )
    const stopped = yield* poll.pipe(
      Effect.repeat(
        taskPollSchedule.pipe(
          Schedule.whileInput((s: TaskStatus) => s.status === "running"),
          Schedule.passthrough
        )
      ),
      Effect.timeoutFail({
        duration: Duration.millis(config.taskTimeoutMs),
        onTimeout: () => new TaskTimeout({ upid, timeoutMs: config.taskTimeoutMs })
      })
    )
    const exitStatus = stopped.exitstatus ?? "unexpected status"
    if (!isTaskSuccess(exitStatus)) {
      const logTail = yield* getTaskLogTail(upid).pipe(Effect.orElseSucceed(() => [] as string[]))
      return yield* new TaskFailed({ upid, exitStatus, logTail })
    }
    const warnings = Number(warningsPattern.exec(exitStatus)?.[1] ?? 0)
    const warningLines =
      warnings > 0
        ? (yield* getTaskLogTail(upid, 50).pipe(Effect.orElseSucceed(() => [] as string[]))).filter((l) =>
            /warn/i.test(l)
          )
        : []
    return {
      upid,
      node: stopped.node,
      type: stopped.type,
      exitStatus,
      warnings,
      warningLines,
      durationSeconds: Math.round(((yield* Clock.currentTimeMillis) - started) / 100) / 10
    } satisfies TaskOutcome
  }).pipe(Effect.withSpan("Tasks.waitForTask", { attributes: { upid } }))
