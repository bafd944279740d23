import * as Schema from "effect/Schema"
import { StepReport } from "../proxmox/errors.js"
import type { TaskStillRunning } from "../proxmox/Tasks.js"

/**
 * What a write tool answers when its wait reached PVE_WAIT_MAX_MS (or the call asked `wait: false`) while a task
 * still runs: success so far, never an error. The steps done took effect, the running one goes on in PVE, the
 * rest were not sent; `next` tells the model how to go on.
 */
export const RunningResult = Schema.Struct({
  status: Schema.Literal("running").annotations({
    description: "A Proxmox task is still running: nothing failed, the call stopped waiting"
  }),
  tool: Schema.String,
  upids: Schema.Array(Schema.String).annotations({ description: "The running task(s): give them to pve_task_wait" }),
  steps: Schema.Array(StepReport).annotations({
    description: "Each step: done (took effect), running, or not run (not sent yet)"
  }),
  logTail: Schema.Array(Schema.String),
  percent: Schema.optional(Schema.Number.annotations({ description: "How far the task is, where Proxmox prints it" })),
  next: Schema.String.annotations({ description: "What to do to finish the operation" })
})
export type RunningResult = typeof RunningResult.Type

const stepLine = (s: StepReport) => {
  const status = s.status === "not run" ? "not started" : s.status
  const task = s.upid === undefined ? "" : ` (task ${s.upid}${s.exitStatus === undefined ? "" : `: ${s.exitStatus}`})`
  return `  ${s.step}. ${status} ${s.method} ${s.path}${task}`
}

export const runningResult = (
  tool: string,
  steps: ReadonlyArray<StepReport>,
  running: TaskStillRunning,
  why: "cap" | "not waited"
): { readonly result: RunningResult; readonly text: string } => {
  const rest = steps.some((s) => s.status === "not run")
  const next = rest
    ? `Call pve_task_wait with upids ["${running.upid}"] until it is done, then call ${tool} again with the same arguments: it plans again from the cluster's state, so the steps done are not repeated.`
    : `Call pve_task_wait with upids ["${running.upid}"] to wait for its end and its exit status.`
  const result: RunningResult = {
    status: "running",
    tool,
    upids: [running.upid],
    steps,
    logTail: running.logTail,
    ...(running.percent === undefined ? {} : { percent: running.percent }),
    next
  }
  const state =
    why === "cap"
      ? `still running when this call stopped waiting (PVE_WAIT_MAX_MS); nothing failed`
      : "started and not waited for (wait: false)"
  const percent = running.percent === undefined ? "" : ` (${running.percent}% so far)`
  const lines = [
    `${tool}: task ${running.upid} is ${state}${percent}.`,
    ...(steps.length > 1 ? ["Steps:", ...steps.map(stepLine)] : []),
    ...(running.logTail.length > 0 ? ["Last log lines:", ...running.logTail.slice(-5).map((l) => `  ${l}`)] : []),
    next
  ]
  return { result, text: lines.join("\n") }
}
