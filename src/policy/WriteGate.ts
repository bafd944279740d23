import { createHash } from "node:crypto"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { PolicyDenied } from "../proxmox/errors.js"
import { encodeParams, type PveRequest } from "../proxmox/ProxmoxClient.js"

/**
 * How the writes of one tool call are let through, decided by the call pipeline at each phase:
 * - Planning: the tool reads what it needs and builds its plan; any write now is a bug and is refused.
 * - Preview: each step of the plan passes every policy and is audited as shown, but is not sent (dry-run, and the
 *   plan a person is asked to confirm).
 * - Approved: only the approved steps may be sent, in that order; anything else is refused.
 * Without a WriteGate in the context (embedding), requests go through the other policies unchanged.
 */
export type WriteGateMode =
  | { readonly _tag: "Planning" }
  | { readonly _tag: "Preview"; readonly purpose: "dry-run" | "confirmation" }
  | {
      readonly _tag: "Approved"
      readonly fingerprints: ReadonlyArray<string>
      readonly sent: Ref.Ref<number>
    }

export class WriteGate extends Context.Tag("proxmox-mcp/WriteGate")<WriteGate, WriteGateMode>() {}

/** A digest of exactly what would go on the wire: method, encoded path and parameters in order. */
export const requestFingerprint = (request: PveRequest): string =>
  createHash("sha256")
    .update(JSON.stringify([request.method, request.path.path, encodeParams(request.params)]))
    .digest("base64url")

export const approvedGate = (fingerprints: ReadonlyArray<string>): Effect.Effect<WriteGateMode> =>
  Effect.map(Ref.make(0), (sent) => ({ _tag: "Approved", fingerprints, sent }))

/** Lets a write through only when it is the next one that was approved. */
export const admitApprovedWrite = (
  mode: Extract<WriteGateMode, { _tag: "Approved" }>,
  request: PveRequest
): Effect.Effect<void, PolicyDenied> =>
  Effect.gen(function* () {
    const index = yield* Ref.getAndUpdate(mode.sent, (n) => n + 1)
    if (mode.fingerprints[index] !== requestFingerprint(request)) {
      return yield* new PolicyDenied({
        policy: "plan",
        message: `${request.method} ${request.path.path} is not the next step of the approved plan; it was not sent`
      })
    }
  })
