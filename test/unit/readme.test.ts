/** The README's client configs launch the server the way `npm run bench` measures it; its tool table is the tool list. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { recommendedNodeFlags } from "../../scripts/launchFlags.js"
import { allTools } from "../../src/index.js"

const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8")

describe("README client configs", () => {
  const launches = readme.split("\n").filter((line) => line.includes("/path/to/proxmox-mcp/dist/proxmox-mcp.js"))

  it("cover every client the README names", () => {
    expect(launches.length).toBeGreaterThanOrEqual(4)
  })

  it.each(launches)("pass the benchmarked Node flags before the script: %s", (line) => {
    const words = line.match(/--[a-z-]+(=\d+)?|\/path\/to\/proxmox-mcp\/dist\/proxmox-mcp\.js/g) ?? []
    expect(words).toEqual([...recommendedNodeFlags, "/path/to/proxmox-mcp/dist/proxmox-mcp.js"])
  })
})

/** The rows of the first table in the README section headed `heading`, as cells. */
const tableIn = (heading: string): ReadonlyArray<ReadonlyArray<string>> => {
  const lines = readme.split("\n")
  const start = lines.indexOf(`## ${heading}`)
  if (start === -1) throw new Error(`README has no "## ${heading}" section`)
  const upTo = (list: ReadonlyArray<string>, stop: (line: string) => boolean) => {
    const end = list.findIndex(stop)
    return end === -1 ? list : list.slice(0, end)
  }
  const section = upTo(lines.slice(start + 1), (line) => line.startsWith("## "))
  const first = section.findIndex((line) => line.startsWith("|"))
  if (first === -1) throw new Error(`README section "${heading}" has no table`)
  const rows = upTo(section.slice(first), (line) => !line.startsWith("|"))
  // the header row and the separator row go
  return rows.slice(2).map((row) =>
    row
      .replace(/^\||\|$/g, "")
      .split("|")
      .map((cell) => cell.trim())
  )
}

describe("README tool table (What it offers)", () => {
  const rows = tableIn("What it offers").flatMap(([tools = "", toolset = ""]) =>
    [...tools.matchAll(/`([^`]+)`/g)].map((m) => ({ tool: m[1]!, toolset: toolset.replace(/`/g, "") }))
  )

  it("names every tool of allTools once, and no other", () => {
    const named = rows.map((r) => r.tool)
    const known = allTools.map((t) => t.name)
    expect(named.length).toBeGreaterThan(0)
    expect({
      missingFromReadme: known.filter((name) => !named.includes(name)),
      notATool: named.filter((name) => !known.includes(name)),
      namedTwice: named.filter((name, i) => named.indexOf(name) !== i)
    }).toEqual({ missingFromReadme: [], notATool: [], namedTwice: [] })
  })

  it("gives each tool its own toolset", () => {
    const toolsetOf = new Map(allTools.map((t) => [t.name, t.toolset as string]))
    const wrong = rows
      .filter((r) => toolsetOf.has(r.tool) && toolsetOf.get(r.tool) !== r.toolset)
      .map((r) => `${r.tool}: README says ${r.toolset}, the tool says ${toolsetOf.get(r.tool)}`)
    expect(wrong).toEqual([])
  })
})
