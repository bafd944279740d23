/**
 * Task history: one node's task archive (`GET /nodes/{node}/tasks`, filtered and paged by PVE) and the cluster's
 * recent tasks (`GET /cluster/tasks`, which takes no parameters: filtered and paged here), newest first; and a
 * task log read page by page.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { callWithTotal, endpoint } from "./Endpoint.js"
import { validateSegment } from "./Path.js"
import { isTaskSuccess, TaskListEntry, taskLogEndpoint } from "./Tasks.js"
import { parseUpid } from "./Upid.js"

export const nodeTasksEndpoint = endpoint("GET", "/nodes/{node}/tasks", Schema.Array(TaskListEntry))
export const clusterTasksEndpoint = endpoint("GET", "/cluster/tasks", Schema.Array(TaskListEntry))
export type TaskRecord = typeof TaskListEntry.Type

export interface TaskFilter {
  /** only tasks still running */
  readonly running?: boolean | undefined
  /** only tasks that failed (neither OK nor WARNINGS) */
  readonly failed?: boolean | undefined
  readonly type?: string | undefined
  readonly vmid?: number | undefined
  readonly user?: string | undefined
  /** epoch seconds */
  readonly since?: number | undefined
  readonly until?: number | undefined
}

const isRunning = (task: TaskRecord) => task.status === undefined || task.status === "RUNNING"

/** The same test PVE applies on a node, for the cluster list (which PVE does not filter). */
export const matchesFilter = (filter: TaskFilter) => (task: TaskRecord) => {
  const running = isRunning(task)
  if (filter.running === true && !running) return false
  if (filter.failed === true && (running || isTaskSuccess(task.status ?? ""))) return false
  if (filter.type !== undefined && task.type !== filter.type) return false
  if (filter.vmid !== undefined && task.id !== String(filter.vmid)) return false
  if (filter.user !== undefined) {
    const who = `${task.user}${task.tokenid === undefined ? "" : `!${task.tokenid}`}`.toLowerCase()
    if (!who.includes(filter.user.toLowerCase())) return false
  }
  if (filter.since !== undefined && task.starttime < filter.since) return false
  if (filter.until !== undefined && task.starttime > filter.until) return false
  return true
}

const newestFirst = (a: TaskRecord, b: TaskRecord) => b.starttime - a.starttime || (a.upid < b.upid ? 1 : -1)

/** One page of a node's tasks, filtered by PVE; `total` is how many match. */
export const listNodeTasks = (node: string, filter: TaskFilter, offset: number, limit: number) =>
  Effect.gen(function* () {
    yield* validateSegment("node", node)
    const { data, total } = yield* callWithTotal(
      nodeTasksEndpoint,
      { node },
      {
        source: filter.running === true ? "active" : "all",
        errors: filter.failed === true ? true : undefined,
        typefilter: filter.type,
        vmid: filter.vmid,
        userfilter: filter.user,
        since: filter.since,
        until: filter.until,
        start: offset,
        limit
      }
    )
    // PVE's typefilter is a substring match on some versions: keep exactly the type asked for
    const tasks = data.filter(matchesFilter({ type: filter.type, failed: filter.failed })).sort(newestFirst)
    return { tasks, total: total ?? offset + data.length, consumed: data.length }
  })

/** Every task of the cluster's recent list that matches, newest first. */
export const listClusterTasks = (filter: TaskFilter) =>
  Effect.map(callWithTotal(clusterTasksEndpoint, {}), ({ data }) =>
    data.filter(matchesFilter(filter)).sort(newestFirst)
  )

/** Lines `start`… of a task's log (PVE numbers them from 1) and how many it has. */
export const readTaskLog = (upid: string, start: number, limit: number) =>
  Effect.gen(function* () {
    const node = parseUpid(upid)?.node ?? ""
    const { data, total } = yield* callWithTotal(taskLogEndpoint, { node, upid }, { start, limit })
    return { lines: data, total: total ?? start + data.length }
  })
