/**
 * Reviewed exceptions to the generated endpoint scopes: endpoints whose reach the rules over path and parameters
 * cannot see (a node-wide log, a shell, an object whose guests are inside it). scripts/gen-endpoint-scopes.ts
 * merges these into src/policy/generated/endpointScopes.ts; change them here and regenerate.
 */
import type { EndpointScope } from "./EndpointScope.js"

type Override = Omit<EndpointScope, "reviewed">

const guestsAndStorages = ["vmids", "storages"] as const

const opaque = (why: string, bypasses?: EndpointScope["bypasses"]): Override =>
  bypasses === undefined ? { scope: "opaque", why } : { scope: "opaque", why, bypasses }

const byId = (readFirst: string, why: string): Override => ({ scope: "by-id", why, readFirst })

const nodeLog = opaque("a node-wide log names every guest and storage of the node", guestsAndStorages)
const nodeShell = opaque("a shell on the node reaches every guest and storage on it")
const diskChange = opaque("changing the node's disks can destroy the storages under guests", guestsAndStorages)
const backupJob = byId("/cluster/backup/{id}", "a backup job's guests and storage are in the job")
const haRule = byId("/cluster/ha/rules/{rule}", "an HA rule's guests and nodes are in the rule")
const haGroup = byId("/cluster/ha/groups/{group}", "an HA group's nodes are in the group")
const replicationJob = byId("/cluster/replication/{id}", "a replication job's target node is in the job")
const nodeGuests: Override = { scope: "node-guests", why: "acts on every guest on the node" }

export const scopeOverrides: Readonly<Record<string, Override>> = {
  "GET /access/permissions": {
    scope: "named",
    why: "keyed by ACL path: the paths of guests, nodes and storages outside the allowlists are removed"
  },
  "GET /cluster/ha/rules": {
    scope: "named",
    why: "rules name guests and nodes: rules reaching hidden ones are removed"
  },
  "GET /cluster/log": opaque("the cluster log names tasks of every node and guest"),
  "GET /cluster/metrics/export": opaque("the metrics export covers every node, guest and storage"),
  "GET /cluster/ha/status/manager_status": opaque("the HA manager state names every HA guest and node"),
  "GET /cluster/ha/groups": opaque("HA groups list nodes with priorities in one string per group"),
  "GET /cluster/config/join": opaque("the join information lists every node of the cluster", ["nodes"]),
  "POST /cluster/config/join": opaque("joining another cluster brings its nodes and guests", ["nodes"]),
  "GET /cluster/backup/{id}/included_volumes": opaque("the volume tree of a job covers all its guests' disks"),
  "POST /cluster/ha/status/arm-ha": opaque("arming HA acts on every HA-managed guest", ["vmids", "nodes"]),
  "POST /cluster/ha/status/disarm-ha": opaque("disarming HA acts on every HA-managed guest", ["vmids", "nodes"]),
  "GET /nodes/{node}/syslog": nodeLog,
  "GET /nodes/{node}/journal": nodeLog,
  "GET /nodes/{node}/report": nodeLog,
  "GET /nodes/{node}/firewall/log": nodeLog,
  "POST /nodes/{node}/execute": nodeShell,
  "POST /nodes/{node}/termproxy": nodeShell,
  "POST /nodes/{node}/vncshell": nodeShell,
  "POST /nodes/{node}/spiceshell": nodeShell,
  "GET /nodes/{node}/vncwebsocket": nodeShell,
  "POST /nodes/{node}/qemu/{vmid}/monitor": opaque("the QEMU monitor can attach any host disk (drive_add)"),
  "POST /nodes/{node}/qemu/{vmid}/remote_migrate": opaque("moves the guest to a cluster the allowlists do not see"),
  "POST /nodes/{node}/lxc/{vmid}/remote_migrate": opaque("moves the guest to a cluster the allowlists do not see"),
  "POST /nodes/{node}/qemu/{vmid}/mtunnel": opaque("a migration tunnel takes a guest from another cluster"),
  "POST /nodes/{node}/lxc/{vmid}/mtunnel": opaque("a migration tunnel takes a guest from another cluster"),
  "GET /nodes/{node}/qemu/{vmid}/mtunnelwebsocket": opaque("a migration tunnel takes a guest from another cluster"),
  "GET /nodes/{node}/lxc/{vmid}/mtunnelwebsocket": opaque("a migration tunnel takes a guest from another cluster"),
  "PUT /nodes/{node}/disks/wipedisk": diskChange,
  "POST /nodes/{node}/disks/initgpt": diskChange,
  "POST /nodes/{node}/disks/directory": diskChange,
  "DELETE /nodes/{node}/disks/directory/{name}": diskChange,
  "POST /nodes/{node}/disks/lvm": diskChange,
  "DELETE /nodes/{node}/disks/lvm/{name}": diskChange,
  "POST /nodes/{node}/disks/lvmthin": diskChange,
  "DELETE /nodes/{node}/disks/lvmthin/{name}": diskChange,
  "POST /nodes/{node}/disks/zfs": diskChange,
  "DELETE /nodes/{node}/disks/zfs/{name}": diskChange,
  "POST /nodes/{node}/status": nodeGuests,
  "POST /nodes/{node}/startall": nodeGuests,
  "POST /nodes/{node}/stopall": nodeGuests,
  "POST /nodes/{node}/suspendall": nodeGuests,
  "POST /nodes/{node}/migrateall": nodeGuests,
  "PUT /cluster/backup/{id}": backupJob,
  "DELETE /cluster/backup/{id}": backupJob,
  "PUT /cluster/ha/rules/{rule}": haRule,
  "DELETE /cluster/ha/rules/{rule}": haRule,
  "PUT /cluster/ha/groups/{group}": haGroup,
  "DELETE /cluster/ha/groups/{group}": haGroup,
  "PUT /cluster/replication/{id}": replicationJob,
  "DELETE /cluster/replication/{id}": replicationJob,
  "POST /nodes/{node}/replication/{id}/schedule_now": replicationJob
}
