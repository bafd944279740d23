import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { PveConfig } from "../config/PveConfig.js"
import { InvalidInput } from "../proxmox/errors.js"
import { plan, planStep } from "../proxmox/Plan.js"
import {
  awaitTask,
  getTaskLogTail,
  getTaskStatus,
  isTaskSuccess,
  TaskStatus,
  taskEndpoints,
  taskLogEndpoint,
  taskStopEndpoint
} from "../proxmox/Tasks.js"
import { type AnyTool, destructiveTool, readTool } from "../proxmox/Tool.js"
import {
  clusterTasksEndpoint,
  listClusterTasks,
  listNodeTasks,
  nodeTasksEndpoint,
  readTaskLog,
  type TaskRecord
} from "../proxmox/taskHistory.js"
import { parseUpid } from "../proxmox/Upid.js"
import { Node, Upid, Vmid } from "./fields.js"
import { duration, iso, utc } from "./format.js"
import { epochOf, Moment, offsetOf, pageArguments, pageLine, pageOf } from "./readableUnits.js"

export const pveTaskStatus = readTool({
  name: "pve_task_status",
  title: "Task status",
  description: "A task's state by UPID, its exit status once stopped, and the last log lines.",
  toolset: "core",
  input: Schema.Struct({
    upid: Upid,
    logLines: Schema.optional(
      Schema.Int.pipe(Schema.between(0, 500)).annotations({ description: "How many log lines to include (default 20)" })
    )
  }),
  output: Schema.Struct({
    task: TaskStatus,
    succeeded: Schema.optional(Schema.Boolean),
    logTail: Schema.Array(Schema.String)
  }),
  endpoints: taskEndpoints,
  handler: ({ upid, logLines }) =>
    Effect.gen(function* () {
      const task = yield* getTaskStatus(upid)
      const lines = logLines ?? 20
      const logTail = lines === 0 ? [] : yield* getTaskLogTail(upid, lines)
      const succeeded = task.exitstatus === undefined ? undefined : isTaskSuccess(task.exitstatus)
      return { task, logTail, ...(succeeded === undefined ? {} : { succeeded }) }
    }),
  render: ({ task, logTail }) =>
    `${task.type} ${task.id} on ${task.node}: ${task.status}${task.exitstatus ? ` (${task.exitstatus})` : ""}${logTail.length ? `\n${logTail.join("\n")}` : ""}`
})

/** One waited task: how it ended (as the tool that started it would have said), or that it still runs. */
const WaitedTask = Schema.Struct({
  upid: Schema.String,
  node: Schema.String,
  type: Schema.String,
  status: Schema.Literal("stopped", "running"),
  exitStatus: Schema.optional(Schema.String),
  succeeded: Schema.optional(Schema.Boolean),
  warnings: Schema.optional(Schema.Number),
  warningLines: Schema.optional(Schema.Array(Schema.String)),
  percent: Schema.optional(Schema.Number),
  logTail: Schema.Array(Schema.String)
})
type WaitedTask = typeof WaitedTask.Type

const waitOne = (upid: string, until: number) =>
  Effect.gen(function* () {
    const waited = yield* awaitTask(upid, { until })
    if (waited._tag === "Running") {
      const { node, type, logTail, percent } = waited.running
      return {
        upid,
        node,
        type,
        status: "running",
        logTail,
        ...(percent === undefined ? {} : { percent })
      } satisfies WaitedTask
    }
    const { outcome } = waited
    const logTail = yield* getTaskLogTail(upid).pipe(Effect.orElseSucceed(() => [] as string[]))
    return {
      upid,
      node: outcome.node,
      type: outcome.type,
      status: "stopped",
      exitStatus: outcome.exitStatus,
      succeeded: true,
      warnings: outcome.warnings,
      ...(outcome.warningLines.length > 0 ? { warningLines: outcome.warningLines } : {}),
      logTail
    } satisfies WaitedTask
  }).pipe(
    // a failed task is an answer here, not an error of the wait: its exit status and log tail, as its tool said
    Effect.catchTag("TaskFailed", (failed) =>
      Effect.succeed({
        upid,
        node: parseUpid(upid)?.node ?? "",
        type: parseUpid(upid)?.type ?? "",
        status: "stopped",
        exitStatus: failed.exitStatus,
        succeeded: false,
        logTail: failed.logTail
      } satisfies WaitedTask)
    ),
    Effect.map((task): WaitedTask => task)
  )

