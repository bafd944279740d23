/**
 * The task engine: workers that run for a while, append log lines, then stop with `OK`, `WARNINGS: n` or an
 * error, as PVE's fork_worker does. Progress is computed lazily from the clock on every read: no timers.
 */
import {
  type ClusterModel,
  exitStatusOf,
  finalLogLine,
  formatUpid,
  type SimNode,
  type Task,
  type TaskOutcome
} from "./model.js"

export interface TaskTiming {
  /** Default running time of a task. */
  readonly defaultDurationMs: number
  /** Per worker type (`qmstart`, `vzdump`, …). */
  readonly durations: Readonly<Record<string, number>>
}

export interface TaskSpec {
  readonly node: string
  readonly type: string
  readonly id: string
  readonly user: string
  /** Log lines the worker prints while it runs (spread over its duration). */
  readonly lines?: ReadonlyArray<string>
  readonly outcome?: TaskOutcome
  /** Overrides the configured duration (e.g. a shutdown that waits for its timeout). */
  readonly durationMs?: number
  readonly onSuccess?: () => void
  readonly onEnd?: () => void
}

interface TaskFault {
  readonly type: string | undefined
  readonly kind: "fail" | "hang"
  readonly exitStatus?: string
}

/** `OK`, `WARNINGS: n` or an error text, as an outcome. */
export const outcomeOf = (exitStatus: string): TaskOutcome => {
  if (exitStatus === "OK") return { _tag: "ok" }
  const warnings = /^WARNINGS: (\d+)$/.exec(exitStatus)
  if (warnings) return { _tag: "warnings", count: Number(warnings[1]) }
  return { _tag: "error", message: exitStatus }
}

export const makeTaskEngine = (model: ClusterModel, timing: TaskTiming, now: () => number) => {
  const running = new Set<Task>()
  const faults: Array<TaskFault> = []
  let lastStarttime = 0

  const takeFault = (type: string): TaskFault | undefined => {
    const index = faults.findIndex((fault) => fault.type === undefined || fault.type === type)
    if (index < 0) return undefined
    return faults.splice(index, 1)[0]
  }

  const finish = (task: Task, at: number, outcome: TaskOutcome): void => {
    running.delete(task)
    task.finished = true
    task.finishAt = at
    task.outcome = outcome
    task.endtime = Math.max(task.starttime, Math.floor(at / 1000))
    task.exitstatus = exitStatusOf(outcome)
    task.lines.push({ at: at - task.startedAt, text: finalLogLine(outcome) })
    try {
      if (outcome._tag !== "error") task.onSuccess?.()
    } finally {
      task.onEnd?.()
    }
  }

  const advance = (): void => {
    if (running.size === 0) return
    const time = now()
    const due = [...running].filter((task) => task.finishAt <= time).sort((a, b) => a.finishAt - b.finishAt)
    for (const task of due) finish(task, task.finishAt, task.outcome)
  }

  const start = (spec: TaskSpec): Task => {
    const node = model.nodes.get(spec.node) as SimNode
    const startedAt = now()
    // Real starttimes are seconds; keep UPIDs unique by never reusing a pid.
    const starttime = Math.max(Math.floor(startedAt / 1000), lastStarttime)
    lastStarttime = starttime
    const pid = node.nextPid++
    const pstart = Math.floor((startedAt - node.bootedAt) / 10)
    const fault = takeFault(spec.type)
    let outcome = spec.outcome ?? { _tag: "ok" }
    let duration = spec.durationMs ?? timing.durations[spec.type] ?? timing.defaultDurationMs
    if (fault?.kind === "fail") outcome = outcomeOf(fault.exitStatus ?? "unexpected status")
    if (fault?.kind === "hang") duration = Number.POSITIVE_INFINITY
    const texts = spec.lines ?? []
    const step = Number.isFinite(duration) ? duration / (texts.length + 1) : 50
    const task: Task = {
      upid: formatUpid({ node: spec.node, pid, pstart, starttime, type: spec.type, id: spec.id, user: spec.user }),
      node: spec.node,
      pid,
      pstart,
      starttime,
      type: spec.type,
      id: spec.id,
      user: spec.user,
      startedAt,
      finishAt: startedAt + duration,
      lines: texts.map((text, index) => ({ at: Math.floor(step * index), text })),
      outcome,
      onSuccess: spec.onSuccess,
      onEnd: spec.onEnd,
      finished: false,
      endtime: undefined,
      exitstatus: undefined
    }
    model.tasks.set(task.upid, task)
    model.taskOrder.push(task)
    running.add(task)
    if (duration <= 0) finish(task, startedAt, outcome)
    return task
  }

  /** `DELETE /nodes/{node}/tasks/{upid}`: the worker gets SIGTERM and dies with PVE's interrupt text. */
  const stop = (task: Task): void => {
    if (task.finished) return
    const message = task.type === "vzdump" ? "interrupted by signal" : "received interrupt"
    finish(task, now(), { _tag: "error", message })
  }

  return {
    start,
    advance,
    stop,
    isRunning: (task: Task): boolean => !task.finished,
    failNext: (type: string | undefined, exitStatus: string): void => {
      faults.push({ type, kind: "fail", exitStatus })
    },
    hangNext: (type: string | undefined): void => {
      faults.push({ type, kind: "hang" })
    },
    clearFaults: (): void => {
      faults.length = 0
    },
    /** Visible log lines of a task at this moment. */
    visibleLines: (task: Task): ReadonlyArray<string> => {
      const elapsed = now() - task.startedAt
      return task.lines.filter((line) => task.finished || line.at <= elapsed).map((line) => line.text)
    }
  }
}

export type TaskEngine = ReturnType<typeof makeTaskEngine>
