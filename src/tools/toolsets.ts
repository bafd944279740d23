import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { TOOLSETS_TOOL, type ToolsetState, ToolsetSwitch } from "../policy/DynamicToolsets.js"
import { InvalidInput } from "../proxmox/errors.js"
import { readTool, TOOLSETS } from "../proxmox/Tool.js"

const ToolsetName = Schema.Literal(...TOOLSETS)

const ToolsetsAnswer = Schema.Struct({
  toolsets: Schema.Array(
    Schema.Struct({
      name: ToolsetName,
      enabled: Schema.Boolean,
      tools: Schema.Array(Schema.String),
      needs: Schema.String,
      withheld: Schema.optional(Schema.String)
    })
  ),
  enabled: Schema.optional(ToolsetName),
  added: Schema.optional(Schema.Array(Schema.String))
})
type ToolsetsAnswer = typeof ToolsetsAnswer.Type

const line = (s: ToolsetState) =>
  `${s.enabled ? "on " : "off"} ${s.name}: ${s.tools.length === 0 ? "no tools here" : s.tools.join(", ")} — needs ${s.needs}${s.withheld === undefined ? "" : ` (${s.withheld})`}`

const render = (a: ToolsetsAnswer) => {
  const head =
    a.enabled === undefined
      ? "Toolsets (enable one with enable: <name>; the tool list then changes):"
      : a.added !== undefined && a.added.length > 0
        ? `Enabled ${a.enabled}: ${a.added.join(", ")} added (tools/list_changed sent).`
        : `Enabled ${a.enabled}: no tool added (already on, or none of its tools exists under this server's policies).`
  return [head, ...a.toolsets.map((s) => line(s as ToolsetState))].join("\n")
}

export const pveToolsets = readTool({
  name: TOOLSETS_TOOL,
  title: "List and enable toolsets",
  description:
    "Lists the toolsets of this server (PVE_TOOLSETS=dynamic): their tools, whether they are on, and what they need (Proxmox privileges, PVE_READONLY=false for writes). enable switches one on for this session: its tools appear in tools/list (notifications/tools/list_changed). The server's policies still decide which tools exist: read-only mode, PVE_TOOLSETS and PVE_TOOLS_DENY are never widened.",
  toolset: "core",
  input: Schema.Struct({
    enable: Schema.optional(ToolsetName.annotations({ description: "The toolset to switch on, e.g. lifecycle" }))
  }),
  output: ToolsetsAnswer,
  endpoints: [],
  handler: ({ enable }) =>
    Effect.gen(function* () {
      const found = yield* Effect.serviceOption(ToolsetSwitch)
      if (Option.isNone(found)) {
        return yield* new InvalidInput({
          field: "enable",
          message: "this server's toolsets are fixed (start it with PVE_TOOLSETS=dynamic to switch them on from here)"
        })
      }
      const toolsets = found.value
      if (enable === undefined) return { toolsets: toolsets.list() }
      if (!toolsets.list().some((s) => s.name === enable)) {
        return yield* new InvalidInput({
          field: "enable",
          message: `toolset ${enable} is not offered by this server (PVE_TOOLSETS); it offers ${toolsets
            .list()
            .map((s) => s.name)
            .join(", ")}`
        })
      }
      const added = toolsets.enable(enable)
      return { toolsets: toolsets.list(), enabled: enable, added: [...added] }
    }),
  render
})
