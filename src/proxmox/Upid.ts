import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

// pve-common:src/PVE/UPID.pm, see WIRE.md (a).
const upidPattern =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/

/** The fields a task id carries. `starttime` is epoch seconds; `pstart` clock ticks since boot. */
export class UpidFields extends Schema.Class<UpidFields>("UpidFields")({
  node: Schema.String,
  pid: Schema.Number,
  pstart: Schema.Number,
  starttime: Schema.Number,
  type: Schema.String,
  id: Schema.String,
  user: Schema.String
}) {}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, "0")

export const formatUpid = (u: UpidFields): string =>
  `UPID:${u.node}:${hex8(u.pid)}:${hex8(u.pstart)}:${hex8(u.starttime)}:${u.type}:${u.id}:${u.user}:`

export const parseUpid = (text: string): UpidFields | undefined => {
  const m = upidPattern.exec(text)
  if (m === null) return undefined
  return new UpidFields({
    node: m[1]!,
    pid: Number.parseInt(m[3]!, 16),
    pstart: Number.parseInt(m[4]!, 16),
    starttime: Number.parseInt(m[5]!, 16),
    type: m[6]!,
    id: m[7]!,
    user: m[8]!
  })
}

/** A UPID string, checked against PVE's own pattern. */
export const UpidString = Schema.String.pipe(
  Schema.filter((s) => upidPattern.test(s) || "not a Proxmox task id (UPID:node:pid:pstart:starttime:type:id:user:)"),
  Schema.brand("Upid"),
  Schema.annotations({
    identifier: "Upid",
    description: "Proxmox task id, e.g. UPID:pve1:0020C066:042DF204:69C26EB0:qmstart:100:root@pam:"
  })
)
export type UpidString = typeof UpidString.Type

/** Decodes a UPID string into its fields and formats them back exactly. */
export const Upid = Schema.transformOrFail(Schema.String, UpidFields, {
  strict: true,
  decode: (text, _, ast) => {
    const fields = parseUpid(text)
    return fields === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, text, "not a Proxmox task id"))
      : ParseResult.succeed(fields)
  },
  encode: (fields) => ParseResult.succeed(formatUpid(fields))
})
