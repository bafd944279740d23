/**
 * Each allowlist, on every tool: refused targets come back as errors (PolicyDenied where the target was named,
 * "not found" where a list answer already hid it), list answers show only what is allowed, and no request to a
 * node, guest or storage outside the list ever reaches the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { isNodeAllowed, isStorageAllowed, isVmidAllowed } from "../../src/policy/Allowlist.js"
import type { Allowlists } from "../../src/policy/PolicyConfig.js"
import { parseVmidRange } from "../../src/policy/PolicyConfig.js"
import { parseUpid } from "../../src/proxmox/Upid.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import type { ToolResult } from "../support/mcpClient.js"

const errorTag = (r: ToolResult) => (r._meta?.["proxmox-mcp/error"] as { readonly _tag?: string } | undefined)?._tag
const text = (r: ToolResult) => r.content.map((c) => c.text ?? "").join("\n")

/** Every node, guest and storage a recorded request addressed, from its path. */
const addressed = (path: string) => {
  const decoded = decodeURIComponent(path)
  const nodes = [...decoded.matchAll(/\/nodes\/([^/]+)/g)].map((m) => m[1]!)
  const vmids = [...decoded.matchAll(/\/(?:qemu|lxc)\/(\d+)/g)].map((m) => m[1]!)
  const storages = [...decoded.matchAll(/\/storage\/([^/]+)/g)].map((m) => m[1]!)
  const upid = /\/tasks\/(UPID:[^/]+:)/.exec(decoded)?.[1]
  const fields = upid === undefined ? undefined : parseUpid(upid)
  if (fields !== undefined) nodes.push(fields.node)
  return { nodes, vmids, storages }
}

const UPID_ON = (node: string, vmid: number) => `UPID:${node}:0006D77B:00548A83:6A4E2CB0:qmstart:${vmid}:root@pam:`

type Expect = "ok" | "denied" | "refused"

interface Case {
  readonly tool: string
  readonly args: Record<string, unknown>
  readonly expect: Expect
  readonly check?: (result: ToolResult) => void
}

