import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { PveConfig } from "../config/PveConfig.js"
import { call, callWithTotal, endpoint } from "./Endpoint.js"
import { InvalidInput, type ProxmoxError, TaskFailed, TaskTimeout } from "./errors.js"
import type { ProxmoxClient } from "./ProxmoxClient.js"
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

/** What one poll of a waited task found: the status, the log lines new since the last poll, and a percentage. */
export interface TaskProgressUpdate {
  readonly status: TaskStatus
  readonly elapsedMs: number
  /** log lines printed since the previous update (read only while someone listens) */
  readonly newLines: ReadonlyArray<string>
  /** the last percentage the log printed (vzdump, clone, migrate, move disk, download, restore) */
  readonly percent: number | undefined
}

/** Optional listener for polling progress; the MCP adapter turns it into progress notifications. */
export class TaskProgress extends Context.Tag("proxmox-mcp/TaskProgress")<
  TaskProgress,
  { readonly report: (update: TaskProgressUpdate) => Effect.Effect<void> }
>() {}

/**
 * What happens to a task whose waiter is interrupted (the client cancelled): the pipeline provides it, to stop
 * the task through the policies when PVE_CANCEL_STOPS_TASK=true and to audit either way. Without it the task is
 * left running and the log says so.
 */
export class TaskCancellation extends Context.Tag("proxmox-mcp/TaskCancellation")<
  TaskCancellation,
  { readonly cancelled: (upid: string) => Effect.Effect<void> }
>() {}

const warningsPattern = /^WARNINGS: (\d+)$/

/** pve-common UPID.pm status_is_error: anything but OK or WARNINGS: n is a failure. */
export const isTaskSuccess = (exitStatus: string) => exitStatus === "OK" || warningsPattern.test(exitStatus)

/**
 * The lines PVE prints its progress in, one pattern each (a generic "n%" would also take vzdump's closing
 * "backup is sparse: 3.51 GiB (43%) total zero data" or a restore's "zeroes = 3%"):
 */
