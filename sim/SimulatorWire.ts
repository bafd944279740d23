/**
 * A PveWire that answers from the simulator in-process: the product's real client code, auth, decoding and error
 * mapping all run; only the socket is gone. Delays are real `Effect.sleep`s, so a client timeout or interruption
 * cuts them short, and a delayed request that is interrupted never reaches the model. A dropped connection fails
 * as Node's would (ECONNRESET); a body over the limit is refused as the live wire refuses it.
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PveWire, type PveWireShape, type WireAnswer, type WireFailure } from "../src/proxmox/Wire.js"
import type { SimResponse, Simulator } from "./Simulator.js"

export * from "./Simulator.js"

const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })

export const makeSimulatorWire = (sim: Simulator): PveWireShape => ({
  send: (request, limits) =>
    Effect.suspend((): Effect.Effect<WireAnswer, WireFailure> => {
      const headers: Record<string, string> =
        request.body === undefined
          ? { ...request.headers }
          : { "content-type": "application/x-www-form-urlencoded", ...request.headers }
      const first = sim.handle({ method: request.method, url: request.url, headers, body: request.body })
      const answer = (response: SimResponse): Effect.Effect<WireAnswer, WireFailure> => {
        if (response.drop) return Effect.fail({ _tag: "ConnectionFailed", cause: reset })
        const declared = Number(response.headers["content-length"] ?? Number.NaN)
        if (Number.isSafeInteger(declared) && declared > limits.maxBytes) {
          return Effect.fail({ _tag: "TooLarge", declaredBytes: declared })
        }
        if (Buffer.byteLength(response.body) > limits.maxBytes) return Effect.fail({ _tag: "TooLarge" })
        return Effect.succeed({ status: response.status, body: response.body })
      }
      // a delayed request is handled only once its delay has passed (SimResponse.deferred)
      const handled = () => answer(first.deferred === undefined ? first : first.deferred())
      const delay = first.delayMs ?? 0
      if (delay <= 0) return handled()
      // the client gives up first: the deferred request is never handled
      if (delay >= limits.timeoutMs) {
        return Effect.zipRight(Effect.sleep(limits.timeoutMs), Effect.fail({ _tag: "NoAnswer" } as const))
      }
      return Effect.zipRight(Effect.sleep(delay), Effect.suspend(handled))
    })
})

/** The simulator as the app's PveWire. */
export const SimulatorWire = (sim: Simulator): Layer.Layer<PveWire> => Layer.succeed(PveWire, makeSimulatorWire(sim))
