import { Schema } from "effect"
import { type SegmentName, segmentFormats } from "../../proxmox/Path.js"

/** A tool argument that becomes a path segment: checked with the same format the path builder enforces. */
const segmentString = (name: SegmentName, description: string) =>
  Schema.String.pipe(
    Schema.filter((value) => segmentFormats[name].check(value) || `expected ${segmentFormats[name].describe}`, {
      jsonSchema: segmentFormats[name].jsonSchema,
      description
    })
  )

export const Vmid = Schema.Int.pipe(
  Schema.between(100, 999_999_999, { message: () => `expected ${segmentFormats.vmid.describe}` })
).annotations({
  description: "VM or container id (unique in the cluster), e.g. 100",
  jsonSchema: segmentFormats.vmid.jsonSchema
})

export const Node = segmentString("node", "Node name as shown by pve_list_nodes, e.g. pve1")

/** Optional node: skips the cluster-wide lookup, and refuses a guest that is on another node. */
export const GuestNode = segmentString(
  "node",
  "Node the guest is on. Optional: without it the node is looked up from the vmid"
)

export const SnapshotName = segmentString("snapname", "Snapshot name as listed for the guest, e.g. pre-upgrade")

export const Upid = segmentString("upid", "Task id (UPID:…) as returned by a write tool or the task list")

export const GuestTypeFilter = Schema.Literal("qemu", "lxc").annotations({
  description: "qemu for virtual machines, lxc for containers"
})
