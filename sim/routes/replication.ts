/**
 * Storage replication jobs (`<guest>-<jobnum>`): the cluster-wide job list and CRUD, the per-node view with its
 * state fields, and `schedule_now`, which starts a `replicate` task on the guest's node.
 */
import type { ReplicationJob } from "../model.js"
import { die, type Route, type RouteContext } from "../routing.js"

const jobAt = (ctx: RouteContext): ReplicationJob => {
  const job = ctx.model.replicationJobs.get(ctx.str("id"))
  if (job === undefined) die(`replication job '${ctx.str("id")}' does not exist`)
  return job!
}

const applyJobParams = (ctx: RouteContext, job: Record<string, unknown>) => {
  for (const field of ["target", "schedule", "comment"]) {
    const value = ctx.optStr(field)
    if (value !== undefined) job[field] = value
  }
  if (ctx.optStr("rate") !== undefined) job.rate = Number(ctx.optStr("rate"))
  if (ctx.optStr("disable") !== undefined) job.disable = ctx.bool("disable") ? 1 : 0
  for (const field of (ctx.optStr("delete") ?? "").split(/[,;\s]+/).filter((f) => f !== "")) delete job[field]
}

const create: Route = (ctx) => {
  const id = ctx.str("id")
  if (ctx.model.replicationJobs.has(id)) die(`replication job '${id}' already exists`)
  const [guest = "0", jobnum = "0"] = id.split("-")
  if (!ctx.model.guests.has(Number(guest))) die(`guest '${guest}' does not exist`)
  const job = { id, guest: Number(guest), jobnum: Number(jobnum), type: "local", target: ctx.str("target") }
  applyJobParams(ctx, job)
  ctx.model.replicationJobs.set(id, job as unknown as ReplicationJob)
  return { data: null }
}

const onNode = (ctx: RouteContext) => {
  const node = ctx.str("node")
  const guest = ctx.optInt("guest")
  return [...ctx.model.replicationJobs.values()]
    .filter((job) => ctx.model.guests.get(job.guest)?.node === node && (guest === undefined || job.guest === guest))
    .map((job) => ({ ...job, source: node, last_sync: 0, fail_count: 0, duration: 0 }))
}

const scheduleNow: Route = (ctx) => {
  const job = jobAt(ctx)
  const task = ctx.state.tasks.start({
    node: ctx.str("node"),
    type: "replicate",
    id: job.id,
    user: ctx.principal.authid,
    lines: [`start replication job ${job.id}`, `guest => VM ${job.guest}, running => 1`]
  })
  return { data: task.upid }
}

export const replicationRoutes: Record<string, Route> = {
  "GET /cluster/replication": (ctx) => ({ data: [...ctx.model.replicationJobs.values()].map((job) => ({ ...job })) }),
  "POST /cluster/replication": create,
  "GET /cluster/replication/{id}": (ctx) => ({ data: { ...jobAt(ctx) } }),
  "PUT /cluster/replication/{id}": (ctx) => {
    applyJobParams(ctx, jobAt(ctx) as unknown as Record<string, unknown>)
    return { data: null }
  },
  "DELETE /cluster/replication/{id}": (ctx) => {
    ctx.model.replicationJobs.delete(jobAt(ctx).id)
    return { data: null }
  },
  "GET /nodes/{node}/replication": (ctx) => ({ data: onNode(ctx) }),
  "GET /nodes/{node}/replication/{id}/status": (ctx) => {
    const row = onNode(ctx).find((job) => job.id === ctx.str("id"))
    if (row === undefined) die(`replication job '${ctx.str("id")}' does not exist on this node`)
    return { data: row }
  },
  "POST /nodes/{node}/replication/{id}/schedule_now": scheduleNow
}
