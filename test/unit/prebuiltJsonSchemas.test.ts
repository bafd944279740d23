/**
 * The bundle carries every tool's tools/list JSON Schemas computed at build time (scripts/prebuiltJsonSchemas.ts in
 * place of src/mcp/prebuiltJsonSchemas.ts): what it carries must be exactly what the server computes from the tools,
 * so that a built server lists the same schemas as one run from the source.
 */
import { describe, expect, it } from "@effect/vitest"
import { prebuiltJsonSchemasModule } from "../../scripts/prebuiltJsonSchemas.js"
import { effectiveOutputSchema, toolStandardSchema, toStandardSchema } from "../../src/mcp/JsonSchema.js"
import { effectiveInputSchema } from "../../src/policy/Confirmation.js"
import { toolsAndSwitch } from "../../src/tools/index.js"

const sides = ["input", "output"] as const

/** The module the build bundles, evaluated as the bundle would. */
const bundled = async () => {
  const source = await prebuiltJsonSchemasModule()
  const module = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as {
    prebuiltJsonSchemas: Record<string, Record<(typeof sides)[number], string>>
  }
  return module.prebuiltJsonSchemas
}

describe("prebuilt tools/list JSON Schemas", () => {
  it("the bundled table has every tool of the build, and only those", async () => {
    expect(Object.keys(await bundled()).sort()).toEqual(toolsAndSwitch.map((t) => t.name).sort())
  })

  it("each is the JSON Schema the server computes from the tool's own Effect Schemas", async () => {
    const table = await bundled()
    for (const tool of toolsAndSwitch) {
      for (const side of sides) {
        const schema = side === "input" ? effectiveInputSchema(tool) : effectiveOutputSchema(tool)
        const computed = toStandardSchema(schema, side)["~standard"].jsonSchema[side]({ target: "draft-2020-12" })
        expect(JSON.parse(table[tool.name]?.[side] ?? "null"), `${tool.name} ${side}`).toEqual(computed)
        // and what the adapter registers (from the source: computed at the first listing)
        expect(toolStandardSchema(tool, side)["~standard"].jsonSchema[side]({ target: "draft-2020-12" })).toEqual(
          computed
        )
      }
    }
  })
})