const allowlistSuites: ReadonlyArray<{
  readonly name: string
  readonly env: Record<string, string>
  readonly cases: ReadonlyArray<Case>
}> = [
  {
    name: "PVE_NODE_ALLOWLIST=pve1",
    env: { PVE_NODE_ALLOWLIST: "pve1" },
    cases: [
      { tool: "pve_version", args: {}, expect: "ok" },
      {
        tool: "pve_cluster_status",
        args: {},
        expect: "ok",
        check: (r) => {
          const entries = r.structuredContent!.entries as Array<{ type: string; name: string }>
          expect(entries.filter((e) => e.type === "node").map((e) => e.name)).toEqual(["pve1"])
        }
      },
      {
        tool: "pve_list_nodes",
        args: {},
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.nodes as Array<{ node: string }>).map((n) => n.node)).toEqual(["pve1"])
      },
      { tool: "pve_node_status", args: { node: "pve1" }, expect: "ok" },
      { tool: "pve_node_status", args: { node: "pve2" }, expect: "denied" },
      {
        tool: "pve_cluster_resources",
        args: {},
        expect: "ok",
        check: (r) => {
          const resources = r.structuredContent!.resources as Array<{ node?: string }>
          expect(resources.length).toBeGreaterThan(0)
          for (const res of resources) if (res.node !== undefined) expect(res.node).toBe("pve1")
        }
      },
      {
        tool: "pve_list_guests",
        args: {},
        expect: "ok",
        check: (r) => {
          const guests = r.structuredContent!.guests as Array<{ node: string }>
          expect(guests.length).toBeGreaterThan(0)
          for (const g of guests) expect(g.node).toBe("pve1")
        }
      },
      { tool: "pve_list_guests", args: { node: "pve2" }, expect: "denied" },
      { tool: "pve_guest_status", args: { vmid: 100 }, expect: "ok" },
      { tool: "pve_guest_status", args: { vmid: 102 }, expect: "refused" },
      { tool: "pve_guest_status", args: { vmid: 102, node: "pve2" }, expect: "denied" },
      { tool: "pve_guest_config", args: { vmid: 102, node: "pve2" }, expect: "denied" },
      { tool: "pve_guest_config", args: { vmid: 104 }, expect: "refused" },
      { tool: "pve_guest_start", args: { vmid: 104, node: "pve3" }, expect: "denied" },
      { tool: "pve_vm_create", args: { node: "pve2" }, expect: "denied" },
      {
        tool: "pve_ct_create",
        args: { node: "pve3", template: "debian-12-standard_12.7-1_amd64.tar.zst" },
        expect: "denied"
      },
      { tool: "pve_guest_migrate", args: { vmid: 100, target: "pve2" }, expect: "denied" },
      { tool: "pve_guest_start", args: { vmid: 104 }, expect: "refused" },
      {
        tool: "pve_guest_shutdown",
        args: { vmid: 102, node: "pve2", confirm: true, confirmVmid: 102 },
        expect: "denied"
      },
      { tool: "pve_guest_stop", args: { vmid: 103, confirm: true, confirmVmid: 103 }, expect: "refused" },
      { tool: "pve_guest_network", args: { vmid: 100 }, expect: "ok" },
      { tool: "pve_guest_network", args: { vmid: 102 }, expect: "refused" },
      { tool: "pve_guest_network", args: { vmid: 102, node: "pve2" }, expect: "denied" },
      { tool: "pve_next_vmid", args: {}, expect: "ok" },
      {
        tool: "pve_guest_reboot",
        args: { vmid: 102, node: "pve2", confirm: true, confirmVmid: 102 },
        expect: "denied"
      },
      { tool: "pve_guest_reset", args: { vmid: 103, confirm: true, confirmVmid: 103 }, expect: "refused" },
      {
        tool: "pve_guest_suspend",
        args: { vmid: 102, node: "pve2", confirm: true, confirmVmid: 102 },
        expect: "denied"
      },
      { tool: "pve_guest_resume", args: { vmid: 104 }, expect: "refused" },
      { tool: "pve_guest_set_config", args: { vmid: 102, node: "pve2", set: { onboot: 1 } }, expect: "denied" },
      { tool: "pve_guest_resize_disk", args: { vmid: 104, disk: "scsi0", size: "+1G" }, expect: "refused" },
      {
        tool: "pve_guest_convert_to_template",
        args: { vmid: 108, node: "pve3", confirm: true, confirmVmid: 108 },
        expect: "denied"
      },
      { tool: "pve_guest_delete", args: { vmid: 104, confirm: true, confirmVmid: 104 }, expect: "refused" },
      { tool: "pve_task_status", args: { upid: UPID_ON("pve2", 102) }, expect: "denied" },
      { tool: "pve_task_wait", args: { upids: [UPID_ON("pve2", 102)] }, expect: "denied" },
      {
        tool: "pve_task_stop",
        args: { upid: UPID_ON("pve2", 102), confirm: true, confirmName: UPID_ON("pve2", 102) },
        expect: "denied"
      },
      { tool: "pve_list_snapshots", args: { vmid: 101 }, expect: "ok" },
      { tool: "pve_list_snapshots", args: { vmid: 102, node: "pve2" }, expect: "denied" },
      { tool: "pve_snapshot_create", args: { vmid: 104, name: "hidden" }, expect: "refused" },
      {
        tool: "pve_snapshot_rollback",
        args: { vmid: 107, node: "pve3", name: "clean", confirm: true, confirmName: "clean" },
        expect: "denied"
      },
      {
        tool: "pve_snapshot_delete",
        args: { vmid: 107, name: "clean", confirm: true, confirmName: "clean" },
        expect: "refused"
      },
      {
        tool: "pve_list_backups",
        args: {},
        expect: "ok",
        check: (r) => {
          const rows = r.structuredContent!.backups as Array<{ node?: string }>
          expect(rows.length).toBeGreaterThan(0)
          for (const row of rows) if (row.node !== undefined) expect(row.node).toBe("pve1")
        }
      },
      {
        tool: "pve_last_backup",
        args: {},
        expect: "ok",
        check: (r) => {
          for (const g of r.structuredContent!.guests as Array<{ node: string }>) expect(g.node).toBe("pve1")
        }
      },
      { tool: "pve_backup_create", args: { vmids: [102] }, expect: "refused" },
      {
        tool: "pve_backup_restore",
        args: {
          archive: "nfs-shared:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst",
          vmid: 9450,
          node: "pve2",
          confirm: true,
          confirmName: "nfs-shared:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst"
        },
        expect: "denied"
      },
      { tool: "pve_list_backup_jobs", args: {}, expect: "ok" },
      { tool: "pve_backup_schedule", args: { schedule: "daily", vmids: [102] }, expect: "refused" },
      {
        tool: "pve_list_tasks",
        args: {},
        expect: "ok",
        check: (r) => {
          const tasks = r.structuredContent!.tasks as Array<{ node: string }>
          expect(tasks.length).toBeGreaterThan(0)
          for (const t of tasks) expect(t.node).toBe("pve1")
        }
      },
      { tool: "pve_list_tasks", args: { node: "pve2" }, expect: "denied" },
      { tool: "pve_task_log", args: { upid: UPID_ON("pve2", 102) }, expect: "denied" },
      { tool: "pve_node_metrics", args: { node: "pve1" }, expect: "ok" },
      { tool: "pve_node_metrics", args: { node: "pve2" }, expect: "denied" },
      { tool: "pve_guest_metrics", args: { vmid: 100 }, expect: "ok" },
      { tool: "pve_guest_metrics", args: { vmid: 102, node: "pve2" }, expect: "denied" },
      { tool: "pve_node_log", args: { node: "pve2" }, expect: "denied" },
      {
        tool: "pve_list_storage",
        args: {},
        expect: "ok",
        check: (r) => {
          const rows = r.structuredContent!.storages as Array<{ nodes: ReadonlyArray<string> }>
          expect(rows.length).toBeGreaterThan(0)
          for (const row of rows) expect(row.nodes).toEqual(["pve1"])
        }
      },
      { tool: "pve_storage_content", args: { node: "pve2", storage: "local" }, expect: "denied" },
      {
        tool: "pve_storage_download",
        args: { node: "pve2", storage: "local", url: "https://example.org/x.iso", content: "iso" },
        expect: "denied"
      },
      { tool: "pve_list_templates", args: { node: "pve2" }, expect: "denied" },
      { tool: "pve_list_network", args: { node: "pve2" }, expect: "denied" },
      { tool: "pve_network_create_bridge", args: { node: "pve2", name: "vmbr95" }, expect: "denied" },
      { tool: "pve_network_apply", args: { node: "pve2", confirm: true, confirmName: "pve2" }, expect: "denied" },
      { tool: "pve_network_revert", args: { node: "pve2" }, expect: "denied" },
      // describing reads only the embedded schema: nothing reaches any node, allowed or not
      { tool: "pve_api_describe", args: { method: "GET", path: "/nodes/pve2/status" }, expect: "ok" },
      { tool: "pve_api_get", args: { path: "/nodes/pve2/status" }, expect: "denied" },
      {
        tool: "pve_api_get",
        args: { path: "/nodes" },
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.data as Array<{ node: string }>).map((n) => n.node)).toEqual(["pve1"])
      },
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/nodes/pve1/qemu/100/migrate",
          params: { target: "pve2" },
          confirm: true,
          confirmName: "/nodes/pve1/qemu/100/migrate"
        },
        expect: "denied"
      },
      // a cluster backup job runs wherever its guests are: each one's node must be allowed
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/cluster/backup",
          params: { schedule: "daily", vmid: "100,102", storage: "nfs-shared" },
          confirm: true,
          confirmName: "/cluster/backup"
        },
        expect: "denied",
        check: (r) => expect(text(r)).toContain("guest 102")
      },
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/cluster/backup",
          params: { schedule: "daily", all: 1, storage: "nfs-shared" },
          confirm: true,
          confirmName: "/cluster/backup"
        },
        expect: "denied",
        check: (r) => expect(text(r)).toContain("confine it with `node`")
      },
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/cluster/backup",
          params: { schedule: "daily", vmid: "100", storage: "nfs-shared" },
          confirm: true,
          confirmName: "/cluster/backup"
        },
        expect: "ok"
      },
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/cluster/backup",
          params: { schedule: "daily", all: 1, node: "pve1", storage: "nfs-shared" },
          confirm: true,
          confirmName: "/cluster/backup"
        },
        expect: "ok"
      }
    ]
  },
  {
    name: "PVE_VMID_ALLOWLIST=100-101,105",
    env: { PVE_VMID_ALLOWLIST: "100-101,105" },
    cases: [
      {
        tool: "pve_list_guests",
        args: {},
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.guests as Array<{ vmid: number }>).map((g) => g.vmid)).toEqual([100, 101, 105])
      },
      {
        tool: "pve_cluster_resources",
        args: { type: "vm" },
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.resources as Array<{ vmid?: number }>).map((g) => g.vmid).sort()).toEqual([
            100, 101, 105
          ])
      },
      { tool: "pve_guest_status", args: { vmid: 101 }, expect: "ok" },
      { tool: "pve_guest_status", args: { vmid: 102 }, expect: "denied" },
      { tool: "pve_guest_config", args: { vmid: 103 }, expect: "denied" },
      { tool: "pve_guest_start", args: { vmid: 104 }, expect: "denied" },
      { tool: "pve_guest_clone", args: { vmid: 100, newid: 9262 }, expect: "denied" },
      { tool: "pve_guest_clone", args: { vmid: 9000 }, expect: "refused" },
      { tool: "pve_guest_migrate", args: { vmid: 102, target: "pve3" }, expect: "refused" },
      { tool: "pve_guest_shutdown", args: { vmid: 103, confirm: true, confirmVmid: 103 }, expect: "denied" },
      { tool: "pve_guest_stop", args: { vmid: 102, confirm: true, confirmVmid: 102 }, expect: "denied" },
      { tool: "pve_guest_network", args: { vmid: 105 }, expect: "ok" },
      { tool: "pve_guest_network", args: { vmid: 102 }, expect: "denied" },
      { tool: "pve_next_vmid", args: { vmid: 101 }, expect: "ok" },
      { tool: "pve_guest_set_config", args: { vmid: 103, set: { onboot: 1 } }, expect: "denied" },
      { tool: "pve_guest_resize_disk", args: { vmid: 102, disk: "scsi0", size: "+1G" }, expect: "denied" },
      { tool: "pve_guest_convert_to_template", args: { vmid: 108, confirm: true, confirmVmid: 108 }, expect: "denied" },
      { tool: "pve_guest_delete", args: { vmid: 104, confirm: true, confirmVmid: 104 }, expect: "denied" },
      { tool: "pve_task_status", args: { upid: UPID_ON("pve3", 104) }, expect: "denied" },
      { tool: "pve_task_wait", args: { upids: [UPID_ON("pve3", 104)] }, expect: "denied" },
      {
        tool: "pve_task_stop",
        args: { upid: UPID_ON("pve3", 104), confirm: true, confirmName: UPID_ON("pve3", 104) },
        expect: "denied"
      },
      { tool: "pve_list_snapshots", args: { vmid: 107 }, expect: "denied" },
      { tool: "pve_snapshot_create", args: { vmid: 104, name: "hidden" }, expect: "denied" },
      {
        tool: "pve_snapshot_rollback",
        args: { vmid: 107, name: "clean", confirm: true, confirmName: "clean" },
        expect: "denied"
      },
      {
        tool: "pve_snapshot_delete",
        args: { vmid: 107, name: "clean", confirm: true, confirmName: "clean" },
        expect: "denied"
      },
      {
        tool: "pve_list_backups",
        args: {},
        expect: "ok",
        check: (r) => {
          const rows = r.structuredContent!.backups as Array<{ vmid?: number }>
          expect(rows.length).toBeGreaterThan(0)
          for (const row of rows) expect([100, 101, 105]).toContain(row.vmid)
        }
      },
      { tool: "pve_list_backups", args: { vmid: 102 }, expect: "denied" },
      {
        tool: "pve_last_backup",
        args: {},
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.guests as Array<{ vmid: number }>).map((g) => g.vmid)).toEqual([100, 101, 105])
      },
      { tool: "pve_backup_create", args: { vmids: [100, 102] }, expect: "refused" },
      {
        tool: "pve_backup_restore",
        args: {
          archive: "nfs-shared:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst",
          vmid: 9450,
          confirm: true,
          confirmName: "nfs-shared:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst"
        },
        expect: "denied"
      },
      {
        tool: "pve_list_backup_jobs",
        args: {},
        expect: "ok",
        check: (r) => {
          const jobs = r.structuredContent!.jobs as Array<{ vmids?: number[]; all?: boolean }>
          expect(jobs.length).toBeGreaterThan(0)
          for (const job of jobs) for (const vmid of job.vmids ?? []) expect([100, 101, 105]).toContain(vmid)
          // the seeded weekly job of every guest reaches hidden ones: it is not shown
          expect(jobs.filter((job) => job.all === true)).toEqual([])
        }
      },
      { tool: "pve_backup_schedule", args: { schedule: "daily", all: true }, expect: "denied" },
      { tool: "pve_api_get", args: { path: "/nodes/pve2/qemu/102/config" }, expect: "denied" },
      {
        tool: "pve_api_get",
        args: { path: "/cluster/resources", params: { type: "vm" } },
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.data as Array<{ vmid: number }>).map((g) => g.vmid).sort()).toEqual([
            100, 101, 105
          ])
      },
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/nodes/pve1/qemu/100/clone",
          params: { newid: 200 },
          confirm: true,
          confirmName: "/nodes/pve1/qemu/100/clone"
        },
        expect: "denied"
      },
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/nodes/pve1/vzdump",
          params: { all: 1 },
          confirm: true,
          confirmName: "/nodes/pve1/vzdump"
        },
        expect: "denied"
      }
    ]
  },
  {
    name: "PVE_STORAGE_ALLOWLIST=local-lvm",
    env: { PVE_STORAGE_ALLOWLIST: "local-lvm" },
    cases: [
      {
        tool: "pve_cluster_resources",
        args: { type: "storage" },
        expect: "ok",
        check: (r) => {
          const storages = (r.structuredContent!.resources as Array<{ storage?: string }>).map((s) => s.storage)
          expect(storages.length).toBeGreaterThan(0)
          for (const s of storages) expect(s).toBe("local-lvm")
        }
      },
      {
        tool: "pve_list_backups",
        args: {},
        expect: "ok",
        check: (r) => expect(r.structuredContent!.total).toBe(0)
      },
      { tool: "pve_list_backups", args: { storage: "nfs-shared" }, expect: "denied" },
      { tool: "pve_backup_create", args: { vmids: [100], storage: "nfs-shared" }, expect: "denied" },
      {
        tool: "pve_backup_restore",
        args: {
          archive: "nfs-shared:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst",
          vmid: 9450,
          confirm: true,
          confirmName: "nfs-shared:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst"
        },
        expect: "refused"
      },
      {
        tool: "pve_backup_schedule",
        args: { schedule: "daily", vmids: [100], storage: "nfs-shared" },
        expect: "denied"
      },
      {
        tool: "pve_list_storage",
        args: { node: "pve1" },
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.storages as Array<{ storage: string }>).map((s) => s.storage)).toEqual([
            "local-lvm"
          ])
      },
      { tool: "pve_storage_content", args: { node: "pve1", storage: "local" }, expect: "denied" },
      // a disk named by its key: its storage is read from the guest's config (108's scsi0 is on nfs-shared)
      {
        tool: "pve_guest_resize_disk",
        args: { vmid: 108, node: "pve3", disk: "scsi0", size: "+1G" },
        expect: "denied",
        check: (r) => expect(text(r)).toContain("scsi0 of guest 108")
      },
      { tool: "pve_guest_resize_disk", args: { vmid: 101, node: "pve1", disk: "scsi0", size: "+1G" }, expect: "ok" },
      {
        tool: "pve_api_call",
        args: {
          method: "PUT",
          path: "/nodes/pve3/qemu/108/config",
          params: { delete: "description,scsi0" },
          confirm: true,
          confirmName: "/nodes/pve3/qemu/108/config"
        },
        expect: "denied",
        check: (r) => expect(text(r)).toContain("storage nfs-shared (scsi0 of guest 108)")
      },
      {
        tool: "pve_api_call",
        args: {
          method: "PUT",
          path: "/nodes/pve1/qemu/101/resize",
          params: { disk: "scsi7", size: "+1G" },
          confirm: true,
          confirmName: "/nodes/pve1/qemu/101/resize"
        },
        expect: "denied",
        check: (r) => expect(text(r)).toContain("scsi7 of guest 101 is not in its config")
      },
      {
        tool: "pve_storage_download",
        args: { node: "pve1", storage: "local", url: "https://example.org/x.iso", content: "iso" },
        expect: "denied"
      },
      { tool: "pve_api_get", args: { path: "/nodes/pve1/storage/local-lvm/status" }, expect: "ok" },
      { tool: "pve_guest_set_config", args: { vmid: 100, set: { scsi1: "nfs-shared:8" } }, expect: "denied" },
      { tool: "pve_vm_create", args: { node: "pve1", vmid: 9263 }, expect: "ok" },
      { tool: "pve_api_get", args: { path: "/nodes/pve1/storage/local/content" }, expect: "denied" },
      {
        tool: "pve_api_get",
        args: { path: "/nodes/pve1/storage/local-lvm/content/local:iso/debian-12.iso" },
        expect: "denied"
      },
      {
        tool: "pve_api_get",
        args: { path: "/storage" },
        expect: "ok",
        check: (r) =>
          expect((r.structuredContent!.data as Array<{ storage: string }>).map((s) => s.storage)).toEqual(["local-lvm"])
      },
      {
        tool: "pve_api_call",
        args: {
          method: "PUT",
          path: "/nodes/pve1/qemu/100/config",
          params: { scsi1: "nfs-shared:8" },
          confirm: true,
          confirmName: "/nodes/pve1/qemu/100/config"
        },
        expect: "denied"
      },
      {
        tool: "pve_api_call",
        args: {
          method: "POST",
          path: "/nodes/pve1/vzdump",
          params: { vmid: "100", storage: "local" },
          confirm: true,
          confirmName: "/nodes/pve1/vzdump"
        },
        expect: "denied"
      }
    ]
  }
]

