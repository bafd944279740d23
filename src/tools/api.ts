import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { API_PATH_MAX_LENGTH, apiRequest, callApi } from "../proxmox/api.js"
import { plan } from "../proxmox/Plan.js"
import { type AnyTool, destructiveTool, readTool } from "../proxmox/Tool.js"

const ApiPath = Schema.String.pipe(Schema.maxLength(API_PATH_MAX_LENGTH)).annotations({
  description:
    "An API path as in the Proxmox VE API viewer, values filled in and unencoded, without /api2/json, e.g. /nodes/pve1/qemu/100/config"
})

const ParamScalar = Schema.Union(Schema.String.pipe(Schema.maxLength(65536)), Schema.Number, Schema.Boolean)

const ApiParams = Schema.optional(
  Schema.Record({
    key: Schema.String.pipe(Schema.maxLength(64)),
    value: Schema.Union(
      ParamScalar,
      Schema.Array(Schema.Union(Schema.String, Schema.Number)).pipe(Schema.maxItems(256))
    )
  }).annotations({
    description: "Parameters by name, as the API viewer lists them (query for GET/DELETE, body otherwise)"
  })
)

const ApiAnswer = Schema.Struct({
  method: Schema.String,
  path: Schema.String,
  data: Schema.Unknown,
  total: Schema.optional(Schema.Number)
})

const TEXT_LIMIT = 20_000

const renderAnswer = (a: typeof ApiAnswer.Type) => {
  const text = JSON.stringify(a.data, null, 1) ?? "null"
  const body =
    text.length > TEXT_LIMIT
      ? `${text.slice(0, TEXT_LIMIT)}\n… (${text.length} characters; structuredContent has all of it)`
      : text
  return `${a.method} ${a.path}${a.total === undefined ? "" : ` (total ${a.total})`}:\n${body}`
}

export const pveApiGet = readTool({
  name: "pve_api_get",
  title: "Read any API path",
  description:
    "GET any read endpoint of the Proxmox VE API that no other tool covers. The path must match an endpoint of the real API schema; its values are validated with their formats and the allowlists apply.",
  toolset: "api",
  input: Schema.Struct({ path: ApiPath, params: ApiParams }),
  output: ApiAnswer,
  endpoints: { any: "GET" },
  handler: ({ path, params }) =>
    Effect.map(callApi("GET", path, params ?? {}), (r) => ({
      method: "GET",
      path,
      data: r.data ?? null,
      ...(r.total === undefined ? {} : { total: r.total })
    })),
  render: renderAnswer
})

export const pveApiCall = destructiveTool({
  name: "pve_api_call",
  title: "Change anything through the API",
  description:
    "POST, PUT or DELETE any endpoint of the Proxmox VE API that no other tool covers. Destructive: it must be confirmed. Endpoints that start tasks answer with the task id (UPID); follow it with pve_task_status.",
  toolset: "api",
  input: Schema.Struct({
    method: Schema.Literal("POST", "PUT", "DELETE").annotations({ description: "HTTP method of the endpoint" }),
    path: ApiPath,
    params: ApiParams
  }),
  output: ApiAnswer,
  endpoints: { any: "any method" },
  confirmTarget: { echo: "name", what: "API path", of: (input: { readonly path: string }) => input.path },
  // one step, not waited for: the answer is PVE's own (a UPID for endpoints that start a task)
  plan: ({ method, path, params }) =>
    Effect.map(apiRequest(method, path, params ?? {}), (request) =>
      plan([{ request, startsTask: false }], (done) => Effect.succeed({ method, path, data: done[0]!.data ?? null }))
    ),
  render: renderAnswer
})

export const apiTools: ReadonlyArray<AnyTool> = [pveApiGet, pveApiCall]
