/**
 * The firewall of the cluster, of each node and of each guest (pve-firewall's API): rules (new rules go on top, as
 * PVE's create_rule does; `moveto` and `delete` on update), options, and for the cluster and guests IP aliases and
 * IP sets. One configuration per scope, each with the digest its lists and objects carry, checked on change.
 */
import { createHash } from "node:crypto"
import { splitList } from "../../src/proxmox/ApiSchema.js"
import type { ClusterModel } from "../model.js"
import { die, guestAt, paramError, type Route, type RouteContext } from "../routing.js"

type Fields = Record<string, string | number>

interface FirewallConfig {
  readonly rules: Array<Fields>
  readonly options: Fields
  readonly aliases: Map<string, { name: string; cidr: string; comment?: string }>
  readonly ipsets: Map<
    string,
    { comment?: string; entries: Array<{ cidr: string; comment?: string; nomatch?: number }> }
  >
}

// kept beside the model (one per simulated cluster) instead of in it: only these routes read it
const configsOf = new WeakMap<ClusterModel, Map<string, FirewallConfig>>()

/** What a fresh cluster has: the datacenter firewall on with a management set, one node and two guests with rules. */
const seeded = (key: string): FirewallConfig => {
  const config: FirewallConfig = { rules: [], options: {}, aliases: new Map(), ipsets: new Map() }
  const rule = (fields: Fields) => config.rules.push({ type: "in", action: "ACCEPT", enable: 1, ...fields })
  if (key === "cluster") {
    Object.assign(config.options, { enable: 1, policy_in: "DROP", policy_out: "ACCEPT" })
    rule({ proto: "tcp", dport: "8006", source: "+management", comment: "web interface" })
    rule({ proto: "tcp", dport: "22", source: "+management", comment: "ssh" })
    config.aliases.set("gateway", { name: "gateway", cidr: "192.168.10.1", comment: "uplink router" })
    config.ipsets.set("management", { comment: "admin workstations", entries: [{ cidr: "192.168.10.0/24" }] })
  } else if (key === "node:pve1") {
    Object.assign(config.options, { enable: 1 })
    rule({ proto: "icmp", comment: "ping" })
  } else if (key === "guest:100" || key === "guest:105") {
    Object.assign(config.options, { enable: 1, policy_in: "DROP" })
    rule({ proto: "tcp", dport: "443", comment: "https" })
    config.aliases.set("backend", { name: "backend", cidr: "10.0.0.20" })
    config.ipsets.set("clients", { entries: [{ cidr: "10.0.0.0/24", comment: "office" }] })
  }
  return config
}

/** The scope the path addresses (checked to exist as PVE does: the guest's config file, the node). */
const configAt = (ctx: RouteContext): FirewallConfig => {
  const path = ctx.endpoint.path
  let key = "cluster"
  if (path.startsWith("/nodes/{node}/qemu/")) key = `guest:${guestAt(ctx, "qemu").vmid}`
  else if (path.startsWith("/nodes/{node}/lxc/")) key = `guest:${guestAt(ctx, "lxc").vmid}`
  else if (path.startsWith("/nodes/{node}/")) {
    if (!ctx.model.nodes.has(ctx.str("node"))) die(`no such node '${ctx.str("node")}'`)
    key = `node:${ctx.str("node")}`
  }
  let configs = configsOf.get(ctx.model)
  if (configs === undefined) {
    configs = new Map()
    configsOf.set(ctx.model, configs)
  }
  let config = configs.get(key)
  if (config === undefined) {
    config = seeded(key)
    configs.set(key, config)
  }
  return config
}

const digestOf = (config: FirewallConfig): string =>
  createHash("sha1")
    .update(JSON.stringify([config.rules, config.options, [...config.aliases.entries()], [...config.ipsets.entries()]]))
    .digest("hex")

const checkDigest = (ctx: RouteContext, config: FirewallConfig): void => {
  const digest = ctx.optStr("digest")
  if (digest !== undefined && digest !== digestOf(config)) {
    die("detected modified configuration - file changed by other user? Try again.")
  }
}

