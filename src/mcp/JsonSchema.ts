import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server"
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { TRUNCATED_FIELD, TruncatedNote } from "../policy/AnswerBudget.js"
import { DryRunResult, effectiveInputSchema } from "../policy/Confirmation.js"
import { isEncodedOutputOf } from "../policy/EncodedOutput.js"
import { RunningResult } from "../policy/Running.js"
import { oncePerObject } from "../proxmox/oncePer.js"
import type { AnyTool } from "../proxmox/Tool.js"
import { toolsAndSwitch } from "../tools/index.js"
import { boundIssues, type Issue } from "./boundedIssues.js"
import { expectationWithoutHelp } from "./expectations.js"
import { prebuiltJsonSchemas } from "./prebuiltJsonSchemas.js"

/** Effect Schemas as the JSON Schema and Standard Schema that MCP clients and the SDK take. */

export type JsonObject = Record<string, unknown>

const effectTitle = /^[a-z][A-Za-z]*(\(.*\))?$/

/** Replaces every `$ref` into `$defs` by the definition itself: some MCP hosts do not resolve references. */
const inlineRefs = (root: JsonObject): JsonObject => {
  const defs = (root.$defs ?? {}) as Record<string, JsonObject>
  const visit = (node: unknown, seen: ReadonlyArray<string>): unknown => {
    if (Array.isArray(node)) return node.map((n) => visit(n, seen))
    if (node === null || typeof node !== "object") return node
    const { $ref, ...rest } = node as JsonObject
    const out: JsonObject = {}
    if (typeof $ref === "string" && $ref.startsWith("#/$defs/")) {
      const name = $ref.slice("#/$defs/".length)
      if (seen.includes(name)) throw new Error(`recursive schema ${name} cannot be inlined`)
      Object.assign(out, visit(defs[name], [...seen, name]) as JsonObject)
    }
    for (const [k, v] of Object.entries(rest)) {
      // Effect marks Unknown/Any with "$id": "/schemas/unknown"; repeated ids make Ajv-based clients reject the schema.
      if (k === "$defs" || k === "$schema" || k === "$id") continue
      // Effect's own titles ("int", "between(100, 999999999)") tell the model nothing
      if (k === "title" && typeof v === "string" && effectTitle.test(v)) continue
      out[k] = visit(v, seen)
    }
    return out
  }
  return visit(root, []) as JsonObject
}

/**
 * A union of objects (a write tool's result, its dry-run, or "running") as ONE object schema: MCP clients and the
 * Inspector expect `type: "object"` with `properties` at the root, not `anyOf`. Every branch's properties are
 * listed (a name with different schemas in different branches takes their anyOf); required are those all branches
 * require.
 */
const mergeObjectUnion = (schema: JsonObject): JsonObject => {
  const branches = schema.anyOf
  if (
    !Array.isArray(branches) ||
    branches.length === 0 ||
    !branches.every((b) => (b as JsonObject).type === "object" && (b as JsonObject).anyOf === undefined)
  ) {
    return schema
  }
  const objects = branches as ReadonlyArray<JsonObject>
  const properties: Record<string, unknown[]> = {}
  for (const branch of objects) {
    for (const [name, property] of Object.entries((branch.properties ?? {}) as JsonObject)) {
      const known = properties[name] ?? []
      if (!known.some((p) => JSON.stringify(p) === JSON.stringify(property))) known.push(property)
      properties[name] = known
    }
  }
  const requiredBy = objects.map((b) => new Set((b.required ?? []) as ReadonlyArray<string>))
  const required = [...requiredBy[0]!].filter((name) => requiredBy.every((r) => r.has(name)))
  const { anyOf: _branches, type: _type, ...rest } = schema
  return {
    type: "object",
    ...rest,
    required,
    properties: Object.fromEntries(
      Object.entries(properties).map(([name, variants]) => [
        name,
        variants.length === 1 ? variants[0] : { anyOf: variants }
      ])
    ),
    ...(objects.every((b) => b.additionalProperties === false) ? { additionalProperties: false } : {})
  }
}

