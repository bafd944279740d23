/**
 * The tour of every tool that the secret-hygiene sweeps (test/policy/secrets.test.ts, test/e2e/safety.test.ts) take:
 * each tool of allTools, in its order, with the arguments below. `tourProblems` (asserted by both) fails when a tool
 * has no entry, an entry names no tool, an argument is one the tool's input Schema refuses, or an argument of the
 * tool is never used: a new tool, or a new argument, joins the tour on purpose.
 */
import { Either, Schema } from "effect"
import { allTools } from "../../src/index.js"
import { toJsonSchema } from "../../src/mcp/JsonSchema.js"
import { effectiveInputSchema } from "../../src/policy/Confirmation.js"
import type { ToolResult } from "./mcpClient.js"

/** A guest password the tour sends in parameters: it must never come back anywhere. */
export const TOUR_CI_PASSWORD = "tour-ci-password-8841"

const FALLBACK_UPID = "UPID:pve3:00000001:00000001:00000001:qmstart:104:root@pam:"

/** The UPID of the newest task an earlier call of the tour started. */
const lastUpid = (earlier: ReadonlyArray<ToolResult>): string => {
  for (const result of [...earlier].reverse()) {
    const upid = result.structuredContent?.upid
    if (typeof upid === "string") return upid
  }
  return FALLBACK_UPID
}

/** The archive the tour's own backup made (pve_backup_create), to restore it. */
const tourArchive = (earlier: ReadonlyArray<ToolResult>): string => {
  for (const result of [...earlier].reverse()) {
    const archives = result.structuredContent?.archives
    if (Array.isArray(archives) && archives.length > 0) return String((archives[0] as { volid: string }).volid)
  }
  return "nfs-shared:backup/vzdump-lxc-105-2026_01_01-00_00_00.tar.zst"
}

/** The nextCursor of the newest answer that had one (the tour's previous list page). */
const lastCursor = (earlier: ReadonlyArray<ToolResult>): string | undefined => {
  for (const result of [...earlier].reverse()) {
    const cursor = result.structuredContent?.nextCursor
    if (typeof cursor === "string") return cursor
  }
  return undefined
}

/** The newest task an earlier pve_list_tasks call listed (its log has lines). */
const listedUpid = (earlier: ReadonlyArray<ToolResult>): string => {
  for (const result of [...earlier].reverse()) {
    const tasks = result.structuredContent?.tasks
    if (Array.isArray(tasks) && typeof tasks[0]?.upid === "string") return tasks[0].upid
  }
  return FALLBACK_UPID
}

/** One call's arguments, or a function of the results so far (a task status needs a UPID). */
export type TourArguments = Record<string, unknown> | ((earlier: ReadonlyArray<ToolResult>) => Record<string, unknown>)

/**
 * The calls of each tool, on the simulated cluster (VM 101 on pve1 has snapshots; VM 104 on pve3 is stopped;
 * 105 is a container on pve1). Confirmation is left to the dialog the sweeps accept.
 */
