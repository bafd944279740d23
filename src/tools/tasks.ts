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
  taskStopEndpoint
} from "../proxmox/Tasks.js"
import { type AnyTool, destructiveTool, readTool } from "../proxmox/Tool.js"
import { parseUpid } from "../proxmox/Upid.js"
import { Upid } from "./fields.js"

export const pveTaskStatus = readTool({
  name: "pve_task_status",
  title: "Task status",
  description:
    "Status of a Proxmox task by its UPID: running or stopped, the exit status once stopped (OK, WARNINGS: n, or the error), and the last lines of its log.",
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
    "Waits for one or more Proxmox tasks (UPIDs, e.g. from a write tool that answered status running) to stop, up to PVE_WAIT_MAX_MS (50 s), with progress notifications. Each task's exit status (OK, WARNINGS: n, or the error), warnings and log tail; a task still running is reported as running: call again. Only reads: cancelling the wait leaves the tasks running (stop one with pve_task_stop).",
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
  description:
    "Stops a running Proxmox task by its UPID (the worker is killed, as the Stop button does): a backup, migration or clone is aborted half-way. Destructive: it must be confirmed by repeating the UPID. A task already stopped is left alone.",
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

export const taskTools: ReadonlyArray<AnyTool> = [pveTaskStatus, pveTaskWait, pveTaskStop]
