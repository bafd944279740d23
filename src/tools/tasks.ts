import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { getTaskLogTail, getTaskStatus, isTaskSuccess, TaskStatus, taskEndpoints } from "../proxmox/Tasks.js"
import { readTool } from "../proxmox/Tool.js"
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