/** Arguments every client learns once from the server instructions (src/main.ts), not in each tool's schema. */
export const ARGUMENTS_EXPLAINED_ONCE: ReadonlySet<string> = new Set([
  "vmid",
  "node",
  "dryRun",
  "wait",
  "confirm",
  "confirmVmid",
  "confirmName",
  "limit",
  "cursor"
])

// bounds and formats the server checks itself, with an error that says what to fix
const CHECKED_NOT_ADVERTISED = new Set([
  "maxLength",
  "minLength",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minItems",
  "maxItems",
  "$schema"
])

/**
 * The arguments' schema as advertised in tools/list, which every client puts in the model's context on every
 * turn: types, enums, required and descriptions stay; bounds, patterns, `additionalProperties: false` and empty
 * `required` lists are left out (the server still checks every one of them, and refuses an unknown argument, with
 * an error that says what to fix), and so are the descriptions of the arguments the server instructions explain.
 */
export const leanInputSchema = (schema: JsonObject): JsonObject => {
  const visit = (node: unknown, argument?: string): unknown => {
    if (Array.isArray(node)) return node.map((item) => visit(item))
    if (node === null || typeof node !== "object") return node
    const out: JsonObject = {}
    for (const [k, v] of Object.entries(node as JsonObject)) {
      if (CHECKED_NOT_ADVERTISED.has(k)) continue
      if (k === "required" && Array.isArray(v) && v.length === 0) continue
      if (k === "additionalProperties" && v === false) continue
      if (k === "description" && argument !== undefined && ARGUMENTS_EXPLAINED_ONCE.has(argument)) continue
      // property names are data here, not keywords: only their schemas are visited
      out[k] =
        k === "properties" || k === "patternProperties"
          ? Object.fromEntries(Object.entries(v as JsonObject).map(([name, sub]) => [name, visit(sub, name)]))
          : visit(v)
    }
    return out
  }
  return visit(schema) as JsonObject
}

export const toJsonSchema = (schema: Schema.Schema.Any): JsonObject =>
  mergeObjectUnion(inlineRefs(JSONSchema.make(schema, { target: "jsonSchema2020-12" }) as unknown as JsonObject))

/** How a schema is advertised in tools/list: input lean (see leanInputSchema), output the type side. */
export const advertisedJsonSchema = (schema: Schema.Schema.Any, side: "input" | "output"): JsonObject =>
  side === "input" ? leanInputSchema(toJsonSchema(schema)) : toJsonSchema(Schema.typeSchema(schema))

/**
 * An Effect Schema as the Standard Schema (with JSON Schema) the SDK takes. Input: unknown keys are an error,
 * so a misspelt argument is reported instead of silently ignored. Output: the type side, plain JSON.
 */
export const toStandardSchema = <A, I>(schema: Schema.Schema<A, I>, side: "input" | "output") =>
  lazyStandardSchema(() => schema, side)

/**
 * toStandardSchema with every part built when first asked for (the JSON Schema at tools/list, the validator at the
 * first call), not at registration: a start-up registers every tool and needs neither. `advertised` gives the JSON
 * Schema when it is known already (the build's prebuilt one, src/mcp/prebuiltJsonSchemas.ts).
 * `checkedAlready` tells a value that needs no second check (a result the pipeline encoded with this very Schema).
 */
