import * as Schema from "effect/Schema"

/** 401: no or bad credentials, expired ticket, bad CSRF token. */
export class PveAuthError extends Schema.TaggedError<PveAuthError>()("PveAuthError", {
  message: Schema.String
}) {}

/** 403 `Permission check failed (/vms/100, VM.PowerMgmt)`, with the ACL path and the privileges parsed out. */
export class PvePermissionError extends Schema.TaggedError<PvePermissionError>()("PvePermissionError", {
  message: Schema.String,
  aclPath: Schema.optional(Schema.String),
  privileges: Schema.Array(Schema.String)
}) {}

/** 400 "Parameter verification failed." with one message per parameter. */
export class PveParamError extends Schema.TaggedError<PveParamError>()("PveParamError", {
  message: Schema.String,
  errors: Schema.Record({ key: Schema.String, value: Schema.String })
}) {}

/** PVE answers 500 for a missing guest or object ("does not exist", "no such VM"): never 404. */
export class PveNotFound extends Schema.TaggedError<PveNotFound>()("PveNotFound", {
  message: Schema.String
}) {}

/** Any other non-2xx from PVE itself (500 runtime errors, 501 not implemented). */
export class PveServerError extends Schema.TaggedError<PveServerError>()("PveServerError", {
  status: Schema.Number,
  message: Schema.String
}) {}

/** 595/596: pveproxy could not reach pvedaemon or another node (AnyEvent::HTTP pseudo statuses). */
export class PveUpstreamError extends Schema.TaggedError<PveUpstreamError>()("PveUpstreamError", {
  status: Schema.Number,
  message: Schema.String
}) {}

/** The request got no answer within the per-request timeout. */
export class PveTimeout extends Schema.TaggedError<PveTimeout>()("PveTimeout", {
  method: Schema.String,
  path: Schema.String,
  timeoutMs: Schema.Number
}) {
  override get message() {
    return `${this.method} ${this.path} got no answer within ${this.timeoutMs} ms`
  }
}

/** Connection refused, TLS failure, DNS, dropped connection: nothing usable came back. */
export class PveTransportError extends Schema.TaggedError<PveTransportError>()("PveTransportError", {
  message: Schema.String,
  /** `tls` when PVE's certificate was refused, so the fix is a CA file rather than the address */
  kind: Schema.optional(Schema.Literal("network", "tls"))
}) {}

/** A 2xx whose body does not match what this PVE endpoint returns. */
export class PveDecodeError extends Schema.TaggedError<PveDecodeError>()("PveDecodeError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** PVE's answer was longer than PVE_MAX_RESPONSE_BYTES; it was not read further and the connection was closed. */
export class PveResponseTooLarge extends Schema.TaggedError<PveResponseTooLarge>()("PveResponseTooLarge", {
  method: Schema.String,
  path: Schema.String,
  limitBytes: Schema.Number,
  /** the Content-Length PVE announced, when it did */
  declaredBytes: Schema.optional(Schema.Number)
}) {
  override get message() {
    const size = this.declaredBytes === undefined ? "more than" : `${this.declaredBytes} bytes, over`
    return `${this.method} ${this.path} answered with ${size} the limit of ${this.limitBytes} bytes (PVE_MAX_RESPONSE_BYTES)`
  }
}

/** A task stopped with an exit status other than `OK` or `WARNINGS: n`. */
export class TaskFailed extends Schema.TaggedError<TaskFailed>()("TaskFailed", {
  upid: Schema.String,
  exitStatus: Schema.String,
  logTail: Schema.Array(Schema.String)
}) {
  override get message() {
    return `task ${this.upid} failed: ${this.exitStatus}`
  }
}

/** The task was still running when the task timeout ran out (it may still finish on the node). */
export class TaskTimeout extends Schema.TaggedError<TaskTimeout>()("TaskTimeout", {
  upid: Schema.String,
  timeoutMs: Schema.Number
}) {
  override get message() {
    return `task ${this.upid} still running after ${this.timeoutMs} ms`
  }
}

/**
 * The policies that can refuse a request: read-only mode, the allowlists, the generic API tools' forbidden
 * endpoints, endpoints outside the real schema, confirmation, and the plan rules (a tool writes only its steps).
 */
export const PolicyName = Schema.Literal(
  "read-only",
  "allowlist",
  "api",
  "api-schema",
  "confirmation",
  "plan",
  "answer-budget"
)
export type PolicyName = typeof PolicyName.Type

/** A policy refused the operation before any request was sent. */
export class PolicyDenied extends Schema.TaggedError<PolicyDenied>()("PolicyDenied", {
  policy: PolicyName,
  message: Schema.String
}) {}

/** A destructive operation that was not confirmed (or whose confirmation was declined). */
export class ConfirmationRequired extends Schema.TaggedError<ConfirmationRequired>()("ConfirmationRequired", {
  message: Schema.String
}) {}

/** An argument that is not a valid value for its field; no request was sent. */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  field: Schema.String,
  message: Schema.String
}) {}

/**
 * How one step of a plan went: done (with its task's UPID and exit status), failed, running (its task still ran
 * when the wait reached its cap, or was not waited for), or not run.
 */
export const StepReport = Schema.Struct({
  step: Schema.Int,
  method: Schema.String,
  path: Schema.String,
  status: Schema.Literal("done", "failed", "running", "not run"),
  upid: Schema.optional(Schema.String),
  exitStatus: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String),
  logTail: Schema.optional(Schema.Array(Schema.String))
})
export type StepReport = typeof StepReport.Type

/**
 * A plan of several writes stopped at a failure: which steps were done, which failed and which were not run,
 * so the state the cluster is left in is known. `failure` is what stopped it.
 */
export class PlanFailed extends Schema.TaggedError<PlanFailed>()("PlanFailed", {
  steps: Schema.Array(StepReport),
  // biome-ignore lint/suspicious/noExplicitAny: the encoded side of a recursive union cannot be named without a cycle
  failure: Schema.suspend((): Schema.Schema<ProxmoxError, any> => ProxmoxError)
}) {
  override get message(): string {
    const done = this.steps.filter((s) => s.status === "done").length
    return `${done} of ${this.steps.length} steps done, then: ${this.failure.message}`
  }
}

/** Everything a Proxmox operation can fail with. */
export type ProxmoxError =
  | PveAuthError
  | PvePermissionError
  | PveParamError
  | PveNotFound
  | PveServerError
  | PveUpstreamError
  | PveTimeout
  | PveTransportError
  | PveDecodeError
  | PveResponseTooLarge
  | TaskFailed
  | TaskTimeout
  | PolicyDenied
  | ConfirmationRequired
  | InvalidInput
  | PlanFailed

export const ProxmoxError: Schema.Union<
  [
    typeof PveAuthError,
    typeof PvePermissionError,
    typeof PveParamError,
    typeof PveNotFound,
    typeof PveServerError,
    typeof PveUpstreamError,
    typeof PveTimeout,
    typeof PveTransportError,
    typeof PveDecodeError,
    typeof PveResponseTooLarge,
    typeof TaskFailed,
    typeof TaskTimeout,
    typeof PolicyDenied,
    typeof ConfirmationRequired,
    typeof InvalidInput,
    typeof PlanFailed
  ]
> = Schema.Union(
  PveAuthError,
  PvePermissionError,
  PveParamError,
  PveNotFound,
  PveServerError,
  PveUpstreamError,
  PveTimeout,
  PveTransportError,
  PveDecodeError,
  PveResponseTooLarge,
  TaskFailed,
  TaskTimeout,
  PolicyDenied,
  ConfirmationRequired,
  InvalidInput,
  PlanFailed
)
