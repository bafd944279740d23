/**
 * The result check the SDK asks of the adapter: a result the pipeline encoded with the tool's own output Schema is
 * not decoded a second time; any other value (another tool's, a changed copy, one from outside) is checked in full.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { toolStandardSchema } from "../../src/mcp/JsonSchema.js"
import { makeNonceLedger } from "../../src/policy/Confirmation.js"
import { isEncodedOutputOf } from "../../src/policy/EncodedOutput.js"
import { noAllowlists } from "../../src/policy/PolicyConfig.js"
import { runToolCall } from "../../src/policy/ToolCall.js"
import { allTools } from "../../src/tools/index.js"
import { withPolicies } from "../support/policyLayer.js"

const tool = (name: string) => allTools.find((t) => t.name === name)!
const check = (name: string, value: unknown) =>
  toolStandardSchema(tool(name), "output")["~standard"].validate(value) as { value?: unknown; issues?: unknown }

describe("encoded results", () => {
  it.effect("a tool's encoded result passes its own check as it is, and only its own", () =>
    Effect.gen(function* () {
      const { sim, layer } = withPolicies({})
      const vmid = [...sim.model.guests.values()].find((g) => g.config.template === undefined)!.vmid
      const outcome = yield* runToolCall(
        {
          tool: tool("pve_guest_status"),
          args: { vmid },
          canElicit: false,
          answered: Option.none(),
          progress: Option.none()
        },
        { confirm: "auto", allowlists: noAllowlists, nonces: makeNonceLedger(1000) }
      ).pipe(Effect.provide(layer))
      if (outcome._tag !== "Answer") throw new Error(`expected an answer, got ${outcome._tag}`)
      const structured = outcome.structured
      expect(isEncodedOutputOf(tool("pve_guest_status"), structured)).toBe(true)
      expect(check("pve_guest_status", structured).value).toBe(structured)
      // the same object is not pve_node_status's result: that check decodes it, and refuses it
      expect(isEncodedOutputOf(tool("pve_node_status"), structured)).toBe(false)
      expect(check("pve_node_status", structured).issues).toBeDefined()
      // a changed copy is checked in full: a number turned to text is refused
      const changed = { ...structured, vmid: String(structured.vmid) }
      expect(isEncodedOutputOf(tool("pve_guest_status"), changed)).toBe(false)
      expect(check("pve_guest_status", changed).issues).toBeDefined()
    })
  )
})
