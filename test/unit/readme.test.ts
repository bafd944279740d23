/** The README's client configs launch the server the way `npm run bench` measures it. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { recommendedNodeFlags } from "../../scripts/launchFlags.js"

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
