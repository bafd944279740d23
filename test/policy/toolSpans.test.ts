/**
 * A tool call makes its span (`tool.<name>`) only under a tracer an embedding application installed: Effect's own
 * tracer keeps spans nobody reads, and making one cost about 11 µs of every call.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Tracer } from "effect"
import { makeNonceLedger } from "../../src/policy/Confirmation.js"
import { noAllowlists } from "../../src/policy/PolicyConfig.js"
import { runToolCall } from "../../src/policy/ToolCall.js"
import { allTools } from "../../src/tools/index.js"
import { withPolicies } from "../support/policyLayer.js"

const status = allTools.find((t) => t.name === "pve_guest_status")!
const call = (vmid: number) =>
  runToolCall(
    { tool: status, args: { vmid }, canElicit: false, answered: Option.none(), progress: Option.none() },
    { confirm: "auto", allowlists: noAllowlists, nonces: makeNonceLedger(1000) }
  )

describe("tool spans", () => {
  it.effect("a call under an installed tracer is one span named after its tool, and answers", () =>
    Effect.gen(function* () {
      const { sim, layer } = withPolicies({})
      const vmid = [...sim.model.guests.values()].find((g) => g.config.template === undefined)!.vmid
      const native = yield* Effect.tracer
      const names: Array<string> = []
      const recording = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          names.push(name)
          return native.span(name, parent, context, links, startTime, kind, options)
        },
        context: (f) => f()
      })
      const traced = yield* call(vmid).pipe(Effect.withTracer(recording), Effect.provide(layer))
      expect(traced._tag).toBe("Answer")
      expect(names).toContain("tool.pve_guest_status")
      // without one, the same call answers the same
      const untraced = yield* call(vmid).pipe(Effect.provide(layer))
      expect(untraced._tag).toBe("Answer")
    })
  )
})
