/**
 * The README's least-privilege token guide against the tools: a row per toolset, naming exactly the toolset's tools
 * (derived from allTools, so it stays true as tools are added), privileges that cover what the endpoints those
 * tools declare need (the `permissions` check of each endpoint in the real API schema), and one `pveum role add`
 * line per toolset granting exactly the row's privileges, with an `acl modify` line that grants the role.
 * A row marked "(planned)" belongs to a toolset with no tools yet.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { makeApiSchema } from "../../src/proxmox/ApiSchema.js"
import { apiSchemaData } from "../../src/proxmox/generated/apiSchemaData.js"
import { declaredEndpoints, TOOLSETS, type Toolset } from "../../src/proxmox/Tool.js"
import { allTools } from "../../src/tools/index.js"

const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8")
const schema = makeApiSchema(apiSchemaData)

/** The guide's table: toolset → its cells. */
const guideRows = (): ReadonlyMap<
  string,
  { planned: boolean; tools: ReadonlyArray<string>; privileges: ReadonlySet<string> }
> => {
  const lines = readme.split("\n")
  const start = lines.indexOf("### Least-privilege API token")
  const header = lines.findIndex((line, i) => i > start && line.startsWith("| Toolset | Tools | Privileges |"))
  const rows = new Map<string, { planned: boolean; tools: ReadonlyArray<string>; privileges: ReadonlySet<string> }>()
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break
    const [toolset = "", tools = "", privileges = ""] = line.replace(/^\||\|$/g, "").split("|")
    const name = /`([a-z]+)`/.exec(toolset)?.[1] ?? ""
    rows.set(name, {
      planned: toolset.includes("(planned)"),
      tools: [...tools.matchAll(/`(pve_[a-z_]+)`/g)].map((m) => m[1]!),
      privileges: new Set([...privileges.matchAll(/`([A-Z][A-Za-z]*\.[A-Za-z.]+)`/g)].map((m) => m[1]!))
    })
  }
  return rows
}

/** The privileges each `pveum role add MCP-<Toolset>` line grants, and the roles some `acl modify` line grants. */
const roleLines = () => {
  const roles = new Map<string, ReadonlySet<string>>()
  for (const m of readme.matchAll(/^pveum role add MCP-([A-Za-z]+) --privs "([^"]+)"$/gm)) {
    roles.set(m[1]!.toLowerCase(), new Set(m[2]!.split(",")))
  }
  const granted = new Set(
    [...readme.matchAll(/^pveum acl modify \S+ .*--roles MCP-([A-Za-z]+)$/gm)].map((m) => m[1]!.toLowerCase())
  )
  return { roles, granted }
}

type Check = ReadonlyArray<unknown>

/** Whether holding `held` passes a permissions check of the schema (paths aside: the row's "On" names them). */
const satisfies = (check: Check, held: ReadonlySet<string>): boolean => {
  const [kind, ...rest] = check
  if (kind === "and") return rest.every((c) => satisfies(c as Check, held))
  if (kind === "or") return rest.some((c) => satisfies(c as Check, held))
  if (kind === "perm") {
    const privs = rest[1] as ReadonlyArray<string>
    return rest[2] === "any" ? privs.some((p) => held.has(p)) : privs.every((p) => held.has(p))
  }
  // userid-param, userid-group…: about the user named in the call, not a privilege to grant the token
  return true
}

const toolsOf = (toolset: Toolset) => allTools.filter((tool) => tool.toolset === toolset)

describe("README least-privilege token guide", () => {
  const rows = guideRows()
  const { roles, granted } = roleLines()

  it("has a row for every toolset", () => {
    expect([...rows.keys()].sort()).toEqual([...TOOLSETS].sort())
  })

  it.each(TOOLSETS.map((t) => [t]))("names exactly the tools of %s", (toolset) => {
    const row = rows.get(toolset)!
    const tools = toolsOf(toolset).map((t) => t.name)
    if (row.planned) {
      expect(tools, `${toolset} has tools now: drop "(planned)" from its row`).toEqual([])
      return
    }
    expect([...row.tools].sort()).toEqual([...tools].sort())
  })

  it.each(TOOLSETS.filter((t) => t !== "api").map((t) => [t]))(
    "grants %s what its tools' endpoints need, in its row and its pveum role",
    (toolset) => {
      const row = rows.get(toolset)!
      const missing: string[] = []
      for (const tool of toolsOf(toolset)) {
        for (const e of declaredEndpoints(tool) ?? []) {
          const check = schema.endpoint(e.method, e.template)?.permissions?.check as Check | undefined
          if (check !== undefined && !satisfies(check, row.privileges)) {
            missing.push(`${tool.name}: ${e.method} ${e.template} needs ${JSON.stringify(check)}`)
          }
        }
      }
      expect(missing).toEqual([])
      expect(roles.get(toolset), `pveum role add MCP-${toolset} …`).toEqual(row.privileges)
      expect(granted.has(toolset), `pveum acl modify … --roles MCP-${toolset}`).toBe(true)
    }
  )

  it("checks privileges for real: a row without one its tools need fails", () => {
    const check = schema.endpoint("GET", "/nodes/{node}/syslog")?.permissions?.check as Check
    expect(satisfies(check, new Set(["Sys.Audit"]))).toBe(false)
    expect(satisfies(check, rows.get("core")!.privileges)).toBe(true)
    const download = schema.endpoint("POST", "/nodes/{node}/storage/{storage}/download-url")?.permissions
      ?.check as Check
    expect(satisfies(download, new Set(["Datastore.AllocateTemplate"]))).toBe(false)
    expect(satisfies(download, new Set(["Datastore.AllocateTemplate", "Sys.Audit", "Sys.Modify"]))).toBe(true)
  })
})
