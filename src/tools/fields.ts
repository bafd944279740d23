import type { FastCheck } from "effect"
import * as Schema from "effect/Schema"
import { type SegmentName, segmentFormats } from "../proxmox/Path.js"
import { formatUpid, UpidFields } from "../proxmox/Upid.js"

type Generator = (fc: typeof FastCheck) => FastCheck.Arbitrary<string>

// Valid values for property tests: random strings would almost never pass these formats.
const nodeName: Generator = (fc) => fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/)
const generators: Partial<Record<SegmentName, Generator>> = {
  node: nodeName,
  snapname: (fc) => fc.stringMatching(/^[a-z][a-z0-9_-]{1,30}$/),
  upid: (fc) =>
    fc
      .record({
        node: nodeName(fc),
        pid: fc.integer({ min: 0, max: 0xffffffff }),
        pstart: fc.integer({ min: 0, max: 0xffffffff }),
        starttime: fc.integer({ min: 0, max: 0xffffffff }),
        type: fc.constantFrom("qmstart", "qmstop", "vzdump", "qmclone"),
        id: fc.oneof(fc.constant(""), fc.integer({ min: 100, max: 999_999 }).map(String)),
        user: fc.constantFrom("root@pam", "mcp@pve!mcp")
      })
      .map((fields) => formatUpid(new UpidFields(fields)))
}

/** A tool argument that becomes a path segment: checked with the same format the path builder enforces. */
const segmentString = (name: SegmentName, description: string) => {
  const generator = generators[name]
  return Schema.String.pipe(
    Schema.filter((value) => segmentFormats[name].check(value) || `expected ${segmentFormats[name].describe}`, {
      // the jsonSchema annotation replaces the generated schema, so it carries the description itself
      jsonSchema: { ...segmentFormats[name].jsonSchema, description },
      description,
      ...(generator === undefined ? {} : { arbitrary: () => (fc: typeof FastCheck) => generator(fc) })
    })
  )
}

export const Vmid = Schema.Int.pipe(
  Schema.between(100, 999_999_999, { message: () => `expected ${segmentFormats.vmid.describe}` })
).annotations({
  description: "VM or container id, e.g. 100",
  jsonSchema: { ...segmentFormats.vmid.jsonSchema, description: "VM or container id, e.g. 100" }
})

/** A vmid inside a list: its array argument says what the ids are for. */
export const VmidItem = Vmid.annotations({ jsonSchema: segmentFormats.vmid.jsonSchema })

export const Node = segmentString("node", "Node name, e.g. pve1")

/** Optional node: skips the cluster-wide lookup, and refuses a guest that is on another node. */
export const GuestNode = segmentString("node", "Node of the guest; optional, found from the vmid")

export const SnapshotName = segmentString("snapname", "Snapshot name, e.g. pre-upgrade")

export const Upid = segmentString("upid", "Task id, UPID:…")

/** No arguments at all: Effect's `Struct({})` alone would accept any object, so any key is refused here. */
export const NoArguments = Schema.Struct({}).pipe(
  Schema.filter((args) => Object.keys(args).length === 0 || "this tool takes no arguments", {
    jsonSchema: { type: "object", properties: {}, additionalProperties: false }
  })
)

export const GuestTypeFilter = Schema.Literal("qemu", "lxc").annotations({
  description: "qemu: VMs, lxc: containers"
})