const lazyStandardSchema = <A, I>(
  schemaOf: () => Schema.Schema<A, I>,
  side: "input" | "output",
  advertised?: () => JsonObject | undefined,
  checkedAlready?: (value: unknown) => boolean
): StandardSchemaWithJSON<I, A> => {
  let own: Schema.Schema<A, I> | undefined
  const theSchema = () => (own ??= schemaOf())
  let json: JsonObject | undefined
  const jsonSchema = () => (json ??= advertised?.() ?? advertisedJsonSchema(theSchema(), side))
  let validator: ((value: unknown) => unknown) | undefined
  const makeValidate = () => {
    const validated =
      side === "input" ? theSchema() : (Schema.typeSchema(theSchema()) as unknown as Schema.Schema<A, I>)
    const onExcessProperty = side === "input" ? "error" : "ignore"
    const check = Schema.standardSchemaV1(validated, { errors: "all", onExcessProperty })["~standard"].validate
    // The Standard Schema's validate runs a fiber for every value; a valid one (nearly every call) is decoded
    // synchronously instead, and only a refused one goes through it for the issues it reports.
    const decodeValid = ParseResult.decodeUnknownEither(validated, { onExcessProperty })
    const bounded = <R extends { readonly issues?: ReadonlyArray<Issue> | undefined }>(result: R, value: unknown): R =>
      result.issues === undefined
        ? result
        : {
            ...result,
            issues: boundIssues(result.issues, value, (path, expected) =>
              expectationWithoutHelp(validated.ast, path, expected)
            )
          }
    // the error text quotes each bad value once and short, whatever its size
    return (value: unknown) => {
      if (checkedAlready?.(value) === true) return { value }
      const valid = decodeValid(value)
      if (Either.isRight(valid)) return { value: valid.right }
      const result = check(value)
      return result instanceof Promise ? result.then((r) => bounded(r, value)) : bounded(result, value)
    }
  }
  return {
    "~standard": {
      version: 1,
      vendor: "effect",
      validate: (value: unknown) => {
        validator ??= makeValidate()
        return validator(value)
      },
      jsonSchema: { input: jsonSchema, output: jsonSchema }
    }
  } as StandardSchemaWithJSON<I, A>
}

/** The JSON Schemas a tool advertises in tools/list. */
export interface ToolJsonSchemas {
  readonly input: JsonObject
  readonly output: JsonObject
}

/** A tool's advertised JSON Schemas, computed (scripts/build.ts prebuilds these for the tools of the build). */
export const computeToolJsonSchemas = (tool: AnyTool): ToolJsonSchemas => ({
  input: advertisedJsonSchema(effectiveInputSchema(tool), "input"),
  output: advertisedJsonSchema(effectiveOutputSchema(tool), "output")
})

// only the very tool objects of this build: a library user's own tool of the same name is computed
const prebuiltFor = (tool: AnyTool, side: "input" | "output"): JsonObject | undefined => {
  const text = toolsAndSwitch.includes(tool) ? prebuiltJsonSchemas[tool.name]?.[side] : undefined
  return text === undefined ? undefined : (JSON.parse(text) as JsonObject)
}

type ToolStandardSchemas = Record<"input" | "output", StandardSchemaWithJSON<unknown, unknown>>
// once per tool and process: every session (and every stateless HTTP request) registers the same tools
const standardSchemasOf = oncePerObject((tool: AnyTool): ToolStandardSchemas => {
  const of = (side: "input" | "output") =>
    lazyStandardSchema<unknown, unknown>(
      () =>
        (side === "input" ? effectiveInputSchema(tool) : effectiveOutputSchema(tool)) as Schema.Schema<
          unknown,
          unknown
        >,
      side,
      () => prebuiltFor(tool, side),
      side === "output" ? (value) => isEncodedOutputOf(tool, value) : undefined
    )
  return { input: of("input"), output: of("output") }
})

/** The Standard Schema of a tool's arguments or result, as the adapter registers it with the SDK. */
export const toolStandardSchema = (tool: AnyTool, side: "input" | "output"): StandardSchemaWithJSON<unknown, unknown> =>
  standardSchemasOf(tool)[side]

/**
 * The result Schema the client sees: a write tool may also answer with its dry-run, or with "running" when its
 * task outlasted the wait (PVE_WAIT_MAX_MS) or the call asked `wait: false`.
 */
export const effectiveOutputSchema = (tool: AnyTool): Schema.Schema.AnyNoContext => {
  const own = withTruncatedNote(tool.output)
  return tool.kind === "read" ? own : Schema.Union(own, DryRunResult, RunningResult)
}

const truncatedNote = Schema.Struct({ [TRUNCATED_FIELD]: Schema.optional(TruncatedNote) })

/** Any answer may carry the note of the answer budget (policy/AnswerBudget.ts); a schema that cannot be extended stays. */
const withTruncatedNote = (output: Schema.Schema.AnyNoContext): Schema.Schema.AnyNoContext => {
  try {
    return Schema.extend(output as Schema.Schema<object>, truncatedNote) as unknown as Schema.Schema.AnyNoContext
  } catch {
    return output
  }
}