const percentPatterns: ReadonlyArray<RegExp> = [
  // vzdump: `INFO:  45% (14.4 GiB of 32.0 GiB) in 1m 2s, read: …, write: …`
  /^INFO:\s+(\d{1,3})% \(/,
  // qmclone, move disk, storage migration, mirror: `drive-scsi0: transferred 1.2 GiB of 32.0 GiB (3.75%) in 2s`
  /transferred .* \((\d{1,3}(?:\.\d+)?)%\)/,
  // qmrestore / vma and PBS restores: `progress 45% (read 15461882880 bytes, duration 20 sec)`
  /^progress (\d{1,3})% \(/,
  // download-url (wget): `  524288K ........ ........ ........ ........ 13%  102M 27s`
  /^\s*\d+[KMG]? [. ]+ (\d{1,3})%/
]

/** The percentage a PVE task log line prints, if it is a progress line. */
export const percentOf = (line: string): number | undefined => {
  for (const pattern of percentPatterns) {
    const match = pattern.exec(line)
    if (match !== null) {
      const value = Number(match[1])
      return value <= 100 ? value : undefined
    }
  }
  return undefined
}

/**
 * How often a running task's status is read: fast at first (a start or a config task is seen done at once), then
 * 1.5 times longer each poll with jitter (so waiters do not poll in step), but never longer than 120 ms plus 28 % of
 * the time waited so far, nor than 8 s. So an answer comes on average about 15 % (at most about 30 %) after the
 * task's end, and a 60 s task takes about 24 status reads (a fixed 1.5 s poll: 40); scripts/bench-tasks.ts measures
 * 1 s, 10 s and 60 s tasks. The waiter resets the schedule when the log shows progress.
 */
export const taskPollSchedule = Schedule.exponential("120 millis", 1.5).pipe(
  Schedule.intersect(Schedule.elapsed),
  Schedule.modifyDelay(([, elapsed], delay) =>
    Duration.min(delay, Duration.millis(Math.min(8_000, 120 + 0.28 * Duration.toMillis(elapsed))))
  ),
  Schedule.jitteredWith({ min: 0.8, max: 1 })
)

const LOG_TAIL = 20
const RESET_AT_MOST_EVERY_MS = 5_000

/** Where a task's status is read; the policy client also watches it, to audit how tasks end. */
export const taskStatusEndpoint = endpoint("GET", "/nodes/{node}/tasks/{upid}/status", TaskStatus)
export const taskLogEndpoint = endpoint("GET", "/nodes/{node}/tasks/{upid}/log", Schema.Array(TaskLogLine))
/** What reading a task uses. */
export const taskEndpoints = [taskStatusEndpoint, taskLogEndpoint] as const
/** Stops a running task (the worker gets SIGTERM); answers null. */
export const taskStopEndpoint = endpoint("DELETE", "/nodes/{node}/tasks/{upid}", Schema.Null)
/**
 * What waiting for a task uses: every plan with a task step may use these (the stop only when the client cancels
 * and PVE_CANCEL_STOPS_TASK=true).
 */
export const taskWaitEndpoints = [...taskEndpoints, taskStopEndpoint] as const

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

/** A task that was still running when the wait ended at its cap. */
export interface TaskStillRunning {
  readonly upid: string
  readonly node: string
  readonly type: string
  readonly logTail: ReadonlyArray<string>
  readonly percent: number | undefined
}

export type TaskWaited =
  | { readonly _tag: "Stopped"; readonly outcome: TaskOutcome }
  | { readonly _tag: "Running"; readonly running: TaskStillRunning }

const logTailOrNone = (upid: string, lines?: number) =>
  getTaskLogTail(upid, lines).pipe(Effect.orElseSucceed(() => [] as string[]))

/** The log lines after the first `seen`, for progress; a failed read only means no lines this time. */
const newLogLines = (upid: string, node: string, seen: number) =>
  callWithTotal(taskLogEndpoint, { node, upid }, { start: seen, limit: 500 }).pipe(
    Effect.map((page) => {
      // PVE answers an empty log with one line "no content" (n = 1): not a line of the task
      const lines = page.data.filter((l) => l.n > seen && !(l.n === 1 && l.t === "no content" && page.total === 1))
      return lines.map((l) => l.t)
    }),
    Effect.orElseSucceed(() => [] as string[])
  )

/**
 * Waits for a task to stop, bounded by the task timeout and, when `until` is given, by that moment (epoch ms):
 * then the answer is `Running` with the log tail, not an error. A failed task is `TaskFailed` with its exit
 * status and log tail; `WARNINGS: n` counts as success but the warnings are returned, not hidden. While someone
 * listens (TaskProgress), each poll also reads the new log lines and their percentage. When the waiter is
 * interrupted (the client cancelled), polling stops at once and TaskCancellation decides about the task.
 */
export const awaitTask = (upid: string, options: { readonly until?: number | undefined } = {}) =>
  Effect.gen(function* () {
    const config = yield* PveConfig
    const fields = parseUpid(upid)
    if (fields === undefined) {
      return yield* new InvalidInput({ field: "upid", message: `"${upid}" is not a Proxmox task id` })
    }
    const progress = yield* Effect.serviceOption(TaskProgress)
    const started = yield* Clock.currentTimeMillis
    const timeoutAt = started + config.taskTimeoutMs
    const capAt = options.until ?? Number.POSITIVE_INFINITY
    const driver = yield* Schedule.driver(taskPollSchedule)
    let seenLines = 0
    let lastReset = started
    let percent: number | undefined
    // with a listener, the new log lines are read beside each status read, not after it: no poll costs two round trips
    const poll = (): Effect.Effect<readonly [TaskStatus, ReadonlyArray<string>], ProxmoxError, ProxmoxClient> =>
      Option.isSome(progress)
        ? Effect.all([getTaskStatus(upid), newLogLines(upid, fields.node, seenLines)], { concurrency: 2 })
        : Effect.map(getTaskStatus(upid), (s) => [s, []] as const)
    let [status, lines] = yield* poll()
    while (true) {
      if (Option.isSome(progress)) {
        seenLines += lines.length
        for (const line of lines) percent = percentOf(line) ?? percent
        const now = yield* Clock.currentTimeMillis
        // the log moved: the end may be near, so look again soon (at most every few seconds: a chatty log must
        // not turn into fast polling)
        if (lines.length > 0 && status.status === "running" && now - lastReset >= RESET_AT_MOST_EVERY_MS) {
          lastReset = now
          yield* driver.reset
        }
        yield* progress.value.report({ status, elapsedMs: now - started, newLines: lines, percent })
      }
      if (status.status !== "running") break
      const now = yield* Clock.currentTimeMillis
      if (now >= capAt) {
        const logTail = yield* logTailOrNone(upid)
        // without a listener the log was not read while polling: the tail still tells how far the task is
        const lastPercent = percent ?? logTail.map(percentOf).findLast((p) => p !== undefined)
        return {
          _tag: "Running",
          running: { upid, node: status.node, type: status.type, logTail, percent: lastPercent }
        } satisfies TaskWaited
      }
      if (now >= timeoutAt) return yield* new TaskTimeout({ upid, timeoutMs: config.taskTimeoutMs })
      // the next poll, but never past the cap or the timeout (the driver keeps its state when the sleep is cut)
      yield* driver.next(status).pipe(Effect.timeout(Duration.millis(Math.min(capAt, timeoutAt) - now)), Effect.ignore)
      ;[status, lines] = yield* poll()
    }
    const exitStatus = status.exitstatus ?? "unexpected status"
    if (!isTaskSuccess(exitStatus)) {
      return yield* new TaskFailed({ upid, exitStatus, logTail: yield* logTailOrNone(upid) })
    }
    const warnings = Number(warningsPattern.exec(exitStatus)?.[1] ?? 0)
    const warningLines = warnings > 0 ? (yield* logTailOrNone(upid, 50)).filter((l) => /warn/i.test(l)) : []
    const outcome: TaskOutcome = {
      upid,
      node: status.node,
      type: status.type,
      exitStatus,
      warnings,
      warningLines,
      durationSeconds: Math.round(((yield* Clock.currentTimeMillis) - started) / 100) / 10
    }
    return { _tag: "Stopped", outcome } satisfies TaskWaited
  }).pipe(
    Effect.onInterrupt(() =>
      Effect.flatMap(Effect.serviceOption(TaskCancellation), (cancellation) =>
        Option.match(cancellation, {
          onNone: () => Effect.logInfo(`cancelled while waiting for ${upid}: the task was left running`),
          onSome: (c) => c.cancelled(upid)
        })
      )
    ),
    Effect.withSpan("Tasks.awaitTask", { attributes: { upid } })
  )

/** Waits for a task to stop, bounded only by the task timeout (PVE_TASK_TIMEOUT_MS). */
export const waitForTask = (upid: string): Effect.Effect<TaskOutcome, ProxmoxError, ProxmoxClient | PveConfig> =>
  Effect.flatMap(awaitTask(upid), (waited) =>
    waited._tag === "Stopped" ? Effect.succeed(waited.outcome) : Effect.dieMessage("a wait without a cap ended early")
  )