const RULE_FIELDS = [
  "type",
  "action",
  "macro",
  "iface",
  "source",
  "dest",
  "proto",
  "dport",
  "sport",
  "icmp-type",
  "log",
  "comment"
] as const

/** PVE::Firewall verify_rule, the checks the simulator models. */
const verifyRule = (ctx: RouteContext, rule: Fields): void => {
  const type = String(rule.type ?? "")
  const action = String(rule.action ?? "")
  if (type === "group") {
    if (!ctx.endpoint.path.startsWith("/cluster/") && action === "") paramError({ action: "missing property" })
    return
  }
  if (!["ACCEPT", "DROP", "REJECT"].includes(action)) paramError({ action: `unknown action '${action}'` })
  const proto = rule.proto
  if (
    proto !== undefined &&
    !["tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "esp", "ah", "gre"].includes(String(proto))
  ) {
    paramError({ proto: `unknown protocol '${proto}'` })
  }
  if ((rule.dport !== undefined || rule.sport !== undefined) && !["tcp", "udp"].includes(String(proto ?? ""))) {
    paramError({ proto: "missing property - 'dport' or 'sport' requires a protocol (tcp or udp)" })
  }
}

const setRuleFields = (ctx: RouteContext, rule: Fields): void => {
  for (const field of RULE_FIELDS) {
    const value = ctx.optStr(field)
    if (value !== undefined) rule[field] = value
  }
  const enable = ctx.optInt("enable")
  if (enable !== undefined) rule.enable = enable
}

const ruleAt = (ctx: RouteContext, config: FirewallConfig): Fields => {
  const pos = ctx.optInt("pos") ?? 0
  const rule = config.rules[pos]
  if (rule === undefined) paramError({ pos: `no rule at position ${pos}` })
  return rule!
}

const shown = (rule: Fields, pos: number): Fields => ({ ...rule, pos })

const listRules: Route = (ctx) => {
  const config = configAt(ctx)
  return { data: config.rules.map(shown) }
}

const createRule: Route = (ctx) => {
  const config = configAt(ctx)
  checkDigest(ctx, config)
  const rule: Fields = {}
  setRuleFields(ctx, rule)
  verifyRule(ctx, rule)
  const pos = ctx.optInt("pos")
  // PVE puts a new rule first unless told where
  if (pos === undefined) config.rules.unshift(rule)
  else config.rules.splice(Math.min(pos, config.rules.length), 0, rule)
  return { data: null }
}

const readRule: Route = (ctx) => {
  const config = configAt(ctx)
  return { data: shown(ruleAt(ctx, config), ctx.optInt("pos") ?? 0) }
}

const updateRule: Route = (ctx) => {
  const config = configAt(ctx)
  checkDigest(ctx, config)
  const rule = ruleAt(ctx, config)
  const pos = ctx.optInt("pos") ?? 0
  const moveto = ctx.optInt("moveto")
  if (moveto !== undefined) {
    config.rules.splice(pos, 1)
    config.rules.splice(Math.min(moveto > pos ? moveto - 1 : moveto, config.rules.length), 0, rule)
    return { data: null }
  }
  const updated = { ...rule }
  for (const key of splitList(ctx.optStr("delete") ?? "")) delete updated[key]
  setRuleFields(ctx, updated)
  verifyRule(ctx, updated)
  config.rules[pos] = updated
  return { data: null }
}

const deleteRule: Route = (ctx) => {
  const config = configAt(ctx)
  checkDigest(ctx, config)
  ruleAt(ctx, config)
  config.rules.splice(ctx.optInt("pos") ?? 0, 1)
  return { data: null }
}

/** The option keys an endpoint takes, from its own schema (cluster, node and guest options differ). */
const optionKeys = (ctx: RouteContext): ReadonlyArray<string> =>
  Object.keys(ctx.endpoint.parameters.properties ?? {}).filter(
    (key) => !["node", "vmid", "digest", "delete"].includes(key)
  )

const readOptions: Route = (ctx) => ({ data: { ...configAt(ctx).options } })

const updateOptions: Route = (ctx) => {
  const config = configAt(ctx)
  checkDigest(ctx, config)
  for (const key of splitList(ctx.optStr("delete") ?? "")) delete config.options[key]
  for (const key of optionKeys(ctx)) {
    const value = ctx.optStr(key)
    if (value !== undefined) config.options[key] = /^\d+$/.test(value) ? Number(value) : value
  }
  return { data: null }
}

const aliasAt = (ctx: RouteContext, config: FirewallConfig) => {
  const alias = config.aliases.get(ctx.str("name").toLowerCase())
  if (alias === undefined) paramError({ name: "no such alias" })
  return alias!
}

const aliasRoutes = (prefix: string): Record<string, Route> => ({
  [`GET ${prefix}/aliases`]: (ctx) => {
    const config = configAt(ctx)
    const digest = digestOf(config)
    return { data: [...config.aliases.values()].map((a) => ({ ...a, digest })) }
  },
  [`POST ${prefix}/aliases`]: (ctx) => {
    const config = configAt(ctx)
    const name = ctx.str("name")
    if (config.aliases.has(name.toLowerCase())) paramError({ name: `alias '${name}' already exists` })
    const comment = ctx.optStr("comment")
    config.aliases.set(name.toLowerCase(), {
      name,
      cidr: ctx.str("cidr"),
      ...(comment === undefined ? {} : { comment })
    })
    return { data: null }
  },
  [`GET ${prefix}/aliases/{name}`]: (ctx) => {
    const config = configAt(ctx)
    return { data: { ...aliasAt(ctx, config), digest: digestOf(config) } }
  },
  [`PUT ${prefix}/aliases/{name}`]: (ctx) => {
    const config = configAt(ctx)
    checkDigest(ctx, config)
    const alias = aliasAt(ctx, config)
    const rename = ctx.optStr("rename")
    if (rename !== undefined && rename.toLowerCase() !== alias.name.toLowerCase()) {
      if (config.aliases.has(rename.toLowerCase())) paramError({ name: `alias '${rename}' already exists` })
      config.aliases.delete(alias.name.toLowerCase())
      alias.name = rename
      config.aliases.set(rename.toLowerCase(), alias)
    }
    alias.cidr = ctx.str("cidr")
    const comment = ctx.optStr("comment")
    if (comment !== undefined) alias.comment = comment
    return { data: null }
  },
  [`DELETE ${prefix}/aliases/{name}`]: (ctx) => {
    const config = configAt(ctx)
    checkDigest(ctx, config)
    config.aliases.delete(ctx.str("name").toLowerCase())
    return { data: null }
  }
})

const ipsetAt = (ctx: RouteContext, config: FirewallConfig) => {
  const ipset = config.ipsets.get(ctx.str("name"))
  if (ipset === undefined) die(`no such IPSet '${ctx.str("name")}'`)
  return ipset!
}

const entryAt = (ctx: RouteContext, config: FirewallConfig) => {
  const entry = ipsetAt(ctx, config).entries.find((e) => e.cidr === ctx.str("cidr"))
  if (entry === undefined) paramError({ cidr: "no such IP/Network" })
  return entry!
}

const ipsetRoutes = (prefix: string): Record<string, Route> => ({
  [`GET ${prefix}/ipset`]: (ctx) => {
    const config = configAt(ctx)
    const digest = digestOf(config)
    return {
      data: [...config.ipsets.entries()].map(([name, set]) => ({
        name,
        digest,
        ...(set.comment === undefined ? {} : { comment: set.comment })
      }))
    }
  },
  [`POST ${prefix}/ipset`]: (ctx) => {
    const config = configAt(ctx)
    checkDigest(ctx, config)
    const name = ctx.str("name")
    const rename = ctx.optStr("rename")
    const comment = ctx.optStr("comment")
    if (rename !== undefined) {
      const set = config.ipsets.get(rename)
      if (set === undefined) die(`IPSet '${rename}' does not exist`)
      if (config.ipsets.has(name)) die(`IPSet '${name}' already exists`)
      config.ipsets.delete(rename)
      config.ipsets.set(name, { ...set!, ...(comment === undefined ? {} : { comment }) })
      return { data: null }
    }
    if (config.ipsets.has(name)) die(`IPSet '${name}' already exists`)
    config.ipsets.set(name, { entries: [], ...(comment === undefined ? {} : { comment }) })
    return { data: null }
  },
  [`GET ${prefix}/ipset/{name}`]: (ctx) => {
    const config = configAt(ctx)
    const digest = digestOf(config)
    return { data: ipsetAt(ctx, config).entries.map((e) => ({ ...e, digest })) }
  },
  [`POST ${prefix}/ipset/{name}`]: (ctx) => {
    const config = configAt(ctx)
    const set = ipsetAt(ctx, config)
    const cidr = ctx.str("cidr")
    if (set.entries.some((e) => e.cidr === cidr)) paramError({ cidr: `address '${cidr}' already exists` })
    const comment = ctx.optStr("comment")
    set.entries.push({
      cidr,
      ...(comment === undefined ? {} : { comment }),
      ...(ctx.bool("nomatch") ? { nomatch: 1 } : {})
    })
    return { data: null }
  },
  [`DELETE ${prefix}/ipset/{name}`]: (ctx) => {
    const config = configAt(ctx)
    const set = ipsetAt(ctx, config)
    if (set.entries.length > 0 && !ctx.bool("force")) die(`IPSet '${ctx.str("name")}' is not empty`)
    config.ipsets.delete(ctx.str("name"))
    return { data: null }
  },
  [`GET ${prefix}/ipset/{name}/{cidr}`]: (ctx) => {
    const config = configAt(ctx)
    return { data: { ...entryAt(ctx, config), digest: digestOf(config) } }
  },
  [`PUT ${prefix}/ipset/{name}/{cidr}`]: (ctx) => {
    const config = configAt(ctx)
    checkDigest(ctx, config)
    const entry = entryAt(ctx, config)
    const comment = ctx.optStr("comment")
    if (comment !== undefined) entry.comment = comment
    if (ctx.optStr("nomatch") !== undefined) {
      if (ctx.bool("nomatch")) entry.nomatch = 1
      else delete entry.nomatch
    }
    return { data: null }
  },
  [`DELETE ${prefix}/ipset/{name}/{cidr}`]: (ctx) => {
    const config = configAt(ctx)
    checkDigest(ctx, config)
    const set = ipsetAt(ctx, config)
    entryAt(ctx, config)
    set.entries = set.entries.filter((e) => e.cidr !== ctx.str("cidr"))
    return { data: null }
  }
})

const ruleAndOptionRoutes = (prefix: string): Record<string, Route> => ({
  [`GET ${prefix}/rules`]: listRules,
  [`POST ${prefix}/rules`]: createRule,
  [`GET ${prefix}/rules/{pos}`]: readRule,
  [`PUT ${prefix}/rules/{pos}`]: updateRule,
  [`DELETE ${prefix}/rules/{pos}`]: deleteRule,
  [`GET ${prefix}/options`]: readOptions,
  [`PUT ${prefix}/options`]: updateOptions
})

const guestScopes = ["/nodes/{node}/qemu/{vmid}/firewall", "/nodes/{node}/lxc/{vmid}/firewall"]

export const firewallRoutes: Record<string, Route> = {
  ...ruleAndOptionRoutes("/cluster/firewall"),
  ...aliasRoutes("/cluster/firewall"),
  ...ipsetRoutes("/cluster/firewall"),
  ...ruleAndOptionRoutes("/nodes/{node}/firewall"),
  ...Object.assign({}, ...guestScopes.map((p) => ({ ...ruleAndOptionRoutes(p), ...aliasRoutes(p), ...ipsetRoutes(p) })))
}
