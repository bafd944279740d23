/** HA rules: list (each rule with its fields, as pve-ha-manager answers), create, read, update, delete. */
import type { HaRule } from "../model.js"
import { die, type Route, type RouteContext } from "../routing.js"

const ruleAt = (ctx: RouteContext): HaRule => {
  const rule = ctx.model.haRules.get(ctx.str("rule"))
  if (rule === undefined) die(`no such ha rule '${ctx.str("rule")}'`)
  return rule!
}

const applyRuleParams = (ctx: RouteContext, rule: Record<string, unknown>) => {
  for (const field of ["resources", "nodes", "affinity", "comment"]) {
    const value = ctx.optStr(field)
    if (value !== undefined) rule[field] = value
  }
  for (const field of ["strict", "disable"]) {
    if (ctx.optStr(field) !== undefined) rule[field] = ctx.bool(field) ? 1 : 0
  }
  for (const field of (ctx.optStr("delete") ?? "").split(/[,;\s]+/).filter((f) => f !== "")) delete rule[field]
}

const create: Route = (ctx) => {
  const name = ctx.str("rule")
  if (ctx.model.haRules.has(name)) die(`ha rule '${name}' already defined`)
  const rule = { rule: name, type: ctx.str("type"), resources: ctx.str("resources") } as Record<string, unknown>
  applyRuleParams(ctx, rule)
  ctx.model.haRules.set(name, rule as unknown as HaRule)
  return { data: null }
}

export const haRoutes: Record<string, Route> = {
  "GET /cluster/ha/rules": (ctx) => ({ data: [...ctx.model.haRules.values()].map((rule) => ({ ...rule })) }),
  "POST /cluster/ha/rules": create,
  "GET /cluster/ha/rules/{rule}": (ctx) => ({ data: { ...ruleAt(ctx) } }),
  "PUT /cluster/ha/rules/{rule}": (ctx) => {
    applyRuleParams(ctx, ruleAt(ctx) as unknown as Record<string, unknown>)
    return { data: null }
  },
  "DELETE /cluster/ha/rules/{rule}": (ctx) => {
    ctx.model.haRules.delete(ruleAt(ctx).rule)
    return { data: null }
  }
}
