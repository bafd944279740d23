import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type ApiSchema, loadApiSchema } from "../proxmox/ApiSchema.js"
import { InvalidInput, PolicyDenied, type ProxmoxError } from "../proxmox/errors.js"
import { pathProblem } from "../proxmox/Path.js"
import { ProxmoxClient, type ProxmoxClientShape, type PveRequest, type PveResponse } from "../proxmox/ProxmoxClient.js"
import { isTaskSuccess, taskStatusEndpoint } from "../proxmox/Tasks.js"
import { allowlistViolation, filterAnswer } from "./Allowlist.js"
import { type AuditEntry, AuditLog, type AuditOutcome } from "./Audit.js"
import { currentCall } from "./CurrentCall.js"
import type { PolicyConfigShape } from "./PolicyConfig.js"
import { redactFields, redactParams } from "./Secrets.js"
import { admitApprovedWrite, WriteGate } from "./WriteGate.js"

/** Tasks started but never seen stopped (a caller that stops polling) are forgotten beyond this many. */
const MAX_TRACKED_TASKS = 1000

const upidOf = (data: unknown) => (typeof data === "string" && data.startsWith("UPID:") ? data : undefined)

/** The answer with every credential field removed; the endpoint makes names that are secret only there exact. */
const secretFree = (response: PveResponse, template: string): PveResponse => {
  const data = redactFields(response.data, template)
  return data === response.data ? response : { ...response, data }
}

/**
 * The policies around `ProxmoxClient.execute`, for every caller (typed tools, the generic API tool, embedding):
 * path re-check, only endpoints of the real schema, read-only, allowlists on the path and the parameters,
 * the tool's declared endpoints, the write gate (no writes while planning, previews audited and not sent, only
 * approved steps sent), the audit line for every non-GET, answers filtered to the allowlists (or refused when
 * they cannot be), and credential fields redacted from every answer.
 */
