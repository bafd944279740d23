import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, writeSync } from "node:fs"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import type { StepReport } from "../proxmox/errors.js"
import type { ParamValue } from "../proxmox/ProxmoxClient.js"
import { currentCall } from "./CurrentCall.js"

/** What happened to a request that would change the cluster. */
export type AuditOutcome =
  /** PVE accepted it (for a task: the task was started; a `pve_task` line follows when it ends) */
  | "ok"
  /** it was sent and PVE (or the connection) failed it */
  | "error"
  /** a policy refused it; nothing was sent */
  | "denied"
  /** dryRun: shown, not sent */
  | "dry-run"
  /** shown to the person for confirmation, not sent (yet) */
  | "awaiting-confirmation"

/** One JSON line per non-GET request. Parameters are already redacted. */
export interface AuditEntry {
  readonly event: "pve_request"
  readonly time: string
  /** the MCP tool whose call made the request; null when it came from elsewhere (embedding) */
  readonly tool: string | null
  readonly method: string
  readonly path: string
  readonly template: string
  readonly params: Readonly<Record<string, ParamValue>>
  readonly outcome: AuditOutcome
  readonly error?: { readonly tag: string; readonly message: string }
  readonly upid?: string
  readonly durationMs: number
}

/** How a task this server started ended: `ok`, `warnings` (exit status `WARNINGS: n`) or `failed`. */
export type TaskAuditOutcome = "ok" | "warnings" | "failed"

/** One JSON line when a task that an audited request started is seen stopped. */
export interface TaskAuditEntry {
  readonly event: "pve_task"
  readonly time: string
  /** the tool whose request started the task */
  readonly tool: string | null
  readonly upid: string
  readonly exitStatus: string
  readonly outcome: TaskAuditOutcome
  /** from the request that started the task to the status read that saw it stopped */
  readonly durationMs: number
}

/** One JSON line when a plan of several steps ends: each step done (UPID, exit status), failed, or not run. */
export interface PlanAuditEntry {
  readonly event: "pve_plan"
  readonly time: string
  readonly tool: string
  /** running: the call stopped waiting while a step's task still ran (PVE_WAIT_MAX_MS, or `wait: false`) */
  readonly outcome: "ok" | "failed" | "running"
  readonly steps: ReadonlyArray<StepReport>
}

/** One JSON line when a call was cancelled while it waited for a task: whether the task was stopped. */
export interface CancelAuditEntry {
  readonly event: "pve_cancel"
  readonly time: string
  readonly tool: string | null
  readonly upid: string
  /** stopped: PVE_CANCEL_STOPS_TASK=true and the stop was sent; left running: the task goes on in PVE */
  readonly task: "stopped" | "left running" | "stop failed"
  readonly error?: { readonly tag: string; readonly message: string }
}

/** One JSON line when a tool call is refused before any request was sent (arguments, policy, path, schema). */
export interface RefusalAuditEntry {
  readonly event: "pve_refusal"
  readonly time: string
  readonly tool: string
  readonly error: { readonly tag: string; readonly message: string }
}

/** Every kind of audit line. */
export type AuditLine = AuditEntry | TaskAuditEntry | PlanAuditEntry | RefusalAuditEntry | CancelAuditEntry

/** Every audit line written inside a call made over HTTP carries its caller as `who` (stdio, embedding: none). */
const withCaller = (entry: AuditLine) =>
  Effect.map(FiberRef.get(currentCall), (call) =>
    JSON.stringify(call?.caller === undefined ? entry : { ...entry, who: call.caller })
  )

export interface AuditLogShape {
  readonly record: (entry: AuditLine) => Effect.Effect<void>
}

export class AuditLog extends Context.Tag("proxmox-mcp/AuditLog")<AuditLog, AuditLogShape>() {}

/**
 * The mode given to open applies only when it creates the file: an existing audit file open to group or others is
 * narrowed to 0600, and the log says so.
 */
const ownerOnly = (fd: number, file: string) =>
  Effect.try(() => fstatSync(fd).mode & 0o777).pipe(
    Effect.flatMap((mode) =>
      (mode & 0o077) === 0
        ? Effect.void
        : Effect.try(() => fchmodSync(fd, 0o600)).pipe(
            Effect.zipRight(
              Effect.logWarning(`the audit log ${file} had mode 0${mode.toString(8)}; it is now 0600 (owner only)`)
            )
          )
    ),
    Effect.catchAll((e) => Effect.logError(`cannot make the audit log ${file} owner-only (0600): ${String(e.error)}`))
  )

/**
 * Audit lines go to `file` (opened for appending, mode 0600 forced on an existing file too, each line written and fsynced on its own) or to
 * stderr. `scrub` runs over every line last, so no credential can reach the log even through an error text.
 */
export const AuditLogLive = (file: string | undefined, scrub: (line: string) => string): Layer.Layer<AuditLog> =>
  Layer.scoped(
    AuditLog,
    Effect.gen(function* () {
      if (file === undefined) {
        return {
          record: (entry) =>
            Effect.flatMap(withCaller(entry), (line) => Effect.sync(() => process.stderr.write(`${scrub(line)}\n`)))
        } satisfies AuditLogShape
      }
      const fd = yield* Effect.acquireRelease(
        Effect.sync(() => openSync(file, "a", 0o600)),
        (fd) => Effect.sync(() => closeSync(fd))
      )
      yield* ownerOnly(fd, file)
      return {
        record: (entry) =>
          Effect.flatMap(withCaller(entry), (line) =>
            Effect.try(() => {
              writeSync(fd, `${scrub(line)}\n`)
              fsyncSync(fd)
            })
          ).pipe(
            Effect.catchAll((e) => Effect.logError(`cannot write the audit log ${file}: ${String(e.error)}`)),
            Effect.uninterruptible
          )
      } satisfies AuditLogShape
    })
  )
