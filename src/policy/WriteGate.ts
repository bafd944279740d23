import { createHash } from "node:crypto"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { PolicyDenied } from "../proxmox/errors.js"
import { encodeParams, type PveRequest } from "../proxmox/ProxmoxClient.js"

/**
 * How the writes of one tool call are let through, decided by the MCP adapter per call:
 * - Capture: the first non-GET request (after every policy) is recorded and the call stops there, unsent.
 *   That is the dry-run and the plan a person is asked to confirm.
 * - Approved: only the requests that were confirmed may be sent, in that order; anything else is refused.
 * Without a WriteGate in the context, requests go through unchanged.
 */
export type WriteGateMode =
  | {
      readonly _tag: "Capture"
      readonly purpose: "dry-run" | "confirmation"
      readonly captured: Ref.Ref<Option.Option<PveRequest>>
    }
  | {
      readonly _tag: "Approved"
      readonly fingerprints: ReadonlyArray<string>
      readonly sent: Ref.Ref<number>
    }

export class WriteGate extends Context.Tag("proxmox-mcp/WriteGate")<WriteGate, WriteGateMode>() {}

/** The MCP tool being run, for the audit log. */
export const currentTool = FiberRef.unsafeMake<string | undefined>(undefined)

/** A digest of exactly what would go on the wire: method, encoded path and parameters in order. */
export const requestFingerprint = (request: PveRequest): string =>
  createHash("sha256")
    .update(JSON.stringify([request.method, request.path.path, encodeParams(request.params)]))
    .digest("base64url")

/**
 * Records the first write and stops the call there with an interruption (which the tool cannot mistake for an
 * error it may handle); the adapter then reads the captured request. Should a tool swallow the interruption and
 * write again, the first write stays the captured one, so a confirmation can never cover a later request.
 */
export const captureWrite = (
  mode: Extract<WriteGateMode, { _tag: "Capture" }>,
  request: PveRequest
): Effect.Effect<never> =>
  Ref.update(mode.captured, (first) => (Option.isSome(first) ? first : Option.some(request))).pipe(
    Effect.zipRight(Effect.interrupt)
  )

/** Lets a write through only when it is the next one that was confirmed. */
export const admitApprovedWrite = (
  mode: Extract<WriteGateMode, { _tag: "Approved" }>,
  request: PveRequest
): Effect.Effect<void, PolicyDenied> =>
  Effect.gen(function* () {
    const index = yield* Ref.getAndUpdate(mode.sent, (n) => n + 1)
    if (mode.fingerprints[index] !== requestFingerprint(request)) {
      return yield* new PolicyDenied({
        policy: "confirmation",
        message: `${request.method} ${request.path.path} is not the request that was confirmed (the cluster may have changed since); nothing was sent, call the tool again`
      })
    }
  })
