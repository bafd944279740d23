/**
 * Which toolsets a token's privileges allow: each tool's declared endpoints carry PVE's own permission check (the
 * `permissions.check` of apidata.json), evaluated against what `GET /access/permissions` says the token holds. Computed
 * from the tool list, so it stays true as tools are added.
 */
import type { PveAuthConfig } from "../config/PveConfig.js"
import type { ApiSchema } from "../proxmox/ApiSchema.js"
import { type AnyTool, declaredEndpoints, TOOLSETS } from "../proxmox/Tool.js"

/** `GET /access/permissions`: path → privilege → 1 (propagates) or 0. */
export type Permissions = Readonly<Record<string, Readonly<Record<string, unknown>>>>

/** A privilege check PVE would fail: `privileges` (all of them, or one of them) on `path`. */
export interface Missing {
  readonly path: string
  readonly privileges: ReadonlyArray<string>
  readonly any: boolean
}

/** The top of the tree a template names: a check on `/vms/{vmid}` is met for every guest by a grant on `/vms`. */
export const aclRoot = (template: string): string => {
  const cut = template.split("/{")[0] ?? ""
  return cut === "" ? "/" : cut
}

const parentOf = (path: string) => (path.lastIndexOf("/") <= 0 ? "/" : path.slice(0, path.lastIndexOf("/")))

/** Whether the token holds `privilege` on `path`: what PVE says for the path, else what propagates from above. */
export const holds = (permissions: Permissions, path: string, privilege: string): boolean => {
  const here = permissions[path]
  if (here !== undefined) return here[privilege] !== undefined
  for (let p = path; p !== "/"; ) {
    p = parentOf(p)
    const above = permissions[p]
    if (above !== undefined) return Number(above[privilege]) === 1
  }
  return false
}

/** Every privilege the token holds on `path` (PVE's answer for it, else what propagates from above). */
export const heldOn = (permissions: Permissions, path: string): ReadonlyArray<string> => {
  const here = permissions[path]
  if (here !== undefined) return Object.keys(here)
  for (let p = path; p !== "/"; ) {
    p = parentOf(p)
    const above = permissions[p]
    if (above !== undefined) return Object.keys(above).filter((privilege) => Number(above[privilege]) === 1)
  }
  return []
}

/**
 * What of a PVE check expression (`["perm", path, privs, "any", 1]`, `["and", …]`, `["or", …]`) the token lacks.
 * Checks on the caller itself (`userid-param`, `userid-group`) depend on each request and are taken as met.
 */
export const missingFor = (check: unknown, permissions: Permissions): ReadonlyArray<Missing> => {
  if (!Array.isArray(check)) return []
  const [op, ...rest] = check as [unknown, ...Array<unknown>]
  if (op === "perm") {
    const [template, privileges, option] = rest as [string, ReadonlyArray<string>, unknown]
    const path = aclRoot(template)
    const any = option === "any"
    const lacking = privileges.filter((privilege) => !holds(permissions, path, privilege))
    const met = any ? lacking.length < privileges.length : lacking.length === 0
    return met ? [] : [{ path, privileges: any ? privileges : lacking, any }]
  }
  if (op === "and") return rest.flatMap((part) => missingFor(part, permissions))
  if (op === "or") {
    const branches = rest.map((part) => missingFor(part, permissions))
    return branches.some((branch) => branch.length === 0) ? [] : (branches[0] ?? [])
  }
  return []
}

/** The permission checks of a tool's declared endpoints; undefined for the generic API tools (they can call anything). */
export const checksOf = (tool: AnyTool, schema: ApiSchema): ReadonlyArray<unknown> | undefined =>
  declaredEndpoints(tool)
    ?.map((e) => schema.endpoint(e.method, e.template)?.permissions?.check)
    .filter((check) => check !== undefined)

export interface ToolsetAccess {
  readonly toolset: string
  readonly tools: ReadonlyArray<string>
  /** served by this configuration (PVE_TOOLSETS, PVE_TOOLS_DENY, PVE_READONLY) */
  readonly served: boolean
  /** undefined: the generic API tools, which can do what the token may */
  readonly missing: ReadonlyArray<Missing> | undefined
}

const sameMissing = (a: Missing, b: Missing) =>
  a.path === b.path && a.any === b.any && a.privileges.join() === b.privileges.join()

/** For every toolset with tools: whether it is served and what the token lacks for the tools it serves. */
export const toolsetAccess = (
  tools: ReadonlyArray<AnyTool>,
  served: ReadonlySet<string>,
  schema: ApiSchema,
  permissions: Permissions
): ReadonlyArray<ToolsetAccess> =>
  TOOLSETS.flatMap((toolset) => {
    const members = tools.filter((tool) => tool.toolset === toolset)
    if (members.length === 0) return []
    // what the served tools need (read-only serves a toolset's reads only); none served: what all would need
    const servedMembers = members.filter((tool) => served.has(tool.name))
    const checks = (servedMembers.length > 0 ? servedMembers : members).map((tool) => checksOf(tool, schema))
    const missing: Missing[] = []
    for (const check of checks.flatMap((c) => c ?? [])) {
      for (const m of missingFor(check, permissions))
        if (!missing.some((known) => sameMissing(known, m))) missing.push(m)
    }
    return [
      {
        toolset,
        tools: members.map((tool) => tool.name),
        served: members.some((tool) => served.has(tool.name)),
        missing: checks.every((c) => c === undefined) ? undefined : missing
      }
    ]
  })

const shellWord = (word: string) => (/^[A-Za-z0-9_./:@=,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`)

/**
 * The `pveum` lines that grant what a toolset lacks: one role per path, granted to the token and its user (a
 * privilege-separated token gets the intersection of both). An ACL entry on a path replaces what the token inherited
 * there from above, so the role also carries the privileges it already holds on that path: none is lost.
 */
export const grantLines = (
  toolset: string,
  missing: ReadonlyArray<Missing>,
  auth: PveAuthConfig | undefined,
  permissions: Permissions
): ReadonlyArray<string> => {
  const subject =
    auth?._tag === "Token"
      ? `--users ${shellWord(auth.tokenId.split("!")[0]!)} --tokens ${shellWord(auth.tokenId)}`
      : auth?._tag === "Ticket"
        ? `--users ${shellWord(auth.username)}`
        : "--tokens 'USER@REALM!TOKEN'"
  const byPath = new Map<string, Set<string>>()
  for (const m of missing) {
    const privileges = byPath.get(m.path) ?? new Set<string>(heldOn(permissions, m.path))
    // one of several is enough: grant the first
    for (const privilege of m.any ? m.privileges.slice(0, 1) : m.privileges) privileges.add(privilege)
    byPath.set(m.path, privileges)
  }
  return [...byPath].flatMap(([path, privileges]) => {
    const role = `ProxmoxMCP-${toolset}${path === "/" ? "" : path.replace(/[^A-Za-z0-9]+/g, "-")}`
    return [
      `pveum role add ${role} --privs ${shellWord([...privileges].sort().join(","))}`,
      `pveum acl modify ${shellWord(path)} ${subject} --roles ${role}`
    ]
  })
}