export const pveTaskWait = readTool({
  name: "pve_task_wait",
  title: "Wait for tasks",
  description:
    "Waits for tasks up to PVE_WAIT_MAX_MS: exit status and log tail, or running (call again). Cancelling leaves them running.",
  toolset: "core",
  input: Schema.Struct({
    upids: Schema.Array(Upid).pipe(Schema.minItems(1), Schema.maxItems(20)).annotations({
      description: "The tasks to wait for (UPID:…)"
    })
  }),
  output: Schema.Struct({
    status: Schema.Literal("done", "running").annotations({
      description: "done: every task stopped; running: some still run (call pve_task_wait again)"
    }),
    tasks: Schema.Array(WaitedTask),
    next: Schema.optional(Schema.String)
  }),
  // only reads: a cancelled wait leaves the task running, whatever PVE_CANCEL_STOPS_TASK says
  endpoints: taskEndpoints,
  handler: ({ upids }) =>
    Effect.gen(function* () {
      const config = yield* PveConfig
      const until = (yield* Clock.currentTimeMillis) + config.waitMaxMs
      const tasks: WaitedTask[] = []
      // one after the other under one cap: the call ends when the last one does, or at the cap
      for (const upid of upids) tasks.push(yield* waitOne(upid, until))
      const running = tasks.filter((t) => t.status === "running").map((t) => t.upid)
      return running.length === 0
        ? { status: "done" as const, tasks }
        : {
            status: "running" as const,
            tasks,
            next: `Still running: call pve_task_wait again with upids ${JSON.stringify(running)}.`
          }
    }),
  render: ({ tasks, next }) =>
    [
      ...tasks.map((t) =>
        t.status === "running"
          ? `${t.type} ${t.upid}: still running${t.percent === undefined ? "" : ` (${t.percent}%)`}`
          : `${t.type} ${t.upid}: ${t.succeeded ? "done" : "FAILED"} (${t.exitStatus})${t.warningLines?.length ? `\n  ${t.warningLines.join("\n  ")}` : ""}${t.succeeded ? "" : `\n  ${t.logTail.slice(-5).join("\n  ")}`}`
      ),
      ...(next === undefined ? [] : [next])
    ].join("\n")
})

export const pveTaskStop = destructiveTool({
  name: "pve_task_stop",
  title: "Stop a task",
  description: "Kills a running task by UPID, like the Stop button: a backup, migration or clone is aborted half-way.",
  toolset: "lifecycle",
  input: Schema.Struct({ upid: Upid }),
  output: Schema.Struct({
    upid: Schema.String,
    wasRunning: Schema.Boolean,
    status: Schema.String,
    exitStatus: Schema.optional(Schema.String)
  }),
  endpoints: [...taskEndpoints, taskStopEndpoint],
  confirmTarget: { echo: "name", what: "task id (UPID)", of: (input) => input.upid },
  plan: ({ upid }) =>
    Effect.gen(function* () {
      const fields = parseUpid(upid)
      if (fields === undefined) {
        return yield* new InvalidInput({ field: "upid", message: `"${upid}" is not a Proxmox task id` })
      }
      const before = yield* getTaskStatus(upid)
      const after = () =>
        Effect.map(getTaskStatus(upid), (task) => ({
          upid,
          wasRunning: before.status === "running",
          status: task.status,
          ...(task.exitstatus === undefined ? {} : { exitStatus: task.exitstatus })
        }))
      // nothing to stop: the plan is empty and the answer says so
      if (before.status !== "running") return plan([], after)
      return plan([yield* planStep(taskStopEndpoint, { node: fields.node, upid })], after)
    }),
  render: ({ upid, wasRunning, status, exitStatus }) =>
    wasRunning
      ? `task ${upid}: stop sent; now ${status}${exitStatus ? ` (${exitStatus})` : ""}`
      : `task ${upid} was not running (${exitStatus ?? status}); nothing was sent`
})

const TaskRow = Schema.Struct({
  upid: Schema.String,
  node: Schema.String,
  type: Schema.String,
  id: Schema.String.annotations({ description: "the guest's vmid, a storage or another object; may be empty" }),
  user: Schema.String,
  status: Schema.Literal("running", "ok", "warnings", "failed"),
  exitStatus: Schema.optional(Schema.String),
  started: Schema.String.annotations({ description: "ISO 8601, UTC" }),
  ended: Schema.optional(Schema.String),
  durationSeconds: Schema.optional(Schema.Number)
})
type TaskRow = typeof TaskRow.Type

const rowOf = (task: TaskRecord): TaskRow => {
  const running = task.status === undefined || task.status === "RUNNING"
  const exit = running ? undefined : task.status
  return {
    upid: task.upid,
    node: task.node,
    type: task.type,
    id: task.id,
    user: task.tokenid === undefined ? task.user : `${task.user}!${task.tokenid}`,
    status: running ? "running" : exit === "OK" ? "ok" : isTaskSuccess(exit ?? "") ? "warnings" : "failed",
    ...(exit === undefined ? {} : { exitStatus: exit }),
    started: iso(task.starttime),
    ...(task.endtime === undefined ? {} : { ended: iso(task.endtime), durationSeconds: task.endtime - task.starttime })
  }
}

const TASK_PAGE = 50
const TASK_PAGE_MAX = 200

