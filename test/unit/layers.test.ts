/** Import directions (scripts/check-layers.ts): over this repository, and over small fixture trees. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { checkLayers, importsOf, LAYER_OF, LAYERS, layerOf } from "../../scripts/check-layers.js"

const repoRoot = join(import.meta.dirname, "../..")

const roots: string[] = []
const tree = (files: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), "pmcp-layers-"))
  roots.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

/** A template substitution `${code}` as source text. */
const sub = (code: string) => "$" + "{" + code + "}"

const messages = (root: string) => checkLayers(root).violations.map((v) => v.message)

describe("import directions", () => {
  it("src/ and sim/ import only from their own layer or below", () => {
    const report = checkLayers(repoRoot)
    expect(report.files).toBeGreaterThan(50)
    expect(report.violations.map((v) => v.message)).toEqual([])
  })

  it("places every layer, and only the known ones", () => {
    expect(new Set(Object.values(LAYER_OF))).toEqual(new Set([...LAYERS, "sim"]))
    expect(layerOf("src/proxmox/generated/apiSchemaData.ts")).toBe("proxmox")
    expect(layerOf("src/main.ts")).toBe("cli")
    expect(layerOf("src/mainly.ts")).toBeUndefined()
    expect(layerOf("src/configs/x.ts")).toBeUndefined()
  })

  it("reports a back-arrow in a fixture tree", () => {
    const root = tree({
      "src/config/Config.ts": `export const port = 8006\n`,
      "src/policy/Gate.ts": `import type { Tool } from "../mcp/Tool.js"\nexport type Gate = Tool\n`,
      "src/mcp/Tool.ts": `import { port } from "../config/Config.js"\nexport type Tool = typeof port\n`
    })
    expect(messages(root)).toEqual(["src/policy/Gate.ts → src/mcp/Tool.ts (policy imports mcp)"])
  })

  it("passes a fixture tree with only downward imports", () => {
    const root = tree({
      "src/config/Config.ts": `export const port = 8006\n`,
      "src/proxmox/Client.ts": `export * from "../config/Config.js"\n`,
      "src/policy/Gate.ts": `import { port } from "../proxmox/Client.js"\nexport const gate = port\n`,
      "src/tools/index.ts": `import { gate } from "../policy/Gate.js"\nexport const allTools = [gate]\n`,
      "src/mcp/Adapter.ts": [
        `import { McpServer } from "@modelcontextprotocol/server"`,
        `import { allTools } from "../tools/index.js"`,
        `export const adapter = [McpServer, allTools]`
      ].join("\n"),
      "src/main.ts": `import "./mcp/Adapter.js"\nexport const sim = () => import("../sim/Simulator.js")\n`,
      "sim/Simulator.ts": `import { port } from "../src/proxmox/Client.js"\nexport const sim = port\n`
    })
    const report = checkLayers(root)
    expect(report.violations).toEqual([])
    expect(report.files).toBe(7)
    expect(report.imports).toBe(8)
  })

  it("reports MCP SDK imports outside mcp, sim imported below cli, and what sim may not use", () => {
    const root = tree({
      "src/tools/guests.ts": `import type { CallToolResult } from "@modelcontextprotocol/server"\nexport type R = CallToolResult\n`,
      "src/proxmox/layers.ts": `export const sim = await import("../../sim/Simulator.js")\n`,
      "src/policy/Gate.ts": `export const gate = 1\n`,
      "sim/Simulator.ts": `export { gate } from "../src/policy/Gate.js"\n`
    })
    expect(messages(root)).toEqual([
      "src/proxmox/layers.ts → sim/Simulator.ts (proxmox imports sim)",
      "src/tools/guests.ts → @modelcontextprotocol/server (tools imports the MCP SDK; only mcp and cli may)",
      "sim/Simulator.ts → src/policy/Gate.ts (sim imports policy)"
    ])
  })

  it("makes a folder no layer names an error, and an import of a file outside the layers", () => {
    const root = tree({
      "src/helpers/strings.ts": `export const trim = (s: string) => s.trim()\n`,
      "src/stray.ts": `export const stray = 1\n`,
      "src/config/Config.ts": `import { x } from "../../scripts/x.js"\nexport const y = x\n`
    })
    expect(messages(root)).toEqual([
      "src/config/Config.ts → scripts/x.js (config imports a file in no layer)",
      "src/helpers/strings.ts is in no layer (place src/helpers/ or the file in LAYER_OF, scripts/check-layers.ts)",
      "src/stray.ts is in no layer (place src/ or the file in LAYER_OF, scripts/check-layers.ts)"
    ])
  })
})

describe("import specifiers", () => {
  it("finds static, re-export, side-effect, type, dynamic and require imports", () => {
    const source = [
      `import * as A from "./a.js"`,
      `import type { B } from './b.js'`,
      `import {`,
      `  c,`,
      `  type D`,
      `} from "./c.js"`,
      `import "./side.js"`,
      `export * from "./e.js"`,
      `export { f } from "./f.js"`,
      `const g = await import("./g.js")`,
      `type H = typeof import("./h.js")`,
      `const i = require("./i.js")`,
      `const j = () => import(\`./\${name}.js\`)`
    ].join("\n")
    expect(importsOf(source)).toEqual([
      { specifier: "./a.js", line: 1 },
      { specifier: "./b.js", line: 2 },
      { specifier: "./c.js", line: 6 },
      { specifier: "./side.js", line: 7 },
      { specifier: "./e.js", line: 8 },
      { specifier: "./f.js", line: 9 },
      { specifier: "./g.js", line: 10 },
      { specifier: "./h.js", line: 11 },
      { specifier: "./i.js", line: 12 },
      { specifier: undefined, line: 13 }
    ])
  })

  it("ignores comments, strings, template text, regular expressions and properties named import", () => {
    const source = [
      `// import { a } from "../mcp/a.js"`,
      `/* export * from "../mcp/b.js"`,
      `   import("../mcp/c.js") */`,
      `const text = 'import x from "../mcp/d.js"'`,
      `const doc = "export { e } from '../mcp/e.js'"`,
      `const generated = \`import type { F } from "../mcp/f.js"\\n${sub('`import("../mcp/g.js")`')}\``,
      `const re = /import("..\\/mcp\\/h.js")/`,
      `const quote = /["'\`]/g, half = 4 / 2, third = half / 3`,
      `const lazy = loader.import("../mcp/i.js")`,
      `export const from = { from: "../mcp/j.js" }`,
      `import real from "./real.js"`
    ].join("\n")
    expect(importsOf(source)).toEqual([{ specifier: "./real.js", line: 11 }])
  })

  it("reads code inside template substitutions", () => {
    const source = `const t = \`a ${sub(`await import("./inside.js").then((m) => \`${sub("m.x")}\`)`)} b\`\nimport "./after.js"`
    expect(importsOf(source).map((r) => r.specifier)).toEqual(["./inside.js", "./after.js"])
  })
})
