/**
 * examples/embed.ts runs as a user would run it (it typechecks with the rest of the repository: tsconfig includes
 * examples/, where the package name resolves to the source).
 */
import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../..")

describe("examples/embed.ts", () => {
  it("starts a stopped VM on the simulator inside an Effect program and reports it", () => {
    const out = execFileSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "examples/embed.ts"], {
      cwd: root,
      encoding: "utf8"
    })
    const lines = out.trim().split("\n")
    expect(lines[0]).toMatch(/^PVE \d+\.\d+\.\d+: started VM \d+ on \S+ \(OK\), now running$/)
    expect(lines[1]).toMatch(/^\d+ guests running \(a task is waited for up to \d+ s\)$/)
  }, 60_000)
})
