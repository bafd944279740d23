/**
 * A node's network configuration (pve-manager API2/Network.pm): changes are staged in interfaces.new, reads show
 * the staged state and a `changes` diff, `PUT /nodes/{node}/network` reloads networking with them (a `srvreload`
 * task) and `DELETE /nodes/{node}/network` drops them.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { decodeAnswer, endpoint, requestFor, TaskUpid } from "./Endpoint.js"
import { ProxmoxClient } from "./ProxmoxClient.js"
import { PveBoolean, PveNumber } from "./WireSchemas.js"

export const NetworkInterface = Schema.Struct({
  iface: Schema.String,
  type: Schema.String,
  method: Schema.optional(Schema.String),
  active: Schema.optional(PveBoolean),
  autostart: Schema.optional(PveBoolean),
  exists: Schema.optional(PveBoolean),
  cidr: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String),
  gateway: Schema.optional(Schema.String),
  cidr6: Schema.optional(Schema.String),
  gateway6: Schema.optional(Schema.String),
  bridge_ports: Schema.optional(Schema.String),
  bridge_vlan_aware: Schema.optional(PveBoolean),
  bridge_vids: Schema.optional(Schema.String),
  slaves: Schema.optional(Schema.String),
  bond_mode: Schema.optional(Schema.String),
  "vlan-id": Schema.optional(PveNumber),
  "vlan-raw-device": Schema.optional(Schema.String),
  mtu: Schema.optional(PveNumber),
  comments: Schema.optional(Schema.String)
})
export type NetworkInterface = typeof NetworkInterface.Type

export const networkListEndpoint = endpoint("GET", "/nodes/{node}/network", Schema.Array(NetworkInterface))
export const networkCreateEndpoint = endpoint("POST", "/nodes/{node}/network", Schema.Null)
export const networkApplyEndpoint = endpoint("PUT", "/nodes/{node}/network", TaskUpid)
export const networkRevertEndpoint = endpoint("DELETE", "/nodes/{node}/network", Schema.Null)

/** The interfaces (staged state) and the pending diff, if any. */
export const readNetwork = (node: string) =>
  Effect.gen(function* () {
    const request = yield* requestFor(networkListEndpoint, { node })
    const client = yield* ProxmoxClient
    const response = yield* client.execute(request)
    const interfaces = yield* decodeAnswer(networkListEndpoint, request, response.data)
    return { interfaces, changes: response.changes }
  })

/**
 * The interfaces a diff touches: `iface NAME` lines that changed, or whose stanza (as far as its hunk shows it)
 * holds a changed line. A change whose hunk shows no iface line names no interface; the diff still shows it.
 */
export const pendingInterfaces = (changes: string | undefined): ReadonlyArray<string> => {
  if (changes === undefined) return []
  const touched = new Set<string>()
  let current: string | undefined
  for (const line of changes.split("\n")) {
    if (line.startsWith("---") || line.startsWith("+++")) continue
    // a hunk may start inside another stanza: what it changes belongs to the iface line it shows
    if (line.startsWith("@@")) {
      current = undefined
      continue
    }
    const mark = line[0]
    const text = line.slice(1)
    const stanza = /^(?:iface|auto|allow-\S+)\s+(\S+)/.exec(text)
    if (stanza !== null && text.startsWith("iface")) current = stanza[1]
    if (mark !== "+" && mark !== "-") continue
    if (stanza !== null) touched.add(stanza[1]!)
    else if (current !== undefined && text.trim() !== "") touched.add(current)
  }
  return [...touched]
}
