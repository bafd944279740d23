/** The README's client configs launch the server the way `npm run bench` measures it; its tool table is the tool list. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { allTools } from "../../src/index.js"

const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8")

describe("README client configs", () => {
  const launches = readme.split("\n").filter((line) => line.includes("/path/to/proxmox-mcp/dist/proxmox-mcp.js"))

  it("cover every client the README names", () => {
    expect(launches.length).toBeGreaterThanOrEqual(4)
  })

  // the command sets its own V8 limits (src/bin.ts); a flag here would only replace them
  it.each(launches)("start the script with no Node flags: %s", (line) => {
    const words = line.match(/--[a-z-]+(=\d+)?|\/path\/to\/proxmox-mcp\/dist\/proxmox-mcp\.js/g) ?? []
    expect(words).toEqual(["/path/to/proxmox-mcp/dist/proxmox-mcp.js"])
  })
})

describe("README client snippets (Connect it to your client)", () => {
  const lines = readme.split("\n")
  const start = lines.indexOf("## Connect it to your client")
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "))
  const section = lines.slice(start, end).join("\n")
  // each fenced block, labelled by the bold names in the prose before it
  const blocks: Array<{ label: string; lang: string; code: string }> = []
  let previous = 0
  for (const m of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const prose = section.slice(previous, m.index)
    const label = [...prose.matchAll(/\*\*([^*]+)\*\*/g)].map((l) => l[1]!).join(", ")
    blocks.push({ label, lang: m[1]!, code: m[2]! })
    previous = m.index + m[0].length
  }
  const stdio = blocks.filter((b) => b.code.includes("/path/to/proxmox-mcp/dist/proxmox-mcp.js"))
  const CLIENTS = ["Claude Desktop", "Cursor", "Windsurf", "Claude Code", "VS Code", "Codex", "Cline", "Zed"]

  it("cover every client", () => {
    const labelled = stdio.map((b) => b.label).join(" ")
    expect(CLIENTS.filter((client) => !section.includes(`**${client}**`) && !labelled.includes(client))).toEqual([])
    expect(stdio.length).toBeGreaterThanOrEqual(6)
  })

  it.each(stdio.filter((b) => b.lang === "json"))("$label: JSON with command, args and the four variables", (b) => {
    const config = JSON.parse(b.code) as Record<string, Record<string, unknown>>
    const servers = config.mcpServers ?? config.servers ?? config.context_servers
    const entry = servers?.proxmox as { command: string; args: string[]; env: Record<string, string> }
    expect(entry.command).toBe("node")
    expect(entry.args.at(-1)).toBe("/path/to/proxmox-mcp/dist/proxmox-mcp.js")
    expect(Object.keys(entry.env)).toEqual(
      expect.arrayContaining(["PROXMOX_HOST", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET", "PROXMOX_CA_FILE"])
    )
  })

  it.each(stdio.filter((b) => b.lang !== "json"))("$label ($lang): names the CA file with the credentials", (b) => {
    for (const name of ["PROXMOX_HOST", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET", "PROXMOX_CA_FILE"]) {
      expect(b.code).toContain(name)
    }
    if (b.lang === "toml")
      expect(b.code).toMatch(/^\[mcp_servers\.proxmox\]\ncommand = "node"\nargs = \[.*\]\nenv = \{.*\}\n$/)
    // the token id's `!` is quoted for the shell
    if (b.lang === "sh") expect(b.code).toContain("PROXMOX_TOKEN_ID='mcp@pve!mcp'")
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
