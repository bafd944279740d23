/** Resource pools: list, create, read (members as cluster/resources entries), update membership, delete. */
import { splitList } from "../../src/proxmox/ApiSchema.js"
import type { Pool } from "../model.js"
import { die, paramError, type Route, type RouteContext } from "../routing.js"
import { guestResource } from "./guestViews.js"

const poolAt = (ctx: RouteContext, poolid = ctx.str("poolid")): Pool => {
  const pool = ctx.model.pools.get(poolid)
  if (pool === undefined) die(`pool '${poolid}' does not exist`)
  return pool!
}

const members = (ctx: RouteContext, pool: Pool, type?: string) =>
  [...ctx.model.guests.values()]
    .filter((guest) => guest.pool === pool.poolid && (type === undefined || guest.type === type))
    .map((guest) => guestResource(ctx.model, guest, ctx.now))

const list: Route = (ctx) => {
  const only = ctx.optStr("poolid")
  const data = [...ctx.model.pools.values()]
    .filter((pool) => (only === undefined || pool.poolid === only) && ctx.can(`/pool/${pool.poolid}`, ["Pool.Audit"]))
    .map((pool) => ({
      poolid: pool.poolid,
      ...(pool.comment === "" ? {} : { comment: pool.comment }),
      ...(only === undefined ? {} : { members: members(ctx, pool, ctx.optStr("type")) })
    }))
  return { data }
}

const create: Route = (ctx) => {
  const poolid = ctx.str("poolid")
  if (ctx.model.pools.has(poolid)) die(`pool '${poolid}' already exists`)
  ctx.model.pools.set(poolid, { poolid, comment: ctx.optStr("comment") ?? "" })
  return { data: null }
}

const read: Route = (ctx) => {
  const pool = poolAt(ctx)
  return {
    data: { ...(pool.comment === "" ? {} : { comment: pool.comment }), members: members(ctx, pool, ctx.optStr("type")) }
  }
}

const update: Route = (ctx) => {
  const pool = poolAt(ctx)
  const comment = ctx.optStr("comment")
  if (comment !== undefined) pool.comment = comment
  const remove = ctx.bool("delete")
  for (const vmid of splitList(ctx.optStr("vms") ?? "").map(Number)) {
    const guest = ctx.model.guests.get(vmid)
    if (guest === undefined) die(`no such VM ${vmid}`)
    if (remove) {
      if (guest!.pool === pool.poolid) guest!.pool = undefined
    } else {
      if (guest!.pool !== undefined && guest!.pool !== pool.poolid && !ctx.bool("allow-move")) {
        die(`VM ${vmid} belongs already to pool '${guest!.pool}'`)
      }
      guest!.pool = pool.poolid
    }
  }
  if (ctx.optStr("storage") !== undefined && !remove) {
    for (const id of splitList(ctx.optStr("storage")!)) {
      if (!ctx.model.storages.has(id)) paramError({ storage: `no such storage '${id}'` })
    }
  }
  return { data: null }
}

const remove: Route = (ctx) => {
  const pool = poolAt(ctx)
  if ([...ctx.model.guests.values()].some((guest) => guest.pool === pool.poolid)) die("pool is not empty")
  ctx.model.pools.delete(pool.poolid)
  return { data: null }
}

export const poolRoutes: Record<string, Route> = {
  "GET /pools": list,
  "POST /pools": create,
  "PUT /pools": update,
  "DELETE /pools": remove,
  "GET /pools/{poolid}": read,
  "PUT /pools/{poolid}": update,
  "DELETE /pools/{poolid}": remove
}