export const pveListTasks = readTool({
  name: "pve_list_tasks",
  title: "List tasks",
  description:
    "Task history, newest first: a node's archive (with node) or the cluster's recent tasks; filter by state, type, vmid, user, time.",
  toolset: "core",
  input: Schema.Struct({
    node: Schema.optional(
      Node.annotations({
        description: "Only this node's tasks (its whole archive); without it, the cluster's recent tasks"
      })
    ),
    running: Schema.optional(Schema.Boolean.annotations({ description: "Only tasks still running" })),
    failed: Schema.optional(Schema.Boolean.annotations({ description: "Exit status neither OK nor WARNINGS" })),
    type: Schema.optional(
      Schema.String.pipe(Schema.pattern(/^[a-zA-Z0-9_-]{1,32}$/)).annotations({
        description: "e.g. vzdump, qmstart, qmigrate"
      })
    ),
    vmid: Schema.optional(Vmid),
    user: Schema.optional(
      Schema.String.pipe(Schema.pattern(/^[^\s:]{1,64}$/)).annotations({
        description: "Part of user@realm or token id"
      })
    ),
    since: Schema.optional(Moment.annotations({ description: "Started at or after: ISO 8601 or epoch s" })),
    until: Schema.optional(Moment.annotations({ description: "Started at or before" })),
    ...pageArguments(TASK_PAGE, TASK_PAGE_MAX)
  }),
  output: Schema.Struct({
    scope: Schema.String,
    offset: Schema.Number,
    tasks: Schema.Array(TaskRow),
    total: Schema.Number,
    nextCursor: Schema.optional(Schema.String)
  }),
  endpoints: [nodeTasksEndpoint, clusterTasksEndpoint],
  handler: (input) =>
    Effect.gen(function* () {
      const filter = {
        running: input.running,
        failed: input.failed,
        type: input.type,
        vmid: input.vmid,
        user: input.user,
        since: input.since === undefined ? undefined : epochOf(input.since),
        until: input.until === undefined ? undefined : epochOf(input.until)
      }
      const limit = input.limit ?? TASK_PAGE
      if (input.node !== undefined) {
        const offset = offsetOf(input.cursor)
        const { tasks, total, consumed } = yield* listNodeTasks(input.node, filter, offset, limit)
        const next = offset + consumed
        return {
          scope: `node ${input.node}`,
          offset,
          tasks: tasks.map(rowOf),
          total,
          ...(next < total && consumed > 0 ? { nextCursor: String(next) } : {})
        }
      }
      const all = yield* listClusterTasks(filter)
      const { page, total, offset, nextCursor } = pageOf(all, input.cursor, limit)
      return {
        scope: "cluster",
        offset,
        tasks: page.map(rowOf),
        total,
        ...(nextCursor === undefined ? {} : { nextCursor })
      }
    }),
  render: ({ scope, offset, tasks, total, nextCursor }) => {
    return [
      `${scope}: ${pageLine("tasks", tasks.length, offset, total, nextCursor)}`,
      ...tasks.map(
        (t) =>
          `${utc(Date.parse(t.started) / 1000)} ${t.node} ${t.type}${t.id ? ` ${t.id}` : ""} ${t.user} ${t.status === "failed" ? `FAILED: ${t.exitStatus}` : t.status === "warnings" ? t.exitStatus : t.status === "running" ? "running" : "OK"}${t.durationSeconds === undefined ? "" : ` ${duration(t.durationSeconds)}`}\n  ${t.upid}`
      )
    ].join("\n")
  }
})

const LOG_PAGE = 50
const LOG_PAGE_MAX = 1000

export const pveTaskLog = readTool({
  name: "pve_task_log",
  title: "Task log",
  description: "A task's log lines by UPID, a page at a time, with the log's line count.",
  toolset: "core",
  input: Schema.Struct({
    upid: Upid,
    start: Schema.optional(
      Schema.Int.pipe(Schema.between(0, 10_000_000)).annotations({
        description: "First line, from 0"
      })
    ),
    limit: Schema.optional(
      Schema.Int.pipe(Schema.between(1, LOG_PAGE_MAX)).annotations({
        description: `Lines to read (default ${LOG_PAGE}, at most ${LOG_PAGE_MAX})`
      })
    )
  }),
  output: Schema.Struct({
    upid: Schema.String,
    start: Schema.Number,
    lines: Schema.Array(Schema.String),
    total: Schema.Number,
    nextStart: Schema.optional(Schema.Number)
  }),
  endpoints: [taskLogEndpoint],
  handler: ({ upid, start, limit }) =>
    Effect.gen(function* () {
      if (parseUpid(upid) === undefined) {
        return yield* new InvalidInput({ field: "upid", message: `"${upid}" is not a Proxmox task id` })
      }
      const first = start ?? 0
      const { lines, total } = yield* readTaskLog(upid, first, limit ?? LOG_PAGE)
      const next = first + lines.length
      return {
        upid,
        start: first,
        lines: lines.map((line) => line.t),
        total,
        ...(next < total && lines.length > 0 ? { nextStart: next } : {})
      }
    }),
  render: ({ upid, start, lines, total, nextStart }) =>
    [
      `${upid} lines ${lines.length === 0 ? "none" : `${start + 1}–${start + lines.length}`} of ${total}${nextStart === undefined ? "" : `; next page: start ${nextStart}`}`,
      ...lines
    ].join("\n")
})

export const taskHistoryTools: ReadonlyArray<AnyTool> = [pveListTasks, pveTaskLog]

export const taskTools: ReadonlyArray<AnyTool> = [pveTaskStatus, pveTaskWait, pveTaskStop, ...taskHistoryTools]