export const TOUR: Readonly<Record<string, ReadonlyArray<TourArguments>>> = {
  pve_version: [{}],
  pve_cluster_status: [{}],
  pve_list_nodes: [{}],
  pve_node_status: [{ node: "pve1" }],
  pve_cluster_resources: [
    {},
    { type: "vm", node: "pve1", status: "running", tag: "prod", pool: "production", name: "web-*", sort: "-mem" },
    {
      fields: [
        "pool",
        "tags",
        "hastate",
        "netin",
        "netout",
        "diskread",
        "diskwrite",
        "content",
        "plugintype",
        "shared",
        "level"
      ],
      limit: 3
    },
    (earlier) => ({ limit: 3, cursor: lastCursor(earlier) })
  ],
  pve_list_guests: [
    {},
    { type: "qemu", node: "pve1", status: "running", tag: "prod", pool: "production", name: "web", sort: "-cpu" },
    { fields: ["disk", "netin", "netout", "diskread", "diskwrite", "hastate", "tags", "pool"], limit: 2 },
    (earlier) => ({ limit: 2, cursor: lastCursor(earlier) })
  ],
  pve_guest_status: [{ vmid: 101 }, { vmid: 105, node: "pve1" }],
  pve_guest_config: [
    { vmid: 101, snapshot: "pre-upgrade" },
    { vmid: 101, node: "pve1", current: true }
  ],
  pve_guest_start: [{ vmid: 104 }, { vmid: 104, node: "pve3", dryRun: true }],
  pve_guest_shutdown: [
    { vmid: 104, timeout: 5, forceStop: true },
    { vmid: 105, node: "pve1", timeout: 30, dryRun: true }
  ],
  pve_guest_stop: [{ vmid: 100, node: "pve1", dryRun: true }, { vmid: 100 }],
  pve_guest_network: [{ vmid: 101 }, { vmid: 105, node: "pve1", includeLoopback: true }],
  pve_next_vmid: [{}, { vmid: 101 }],
  pve_guest_reboot: [{ vmid: 101, node: "pve1", timeout: 60, dryRun: true }],
  pve_guest_reset: [{ vmid: 101, node: "pve1", dryRun: true }],
  pve_guest_suspend: [
    { vmid: 101, toDisk: true, dryRun: true },
    { vmid: 101, node: "pve1", dryRun: true }
  ],
  // 101 runs and is not paused: resuming it changes nothing
  pve_guest_resume: [{ vmid: 101, node: "pve1", dryRun: true }],
  pve_guest_set_config: [
    // a cloud-init password: it must never come back (101 runs, so it is reported as pending)
    { vmid: 101, set: { cipassword: TOUR_CI_PASSWORD } },
    { vmid: 101, node: "pve1", set: { description: "tour" }, delete: ["tags"], digest: "0".repeat(40), dryRun: true }
  ],
  pve_guest_resize_disk: [{ vmid: 101, node: "pve1", disk: "scsi0", size: "+1G", dryRun: true }],
  pve_guest_convert_to_template: [{ vmid: 104, node: "pve3", dryRun: true }],
  pve_guest_delete: [
    { vmid: 101, node: "pve1", stop: true, purge: true, destroyUnreferencedDisks: false, dryRun: true }
  ],
  // guests made here use vmids 9200–9299; the dry-runs and refusals touch nothing
  pve_vm_create: [
    {
      node: "pve1",
      vmid: 9200,
      name: "tour-vm",
      cores: 1,
      sockets: 1,
      memory: "1G",
      diskSize: 8,
      storage: "local-lvm",
      iso: "debian-12.9.0-amd64-netinst.iso",
      bridge: "vmbr0",
      vlan: 10,
      netModel: "virtio",
      ostype: "l26",
      scsihw: "virtio-scsi-single",
      bios: "ovmf",
      cloudInit: {
        user: "tour",
        password: TOUR_CI_PASSWORD,
        sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITour tour@example"],
        ipconfig0: { ip: "10.0.0.8/24", gw: "10.0.0.1" },
        nameserver: "10.0.0.2",
        searchdomain: "tour.example",
        storage: "local-lvm"
      },
      pool: "lab",
      tags: ["tour"],
      start: false
    },
    { node: "pve2", vmid: 9201, cloudInit: { password: TOUR_CI_PASSWORD, ipconfig0: "dhcp" }, dryRun: true }
  ],
  pve_ct_create: [
    {
      node: "pve1",
      vmid: 9202,
      template: "debian-12-standard_12.7-1_amd64.tar.zst",
      hostname: "tour-ct",
      cores: 1,
      memory: 512,
      swap: "256M",
      diskSize: "4G",
      storage: "local-lvm",
      bridge: "vmbr0",
      vlan: 20,
      ip: "10.0.0.9/24",
      gw: "10.0.0.1",
      password: TOUR_CI_PASSWORD,
      sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITour tour@example"],
      unprivileged: true,
      features: { nesting: true, keyctl: true },
      pool: "lab",
      tags: ["tour"],
      start: true
    },
    {
      node: "pve2",
      template: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
      password: TOUR_CI_PASSWORD,
      dryRun: true
    }
  ],
  pve_guest_clone: [
    { vmid: 9000, node: "pve1", newid: 9203, name: "tour-linked", full: false, pool: "lab", start: false },
    { vmid: 9000, newid: 9204, full: true, target: "pve2", storage: "local-lvm", start: true },
    { vmid: 100, newid: 9205, dryRun: true }
  ],
  pve_guest_migrate: [
    { vmid: 9202, node: "pve1", target: "pve2", restart: true },
    { vmid: 9204, target: "pve3", online: true, withLocalDisks: true, targetStorage: "local-lvm", dryRun: true }
  ],
  pve_task_status: [(earlier) => ({ upid: lastUpid(earlier), logLines: 50 })],
  pve_task_wait: [(earlier) => ({ upids: [lastUpid(earlier)] })],
  // the task is over by now: nothing is sent
  pve_task_stop: [(earlier) => ({ upid: lastUpid(earlier), dryRun: true }), (earlier) => ({ upid: lastUpid(earlier) })],
  pve_list_snapshots: [{ vmid: 101 }, { vmid: 107, node: "pve3" }],
  // the tour's own snapshot: rolled back to and deleted below
  pve_snapshot_create: [
    { vmid: 101, name: "tour-snap", description: "taken by the tour", vmstate: true },
    { vmid: 105, node: "pve1", name: "tour-dry", dryRun: true }
  ],
  pve_snapshot_rollback: [
    { vmid: 101, node: "pve1", name: "tour-snap", dryRun: true },
    { vmid: 101, name: "tour-snap", start: true }
  ],
  pve_snapshot_delete: [
    { vmid: 107, node: "pve3", name: "clean", dryRun: true },
    { vmid: 101, name: "tour-snap", force: true }
  ],
  pve_list_backups: [{ vmid: 100, storage: "nfs-shared", limit: 1 }, (earlier) => ({ cursor: lastCursor(earlier) })],
  pve_last_backup: [{ missingOnly: true, limit: 2 }, (earlier) => ({ cursor: lastCursor(earlier) }), { vmid: 105 }],
  pve_backup_create: [
    {
      vmids: [105],
      storage: "nfs-shared",
      mode: "snapshot",
      compression: "lzo",
      notes: "tour {{vmid}}",
      protected: false
    },
    { vmids: [100, 104], dryRun: true }
  ],
  // restored into the tour's own vmid range (9400–9499), then a dry run over that guest
  pve_backup_restore: [
    (earlier) => ({ archive: tourArchive(earlier), vmid: 9400, storage: "local-lvm" }),
    (earlier) => ({ archive: tourArchive(earlier), vmid: 9400, node: "pve1", force: true, dryRun: true })
  ],
  pve_list_backup_jobs: [{}],
  pve_backup_schedule: [
    {
      schedule: "sun 01:00",
      vmids: [9400],
      storage: "nfs-shared",
      mode: "snapshot",
      compression: "zstd",
      retention: { keepLast: 2, keepHourly: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: 6, keepYearly: 1 },
      notes: "{{guestname}}",
      comment: "the tour's job",
      enabled: true
    },
    { id: "backup-7a1c2e3f-02", all: true, exclude: [108], enabled: false, dryRun: true },
    { id: "tour-job", pool: "lab", schedule: "daily", dryRun: true }
  ],
  pve_list_tasks: [
    {},
    { failed: true, since: "2026-01-01T00:00:00Z", until: 4_102_444_800, limit: 5 },
    { node: "pve1", type: "vzdump", vmid: 100, user: "root@pam", running: false, limit: 2, cursor: "2" }
  ],
  pve_task_log: [(earlier) => ({ upid: listedUpid(earlier), start: 1, limit: 5 })],
  pve_node_metrics: [{ node: "pve1" }, { node: "pve2", timeframe: "day", cf: "MAX", raw: true }],
  pve_guest_metrics: [{ vmid: 101 }, { vmid: 105, node: "pve1", timeframe: "week", cf: "AVERAGE", raw: true }],
  pve_node_log: [
    { node: "pve1" },
    { node: "pve2", service: "pveproxy", since: "2026-01-01T00:00:00Z", until: 4_102_444_800, limit: 5, start: 0 },
    { node: "pve3", source: "journal", limit: 10 }
  ],
  pve_list_storage: [{}, { node: "pve1", content: "iso" }],
  pve_storage_content: [
    { node: "pve1", storage: "local" },
    { node: "pve1", storage: "nfs-shared", content: "backup", vmid: 100, limit: 1, cursor: "0" }
  ],
  pve_storage_download: [
    { node: "pve3", storage: "local", url: "https://tour.example/images/tour-91.iso", content: "iso" },
    {
      node: "pve3",
      storage: "local",
      url: "https://tour.example/images/tour-92.tar.zst",
      filename: "tour-92.tar.zst",
      content: "vztmpl",
      checksum: "0".repeat(64),
      checksumAlgorithm: "sha256",
      verifyCertificates: true,
      dryRun: true
    }
  ],
  pve_list_templates: [{ node: "pve1" }, { node: "pve1", section: "system", name: "debian" }],
  pve_list_network: [{ node: "pve3" }, { node: "pve3", type: "bridge" }],
  // a bridge of the tour's own on pve3: the apply below applies exactly it
  pve_network_create_bridge: [
    {
      node: "pve3",
      name: "vmbr91",
      ports: ["eno2"],
      cidr: "10.91.0.13/24",
      vlanAware: true,
      autostart: true,
      comment: "tour bridge"
    },
    { node: "pve3", name: "vmbr92", gateway: "10.92.0.1", cidr: "10.92.0.13/24", dryRun: true }
  ],
  pve_network_apply: [{ node: "pve3", dryRun: true }, { node: "pve3" }],
  // nothing is pending after the apply: nothing is sent
  pve_network_revert: [{ node: "pve3" }, { node: "pve3", dryRun: true }],
  pve_api_describe: [
    { query: "firewall rules of a vm" },
    { method: "POST", path: "/nodes/pve1/qemu/101/firewall/rules" },
    { method: "POST", path: "/nodes/{node}/qemu", param: "net" }
  ],
  pve_api_get: [
    { path: "/nodes/pve1/qemu/101/config", params: { current: 1 } },
    // refused: it hands out credentials
    { path: "/access/ticket" }
  ],
  pve_api_call: [
    { method: "PUT", path: "/nodes/pve1/qemu/101/config", params: { cipassword: TOUR_CI_PASSWORD } },
    { method: "PUT", path: "/nodes/pve1/qemu/101/config", params: { cipassword: TOUR_CI_PASSWORD }, dryRun: true }
  ]
}

