import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { API_PATH_MAX_LENGTH, apiPathShapeProblem } from "../proxmox/api.js"
import {
  describeEndpoint,
  type EndpointDescription,
  type EndpointMatch,
  type ParamDescription,
  SEARCH_LIMIT,
  searchEndpoints
} from "../proxmox/describe.js"
import { InvalidInput } from "../proxmox/errors.js"
import { readTool } from "../proxmox/Tool.js"

const Method = Schema.Literal("GET", "POST", "PUT", "DELETE")

const Match = Schema.Struct({
  method: Method,
  path: Schema.String,
  description: Schema.String,
  via: Schema.Literal("pve_api_get", "pve_api_call", "not available")
})

const paramFields = {
  name: Schema.String,
  type: Schema.String,
  required: Schema.Boolean,
  description: Schema.optional(Schema.String),
  format: Schema.optional(Schema.String),
  enum: Schema.optional(Schema.Array(Schema.String)),
  default: Schema.optional(Schema.String),
  minimum: Schema.optional(Schema.Number),
  maximum: Schema.optional(Schema.Number),
  maxLength: Schema.optional(Schema.Number),
  pattern: Schema.optional(Schema.String),
  indexed: Schema.optional(Schema.String),
  keysOmitted: Schema.optional(Schema.Number)
}

const Param = Schema.Struct({ ...paramFields, keys: Schema.optional(Schema.Array(Schema.Struct(paramFields))) })

