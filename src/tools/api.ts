import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { API_PATH_MAX_LENGTH, apiRequest, callApi } from "../proxmox/api.js"
import { plan } from "../proxmox/Plan.js"
import { type AnyTool, destructiveTool, readTool } from "../proxmox/Tool.js"
import { pveApiDescribe } from "./describe.js"

const ApiPath = Schema.String.pipe(Schema.maxLength(API_PATH_MAX_LENGTH)).annotations({
  description: "Concrete path without /api2/json, e.g. /nodes/pve1/qemu/100/config"
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
    // key and value bounds are checked, not advertised: Effect's sentences for them would only lengthen tools/list
    jsonSchema: {
      type: "object",
      additionalProperties: { type: ["string", "number", "boolean", "array"], items: { type: ["string", "number"] } },
      description: "The endpoint's parameters by name"
    }
  })
)

const ApiAnswer = Schema.Struct({
  method: Schema.String,
  path: Schema.String,
  data: Schema.Unknown,
  total: Schema.optional(Schema.Number)
})

/** pve_api_call's answer: PVE's own, and how its task ended when it answered with one (a UPID). */
const ApiCallAnswer = Schema.Struct({
  ...ApiAnswer.fields,
  task: Schema.optional(
    Schema.Struct({
      upid: Schema.String,
      exitStatus: Schema.String,
      warnings: Schema.Number,
      warningLines: Schema.Array(Schema.String)
    })
  )
})

const TEXT_LIMIT = 20_000

/** What an answer over PVE_MAX_ANSWER_BYTES suggests. */
const narrowApi =
  "read a narrower path (one node's /nodes/{node}/qemu, one guest's config) or pass the endpoint's filters in params (/cluster/resources takes type: vm, storage, node or sdn; pve_api_describe lists every endpoint's parameters, e.g. limit and start for logs)"

const renderAnswer = (a: typeof ApiAnswer.Type) => {
  const text = JSON.stringify(a.data, null, 1) ?? "null"
  const body =
    text.length > TEXT_LIMIT
      ? `${text.slice(0, TEXT_LIMIT)}\n… (${text.length} characters; structuredContent has the data)`
      : text
  return `${a.method} ${a.path}${a.total === undefined ? "" : ` (total ${a.total})`}:\n${body}`
}

export const pveApiGet = readTool({
  name: "pve_api_get",
  title: "Read any API path",
  description: "GET any Proxmox VE API endpoint no other tool covers; the path must exist in the real API schema.",
  toolset: "api",
  input: Schema.Struct({ path: ApiPath, params: ApiParams }),
  output: ApiAnswer,
  narrow: narrowApi,
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
  description: "POST, PUT or DELETE any Proxmox VE API endpoint no other tool covers; a task it starts is waited for.",
  toolset: "api",
  input: Schema.Struct({
    method: Schema.Literal("POST", "PUT", "DELETE").annotations({ description: "HTTP method" }),
    path: ApiPath,
    params: ApiParams
  }),
  output: ApiCallAnswer,
  narrow: narrowApi,
  endpoints: { any: "any method" },
  confirmTarget: { echo: "name", what: "API path", of: (input: { readonly path: string }) => input.path },
  // one step: the answer is PVE's own, and when it is a UPID its task is waited for
  plan: ({ method, path, params }) =>
    Effect.map(apiRequest(method, path, params ?? {}), (request) =>
      plan([{ request, startsTask: false, waitsIfTask: true }], (done) => {
        const task = done[0]!.task
        return Effect.succeed<typeof ApiCallAnswer.Type>({
          method,
          path,
          data: done[0]!.data ?? null,
          ...(task === undefined
            ? {}
            : {
                task: {
                  upid: task.upid,
                  exitStatus: task.exitStatus,
                  warnings: task.warnings,
                  warningLines: [...task.warningLines]
                }
              })
        })
      })
    ),
  render: (a) =>
    `${renderAnswer(a)}${a.task === undefined ? "" : `\ntask ${a.task.upid}: ${a.task.exitStatus}${a.task.warningLines.length ? `\n${a.task.warningLines.join("\n")}` : ""}`}`
})

export const apiTools: ReadonlyArray<AnyTool> = [pveApiDescribe, pveApiGet, pveApiCall]
