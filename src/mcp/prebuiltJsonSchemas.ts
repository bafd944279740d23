/**
 * The JSON Schemas the tools of this build advertise in tools/list, by tool name, each as JSON text (parsed at the
 * tool's first listing). Empty in the source: they are
 * computed at the first tools/list (src/mcp/JsonSchema.ts). scripts/build.ts replaces this module in the bundle by
 * the same schemas, computed at build time by the same code (computeToolJsonSchemas), so that a start-up does not
 * spend its time on them; test/unit/prebuiltJsonSchemas.test.ts holds the two equal.
 */
export const prebuiltJsonSchemas: Readonly<Record<string, { readonly input: string; readonly output: string }>> = {}