export const makePolicyClient = (
  inner: ProxmoxClientShape,
  policy: Pick<PolicyConfigShape, "readOnly" | "allowlists">,
  schema: Effect.Effect<ApiSchema>,
  audit: AuditLog["Type"]
): ProxmoxClientShape => {
  const checked = (request: PveRequest): Effect.Effect<void, ProxmoxError> =>
    Effect.gen(function* () {
      const problem = pathProblem(request.path)
      if (problem !== undefined) {
        return yield* new InvalidInput({
          field: "path",
          message: `refused ${request.method} ${request.path.template}: ${problem}`
        })
      }
      const endpoint = (yield* schema).endpoint(request.method, request.path.template)
      if (endpoint === undefined) {
        return yield* new PolicyDenied({
          policy: "api-schema",
          message: `${request.method} ${request.path.template} is not an endpoint of the Proxmox VE API`
        })
      }
      if (policy.readOnly && request.method !== "GET") {
        return yield* new PolicyDenied({
          policy: "read-only",
          message: `${request.method} ${request.path.path} would change the cluster, and the server is read-only (PVE_READONLY=true)`
        })
      }
      const violation = yield* allowlistViolation(policy.allowlists, request, endpoint, inner.execute)
      if (violation !== undefined) return yield* new PolicyDenied({ policy: "allowlist", message: violation })
    })

  // a tool's call reaches only the endpoints the tool declares (and what waiting for its tasks reads)
  const declaredByTool = (request: PveRequest): Effect.Effect<void, PolicyDenied> =>
    Effect.flatMap(FiberRef.get(currentCall), (call) =>
      call === undefined || call.mayCall(request.method, request.path.template)
        ? Effect.void
        : new PolicyDenied({
            policy: "plan",
            message: `${call.tool} does not declare ${request.method} ${request.path.template} among its endpoints; it was not sent`
          })
    )

  // tasks this client started, so that their end reaches the audit log too (the tools poll their status)
  const startedTasks = new Map<string, { readonly tool: string | null; readonly started: number }>()
  const trackTask = (upid: string, tool: string | null, started: number) =>
    Effect.sync(() => {
      startedTasks.set(upid, { tool, started })
      if (startedTasks.size > MAX_TRACKED_TASKS) startedTasks.delete(startedTasks.keys().next().value!)
    })
  const auditTaskEnd = (request: PveRequest, data: unknown) => {
    const upid = request.path.template === taskStatusEndpoint.template ? request.path.params.upid : undefined
    const begun = upid === undefined ? undefined : startedTasks.get(upid)
    const status = data as { readonly status?: unknown; readonly exitstatus?: unknown } | null
    if (upid === undefined || begun === undefined || status?.status !== "stopped") return Effect.void
    startedTasks.delete(upid)
    const exitStatus = typeof status.exitstatus === "string" ? status.exitstatus : "(no exit status)"
    return Effect.flatMap(Clock.currentTimeMillis, (now) =>
      audit.record({
        event: "pve_task",
        time: new Date(now).toISOString(),
        tool: begun.tool,
        upid,
        exitStatus,
        outcome: exitStatus === "OK" ? "ok" : isTaskSuccess(exitStatus) ? "warnings" : "failed",
        durationMs: now - begun.started
      })
    )
  }

  const read = (request: PveRequest) =>
    declaredByTool(request).pipe(
      Effect.zipRight(checked(request)),
      Effect.zipRight(inner.execute(request)),
      Effect.tap((response) => auditTaskEnd(request, response.data)),
      Effect.flatMap((response) => {
        const answer = filterAnswer(policy.allowlists, request, response.data)
        if (answer._tag === "Refused") return new PolicyDenied({ policy: "allowlist", message: answer.reason })
        return Effect.succeed(
          secretFree(
            answer.data === response.data ? response : { ...response, data: answer.data },
            request.path.template
          )
        )
      })
    )

  const write = (request: PveRequest) =>
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const call = yield* FiberRef.get(currentCall)
      const tool = call?.tool
      const record = (outcome: AuditOutcome, extra: Partial<Pick<AuditEntry, "error" | "upid">> = {}) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          audit.record({
            event: "pve_request",
            time: new Date(now).toISOString(),
            tool: tool ?? null,
            method: request.method,
            path: request.path.path,
            template: request.path.template,
            params: redactParams(request.params, request.path.template),
            outcome,
            ...extra,
            durationMs: now - started
          })
        )
      const gate = yield* Effect.serviceOption(WriteGate)
      const denied = (e: ProxmoxError) =>
        record("denied", { error: { tag: e._tag, message: e.message } }).pipe(
          Effect.zipRight(
            Effect.sync(() => {
              if (call !== undefined) call.refusalAudited = true
            })
          )
        )
      const planning = new PolicyDenied({
        policy: "plan",
        message: `${request.method} ${request.path.path} was attempted while the tool was still planning; a tool writes only the steps of its plan`
      })
      const admitted = declaredByTool(request).pipe(
        Effect.zipRight(checked(request)),
        Effect.zipRight(
          Option.match(gate, {
            onNone: () => Effect.succeed(true),
            onSome: (mode) =>
              mode._tag === "Planning"
                ? Effect.fail(planning)
                : mode._tag === "Preview"
                  ? Effect.as(record(mode.purpose === "dry-run" ? "dry-run" : "awaiting-confirmation"), false)
                  : Effect.as(admitApprovedWrite(mode, request), true)
          })
        ),
        Effect.tapError(denied)
      )
      // a previewed step has passed every policy and is audited as shown; it is not sent
      if (!(yield* admitted)) return { data: null } satisfies PveResponse
      const sent = Effect.void.pipe(
        Effect.zipRight(
          inner.execute(request).pipe(
            Effect.tapBoth({
              onFailure: (e) => record("error", { error: { tag: e._tag, message: e.message } }),
              onSuccess: (response) => {
                const upid = upidOf(response.data)
                return upid === undefined
                  ? record("ok")
                  : record("ok", { upid }).pipe(Effect.zipRight(trackTask(upid, tool ?? null, started)))
              }
            })
          )
        )
      )
      return secretFree(yield* sent, request.path.template)
    })

  return {
    execute: (request) => (request.method === "GET" ? read(request) : write(request))
  }
}

/** Wraps the ProxmoxClient below it with the policies; needs the AuditLog. */
export const PolicyClientLayer = (
  policy: Pick<PolicyConfigShape, "readOnly" | "allowlists">
): Layer.Layer<ProxmoxClient, never, ProxmoxClient | AuditLog> =>
  Layer.effect(
    ProxmoxClient,
    Effect.gen(function* () {
      const inner = yield* ProxmoxClient
      const audit = yield* AuditLog
      const schema = yield* Effect.cached(Effect.promise(loadApiSchema))
      return makePolicyClient(inner, policy, schema, audit)
    })
  )
