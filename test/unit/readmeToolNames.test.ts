/** The README's table of the other servers' tool names: every name of ours in it is a tool of allTools. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { allTools } from "../../src/index.js"

const HEADING = "### Tool names of the other Proxmox MCP servers"

/** Rows of the first table under the heading, as [their name, our cell, note]. */
const mappingRows = (): ReadonlyArray<ReadonlyArray<string>> => {
  const lines = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8").split("\n")
  const start = lines.indexOf(HEADING)
  if (start === -1) throw new Error(`README has no "${HEADING}" section`)
  const after = lines.slice(start + 1)
  const first = after.findIndex((l) => l.startsWith("|"))
  const rest = after.slice(first)
  const end = rest.findIndex((l) => !l.startsWith("|"))
  return (end === -1 ? rest : rest.slice(0, end)).slice(2).map((row) =>
    row
      .replace(/^\||\|$/g, "")
      .split("|")
      .map((c) => c.trim())
  )
}

const namesIn = (cell: string) => [...cell.matchAll(/`(pve_[a-z_]+)`/g)].map((m) => m[1]!)

describe("README table of the other servers' tool names", () => {
  const rows = mappingRows()
  const known = new Set(allTools.map((t) => t.name))

  it("maps the names users bring from the other two servers", () => {
    const theirs = rows.flatMap(([their = ""]) => namesIn(their))
    expect(theirs).toEqual(
      expect.arrayContaining(["pve_list_vms", "pve_get_vm_status", "pve_vm_start", "pve_lxc_create", "pve_clone_vm"])
    )
    expect(theirs).toEqual(expect.arrayContaining(["pve_migrate_vm", "pve_execute_command"]))
  })

  it("names only tools of ours, or says there is none and why", () => {
    const problems: string[] = []
    for (const [their = "", ours = "", note = ""] of rows) {
      const names = [...namesIn(ours), ...namesIn(note)]
      if (ours === "none" && note.length < 20) problems.push(`${their}: "none" without a reason`)
      if (ours !== "none" && namesIn(ours).length === 0) problems.push(`${their}: no tool of ours named`)
      for (const name of names) if (!known.has(name)) problems.push(`${their}: ${name} is not a tool`)
    }
    expect(problems).toEqual([])
  })
})
