import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { PolicyConfigShape } from "../config/PolicyConfig.js"
import { type ApiSchema, loadApiSchema } from "../proxmox/ApiSchema.js"
import { type AuditEntry, AuditLog, type AuditOutcome } from "../proxmox/Audit.js"
import { InvalidInput, PolicyDenied, type ProxmoxError } from "../proxmox/errors.js"
import { type PvePath, type SegmentFormat, segmentFormats } from "../proxmox/Path.js"
import { ProxmoxClient, type ProxmoxClientShape, type PveRequest, type PveResponse } from "../proxmox/ProxmoxClient.js"
import { isTaskSuccess, taskStatusTemplate } from "../proxmox/Tasks.js"
import { allowlistViolation, filterAnswer } from "./Allowlist.js"
import { redactFields, redactParams } from "./Secrets.js"
import { admitApprovedWrite, captureWrite, currentTool, WriteGate } from "./WriteGate.js"

const placeholder = /\{([\w-]+)\}/g
/** Tasks started but never seen stopped (a caller that stops polling) are forgotten beyond this many. */
const MAX_TRACKED_TASKS = 1000
const templateShape = /^(\/([A-Za-z0-9_-][A-Za-z0-9_.-]*|\{[\w-]+\}))+$/
const printableAscii = /^[\x21-\x7e]+$/
const MAX_SEGMENT = 512

const valueProblem = (name: string, value: unknown): string | undefined => {
  if (typeof value !== "string") return `{${name}} has no value`
  if (value.length === 0 || value.length > MAX_SEGMENT) return `{${name}} must be 1 to ${MAX_SEGMENT} characters`
  if (!printableAscii.test(value)) return `{${name}} may only hold printable ASCII characters`
  if (/[\\%?#]/.test(value)) return `{${name}} may not contain \\, %, ? or #`
  // Only a volume id carries slashes (local:iso/debian.iso), and never as a way up or an empty step.
  const steps = name === "volume" ? value.split("/") : [value]
  if (name !== "volume" && value.includes("/")) return `{${name}} may not contain /`
  if (steps.some((s) => s === "" || s === "." || s === "..")) return `{${name}} may not contain empty, . or .. steps`
  const format = (segmentFormats as Record<string, SegmentFormat | undefined>)[name]
  if (format !== undefined && !format.check(value)) return `{${name}} is not ${format.describe}`
  return undefined
}

/**
 * Checks a request path again at the door, whoever built it: a sane template, one valid value per placeholder,
 * and a path that is exactly the template filled with those values, each percent-encoded.
 */
export const pathProblem = (path: PvePath): string | undefined => {
  if (!templateShape.test(path.template) || /\/\.\.?(\/|$)/.test(path.template)) {
    return `path template ${JSON.stringify(path.template.slice(0, 120))} is malformed`
  }
  const names = [...path.template.matchAll(placeholder)].map((m) => m[1]!)
  const extra = Object.keys(path.params).filter((k) => !names.includes(k))
  if (extra.length > 0) return `values for {${extra.join("}, {")}}, which the template does not have`
  for (const name of names) {
    const problem = valueProblem(name, path.params[name])
    if (problem !== undefined) return problem
  }
  const expected = path.template.replace(placeholder, (_, name: string) => encodeURIComponent(path.params[name]!))
  if (expected !== path.path) return "the path is not its template filled with its encoded values"
  return undefined
}

const upidOf = (data: unknown) => (typeof data === "string" && data.startsWith("UPID:") ? data : undefined)

const secretFree = (response: PveResponse): PveResponse => {
  const data = redactFields(response.data)
  return data === response.data ? response : { ...response, data }
}

/**
 * The policies around `ProxmoxClient.execute`, for every caller (typed tools, the generic API tool, embedding):
 * path re-check, only endpoints of the real schema, read-only, allowlists on the path and the parameters,
 * the write gate (dry-run capture, confirmed writes only), the audit line for every non-GET, list answers
 * filtered to the allowlists, and credential fields redacted from every answer.
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

  // tasks this client started, so that their end reaches the audit log too (the tools poll their status)
  const startedTasks = new Map<string, { readonly tool: string | null; readonly started: number }>()
  const trackTask = (upid: string, tool: string | null, started: number) =>
    Effect.sync(() => {
      startedTasks.set(upid, { tool, started })
      if (startedTasks.size > MAX_TRACKED_TASKS) startedTasks.delete(startedTasks.keys().next().value!)
    })
  const auditTaskEnd = (request: PveRequest, data: unknown) => {
    const upid = request.path.template === taskStatusTemplate ? request.path.params.upid : undefined
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
    checked(request).pipe(
      Effect.zipRight(inner.execute(request)),
      Effect.tap((response) => auditTaskEnd(request, response.data)),
      Effect.flatMap((response) => {
        const answer = filterAnswer(policy.allowlists, request, response.data)
        if (answer._tag === "Refused") return new PolicyDenied({ policy: "allowlist", message: answer.reason })
        return Effect.succeed(secretFree(answer.data === response.data ? response : { ...response, data: answer.data }))
      })
    )

  const write = (request: PveRequest) =>
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const tool = yield* FiberRef.get(currentTool)
      const record = (outcome: AuditOutcome, extra: Partial<Pick<AuditEntry, "error" | "upid">> = {}) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          audit.record({
            event: "pve_request",
            time: new Date(now).toISOString(),
            tool: tool ?? null,
            method: request.method,
            path: request.path.path,
            template: request.path.template,
            params: redactParams(request.params),
            outcome,
            ...extra,
            durationMs: now - started
          })
        )
      const gate = yield* Effect.serviceOption(WriteGate)
      const sent = checked(request).pipe(
        Effect.tapError((e) => record("denied", { error: { tag: e._tag, message: e.message } })),
        Effect.zipRight(
          Option.match(gate, {
            onNone: () => Effect.void,
            onSome: (mode) =>
              mode._tag === "Capture"
                ? record(mode.purpose === "dry-run" ? "dry-run" : "awaiting-confirmation").pipe(
                    Effect.zipRight(captureWrite(mode, request))
                  )
                : admitApprovedWrite(mode, request).pipe(
                    Effect.tapError((e) => record("denied", { error: { tag: e._tag, message: e.message } }))
                  )
          })
        ),
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
      return secretFree(yield* sent)
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