const Described = Schema.Struct({
  method: Method,
  path: Schema.String,
  description: Schema.String,
  parameters: Schema.Array(Param),
  summarised: Schema.optional(Schema.String),
  returns: Schema.String,
  permissions: Schema.String,
  startsTask: Schema.Boolean,
  via: Match.fields.via,
  notAvailable: Schema.optional(Schema.String),
  example: Schema.optional(
    Schema.Struct({ tool: Schema.String, arguments: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
  )
})

const DescribeAnswer = Schema.Struct({
  query: Schema.optional(Schema.String),
  matches: Schema.optional(Schema.Array(Match)),
  endpoint: Schema.optional(Described)
})
type DescribeAnswer = typeof DescribeAnswer.Type

const constraintsText = (p: ParamDescription): string => {
  const parts = [
    p.format === undefined ? undefined : `format ${p.format}`,
    p.enum === undefined ? undefined : `one of ${p.enum.join("|")}`,
    p.minimum === undefined && p.maximum === undefined ? undefined : `${p.minimum ?? "…"}..${p.maximum ?? "…"}`,
    p.maxLength === undefined ? undefined : `≤${p.maxLength} chars`,
    p.pattern === undefined ? undefined : `pattern ${p.pattern}`,
    p.default === undefined ? undefined : `default ${p.default}`,
    p.indexed === undefined ? undefined : p.indexed,
    p.keysOmitted === undefined ? undefined : `${p.keysOmitted} keys: ask with param`
  ].filter((x) => x !== undefined)
  return parts.length === 0 ? "" : ` [${parts.join("; ")}]`
}

const paramLine = (p: ParamDescription, indent: string): string =>
  `${indent}${p.required ? "*" : " "} ${p.name}: ${p.type}${constraintsText(p)}${p.description === undefined ? "" : ` — ${p.description}`}`

const matchLine = (m: EndpointMatch) =>
  `${m.method} ${m.path}${m.description === "" ? "" : ` — ${m.description}`}${m.via === "not available" ? " (not available here)" : ""}`

const renderDescription = (e: EndpointDescription): string => {
  const lines = [
    `${e.method} ${e.path}${e.description === "" ? "" : ` — ${e.description}`}`,
    `Privileges: ${e.permissions}`,
    `Returns: ${e.returns}${e.startsTask ? " (a task UPID: the call waits for the task)" : ""}`,
    e.parameters.length === 0 ? "Parameters: none" : "Parameters (* required):",
    ...e.parameters.flatMap((p) => [paramLine(p, ""), ...(p.keys ?? []).map((k) => paramLine(k, "    "))])
  ]
  if (e.summarised !== undefined) lines.push(e.summarised)
  if (e.notAvailable !== undefined) lines.push(e.notAvailable)
  if (e.example !== undefined) lines.push(`Example: ${e.example.tool} ${JSON.stringify(e.example.arguments)}`)
  return lines.join("\n")
}

const render = (a: DescribeAnswer): string => {
  if (a.endpoint !== undefined) return renderDescription(a.endpoint as EndpointDescription)
  const matches = a.matches ?? []
  if (matches.length === 0) {
    return `No endpoint matches ${JSON.stringify(a.query ?? "")}; try other words (firewall, ha, users, storage…) or a path such as /cluster.`
  }
  return [
    `${matches.length} endpoints for ${JSON.stringify(a.query ?? "")}, best first (describe one with method and path):`,
    ...matches.map(matchLine)
  ].join("\n")
}

const invalid = (field: string, message: string) => new InvalidInput({ field, message })

export const pveApiDescribe = readTool({
  name: "pve_api_describe",
  title: "Find and explain API endpoints",
  description: `Finds API endpoints for pve_api_get/pve_api_call (query: the ${SEARCH_LIMIT} best), or explains one (method, path): parameters, returns, privileges, example.`,
  toolset: "api",
  input: Schema.Struct({
    query: Schema.optional(
      Schema.String.pipe(Schema.maxLength(200)).annotations({
        description: "Words or a path prefix, e.g. ha resources"
      })
    ),
    method: Schema.optional(Method.annotations({ description: "Default: the path's only method, or GET" })),
    path: Schema.optional(
      Schema.String.pipe(Schema.maxLength(API_PATH_MAX_LENGTH)).annotations({
        description: "Template or concrete path, without /api2/json"
      })
    ),
    param: Schema.optional(
      Schema.String.pipe(Schema.maxLength(64)).annotations({
        description: "One parameter in full, e.g. net"
      })
    )
  }),
  output: DescribeAnswer,
  endpoints: [],
  handler: ({ query, method, path, param }) =>
    Effect.gen(function* () {
      if (path !== undefined) {
        // a template is looked up as it is; a concrete path must have the shape pve_api_get would take
        const shape = /^\/[A-Za-z0-9_/-]*(\{[a-z-]+\}[A-Za-z0-9_/-]*)+$/.test(path)
          ? undefined
          : apiPathShapeProblem(path)
        if (shape !== undefined) return yield* invalid("path", shape)
        const chosen = method ?? (yield* Effect.promise(() => onlyMethod(path)))
        if (chosen === undefined) {
          const matches = yield* Effect.promise(() => searchEndpoints(path))
          return { query: path, matches: matches.filter((m) => samePath(m.path, path)) }
        }
        const result = yield* Effect.promise(() => describeEndpoint(chosen, path, param))
        if (result._tag === "NotFound") {
          const near = result.near.map((m) => `${m.method} ${m.path}`).join(", ")
          return yield* invalid(
            param === undefined ? "path" : "param",
            `${result.message}${near ? `; near: ${near}` : ""}`
          )
        }
        return { endpoint: result.description }
      }
      if (query === undefined || query.trim() === "") {
        return yield* invalid("query", 'give query (words or a path, e.g. "firewall rules of a vm") or method and path')
      }
      if (param !== undefined || method !== undefined) {
        return yield* invalid(
          method === undefined ? "param" : "method",
          "method and param go with path, not with query"
        )
      }
      return { query, matches: [...(yield* Effect.promise(() => searchEndpoints(query)))] }
    }),
  render
})

const samePath = (template: string, path: string) => {
  const a = template.split("/")
  const b = path.split("/")
  return a.length === b.length && a.every((s, i) => s === b[i] || s.startsWith("{"))
}

/** The method of a path that has exactly one; undefined when it has several (they are listed instead). */
const onlyMethod = async (path: string): Promise<"GET" | "POST" | "PUT" | "DELETE" | undefined> => {
  const matches = (await searchEndpoints(path, 40)).filter((m) => samePath(m.path, path))
  const methods = [...new Set(matches.map((m) => m.method))]
  return methods.length === 1 ? methods[0] : methods.length === 0 ? "GET" : undefined
}
