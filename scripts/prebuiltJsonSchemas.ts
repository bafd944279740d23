// The module scripts/build.ts puts in the bundle in place of src/mcp/prebuiltJsonSchemas.ts: the tools/list JSON
// Schemas of every tool of this build, computed by src/mcp/JsonSchema.ts (test/unit/prebuiltJsonSchemas.test.ts).
import { computeToolJsonSchemas } from "../src/mcp/JsonSchema.js"
import { toolsAndSwitch } from "../src/tools/index.js"

export const prebuiltJsonSchemasTable = () =>
  Object.fromEntries(toolsAndSwitch.map((tool) => [tool.name, computeToolJsonSchemas(tool)]))

/** As JavaScript: JSON.parse of one string literal, which V8 parses much faster than the same object literal. */
export const prebuiltJsonSchemasModule = async () =>
  `export const prebuiltJsonSchemas = JSON.parse(${JSON.stringify(JSON.stringify(prebuiltJsonSchemasTable()))})\n`