const allowlistsOf = (env: Record<string, string>): Allowlists => ({
  nodes: env.PVE_NODE_ALLOWLIST?.split(","),
  vmids: env.PVE_VMID_ALLOWLIST?.split(",").map((r) => parseVmidRange(r)!),
  storages: env.PVE_STORAGE_ALLOWLIST?.split(",")
})

describe.each(allowlistSuites)("$name", ({ env, cases }) => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess("v1", {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param", ...env },
      sim: { taskDurationMs: 20 }
    })
  })
  afterAll(() => server.close())

  it.each(cases.map((c) => [`${c.tool} ${JSON.stringify(c.args)} → ${c.expect}`, c] as const))("%s", async (_, c) => {
    server.sim.clearRequests()
    const result = await server.callTool(c.tool, c.args)
    if (c.expect === "ok") expect(result.isError, text(result)).toBeFalsy()
    else {
      expect(result.isError, text(result)).toBe(true)
      if (c.expect === "denied") {
        expect(errorTag(result)).toBe("PolicyDenied")
        expect(text(result)).toMatch(/ALLOWLIST|every guest/)
      } else expect(["PolicyDenied", "PveNotFound"]).toContain(errorTag(result))
      expect(server.sim.requests.filter((r) => r.method !== "GET")).toEqual([])
    }
    c.check?.(result)
    const allowlists = allowlistsOf(env)
    for (const request of server.sim.requests) {
      const { nodes, vmids, storages } = addressed(request.path)
      for (const n of nodes) expect(isNodeAllowed(allowlists, n), request.path).toBe(true)
      for (const v of vmids) expect(isVmidAllowed(allowlists, v), request.path).toBe(true)
      for (const s of storages) expect(isStorageAllowed(allowlists, s), request.path).toBe(true)
    }
  })
})

describe("every tool is covered by the allowlist suites", () => {
  it("names each registered tool at least once", async () => {
    const server = await inProcess("v1", { env: { PVE_READONLY: "false" } })
    const names = (await server.listTools()).map((t) => t.name)
    await server.close()
    const covered = new Set(allowlistSuites.flatMap((s) => s.cases.map((c) => c.tool)))
    for (const name of names) expect(covered.has(name), name).toBe(true)
  })
})
