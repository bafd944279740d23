/** `/nodes/{node}/tasks`: list, status, log and stop, as pve-manager PVE/API2/Tasks.pm. */
import { splitList } from "../../src/proxmox/ApiSchema.js"
import { parseUpid, type Task } from "../model.js"
import { paramError, permissionDenied, type Route, type RouteContext } from "../routing.js"

/** Fields common to status and list; a token's tasks show `user` and `tokenid` split ($convert_token_task). */
const taskIdentity = (task: Task): Record<string, unknown> => {
  const [user, tokenid] = task.user.split("!")
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user,
    ...(tokenid === undefined ? {} : { tokenid })
  }
}

export const taskListEntry = (task: Task): Record<string, unknown> => ({
  ...taskIdentity(task),
  ...(task.finished ? { endtime: task.endtime, status: task.exitstatus } : {})
})

/** The task named by {upid}, or PVE's 400s for an unparsable or unknown UPID. */
const taskAt = (ctx: RouteContext, audit: string): Task => {
  const upid = ctx.str("upid")
  if (parseUpid(upid) === undefined) return paramError({ upid: "unable to parse worker upid" })
  const task = ctx.model.tasks.get(upid)
  if (task === undefined || task.node !== ctx.str("node")) return paramError({ upid: "no such task" })
  if (task.user !== ctx.principal.authid && !ctx.can(`/nodes/${task.node}`, [audit])) {
    permissionDenied(`/nodes/${task.node}, ${audit}`)
  }
  return task
}

const status: Route = (ctx) => {
  const task = taskAt(ctx, "Sys.Audit")
  return {
    data: {
      ...taskIdentity(task),
      status: task.finished ? "stopped" : "running",
      ...(task.finished ? { exitstatus: task.exitstatus } : {})
    }
  }
}

const log: Route = (ctx) => {
  const task = taskAt(ctx, "Sys.Audit")
  const lines = ctx.state.tasks.visibleLines(task)
  const start = ctx.optInt("start") ?? 0
  const limit = ctx.optInt("limit") || 50
  if (lines.length === 0) return { data: [{ n: 1, t: "no content" }], total: 1 }
  const data = lines.slice(start, start + limit).map((t, index) => ({ n: start + index + 1, t }))
  return { data, total: lines.length }
}

const stop: Route = (ctx) => {
  const task = taskAt(ctx, "Sys.Modify")
  ctx.state.tasks.stop(task)
  return { data: null }
}

const statusClass = (exitstatus: string | undefined): string => {
  if (exitstatus === "OK") return "ok"
  if (exitstatus !== undefined && /^WARNINGS: \d+$/.test(exitstatus)) return "warning"
  if (exitstatus === "unexpected status") return "unknown"
  return "error"
}

const list: Route = (ctx) => {
  const node = ctx.str("node")
  const source = ctx.optStr("source") ?? "archive"
  const start = ctx.optInt("start") ?? 0
  const limit = ctx.optInt("limit") ?? 50
  const vmid = ctx.optStr("vmid")
  const typefilter = ctx.optStr("typefilter")?.toLowerCase()
  const userfilter = ctx.optStr("userfilter")?.toLowerCase()
  const since = ctx.optInt("since")
  const until = ctx.optInt("until")
  const onlyErrors = ctx.bool("errors")
  const statusfilter = ctx.optStr("statusfilter")
  const wanted = statusfilter === undefined ? undefined : new Set(splitList(statusfilter).map((s) => s.toLowerCase()))
  const auditor = ctx.can(`/nodes/${node}`, ["Sys.Audit"])
  const matching = [...ctx.model.taskOrder].reverse().filter((task) => {
    if (task.node !== node) return false
    if (source === "archive" && !task.finished) return false
    if (source === "active" && task.finished) return false
    if (!auditor && task.user !== ctx.principal.authid) return false
    if (vmid !== undefined && task.id !== vmid) return false
    if (typefilter !== undefined && !task.type.toLowerCase().includes(typefilter)) return false
    if (userfilter !== undefined && !task.user.toLowerCase().includes(userfilter)) return false
    if (since !== undefined && task.starttime < since) return false
    if (until !== undefined && task.starttime > until) return false
    if (onlyErrors && (!task.finished || statusClass(task.exitstatus) !== "error")) return false
    if (wanted !== undefined && task.finished && !wanted.has(statusClass(task.exitstatus))) return false
    return true
  })
  const page = matching.slice(start, start + limit).map((task) => ({
    ...taskListEntry(task),
    ...(task.finished ? {} : { status: "RUNNING" })
  }))
  return { data: page, total: matching.length }
}

const index: Route = (ctx) => {
  taskAt(ctx, "Sys.Audit")
  return { data: [{ name: "log" }, { name: "status" }] }
}

export const taskRoutes: Record<string, Route> = {
  "GET /nodes/{node}/tasks": list,
  "GET /nodes/{node}/tasks/{upid}": index,
  "GET /nodes/{node}/tasks/{upid}/status": status,
  "GET /nodes/{node}/tasks/{upid}/log": log,
  "DELETE /nodes/{node}/tasks/{upid}": stop
}
