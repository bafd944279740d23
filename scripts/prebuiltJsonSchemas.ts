// The module scripts/build.ts puts in the bundle in place of src/mcp/prebuiltJsonSchemas.ts: the tools/list JSON
// Schemas of every tool of this build, computed by src/mcp/JsonSchema.ts (test/unit/prebuiltJsonSchemas.test.ts).
import { computeToolJsonSchemas } from "../src/mcp/JsonSchema.js"
import { toolsAndSwitch } from "../src/tools/index.js"

/**
 * As JavaScript: each tool's two schemas as JSON texts, parsed when that tool is first listed (a string literal costs
 * V8 far less to load than the same object literal, and a read-only start does not parse the write tools').
 */
export const prebuiltJsonSchemasModule = async () => {
  const table = Object.fromEntries(
    toolsAndSwitch.map((tool) => {
      const { input, output } = computeToolJsonSchemas(tool)
      return [tool.name, { input: JSON.stringify(input), output: JSON.stringify(output) }]
    })
  )
  return `export const prebuiltJsonSchemas = ${JSON.stringify(table)}\n`
}