const argumentsOf = (args: TourArguments, earlier: ReadonlyArray<ToolResult>) =>
  typeof args === "function" ? args(earlier) : args

/** What is wrong with TOUR against allTools; empty when every tool and every argument is toured. */
export const tourProblems = (): ReadonlyArray<string> => {
  const problems: string[] = []
  for (const name of Object.keys(TOUR))
    if (!allTools.some((t) => t.name === name)) problems.push(`${name}: in TOUR, but not a tool`)
  for (const tool of allTools) {
    const calls = TOUR[tool.name]
    if (calls === undefined || calls.length === 0) {
      problems.push(`${tool.name}: no calls in TOUR (test/support/tour.ts)`)
      continue
    }
    const decode = Schema.decodeUnknownEither(effectiveInputSchema(tool), { onExcessProperty: "error" })
    const used = new Set<string>()
    for (const call of calls) {
      const args = argumentsOf(call, [])
      for (const key of Object.keys(args)) used.add(key)
      const decoded = decode(args)
      if (Either.isLeft(decoded)) problems.push(`${tool.name} ${JSON.stringify(args)}: ${decoded.left.message}`)
    }
    // every argument of the tool itself, and dryRun for a write tool; confirmation is the dialog's
    const properties = Object.keys((toJsonSchema(tool.input).properties ?? {}) as Record<string, unknown>)
    if (!tool.annotations.readOnlyHint) properties.push("dryRun")
    for (const name of properties.filter((p) => !used.has(p)))
      problems.push(`${tool.name}: no call in TOUR uses its argument ${name}`)
  }
  return problems
}

/** Calls every tool of allTools with its TOUR arguments, in order; the results in the same order. */
export const tour = async (
  call: (name: string, args: Record<string, unknown>) => Promise<ToolResult>
): Promise<ReadonlyArray<ToolResult>> => {
  const results: ToolResult[] = []
  for (const tool of allTools)
    for (const args of TOUR[tool.name] ?? []) results.push(await call(tool.name, argumentsOf(args, results)))
  return results
}
