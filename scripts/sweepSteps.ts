// The steps of the catalogue sweep (scripts/sweep.ts), in order: the everyday admin jobs of issues 9 and 10 on the
// simulated cluster (3 nodes; template 9000 and the ISO and container templates on pve1). Arguments may use what
// earlier steps recorded in the context (new vmids, a digest, an archive, a UPID).
import type { ToolResult } from "../test/support/mcpClient.js"
import { textOf } from "../test/support/mcpClient.js"

export type SweepContext = Record<string, unknown>

export interface SweepStep {
  readonly title: string
  readonly tool: string
  readonly args: (ctx: SweepContext) => Record<string, unknown>
  /** a refusal is the expected result */
  readonly refused?: boolean
  /** what is wrong with the result, or undefined; may record values for later steps in ctx */
  readonly check: (result: ToolResult, ctx: SweepContext) => string | undefined
}

type Check = (result: ToolResult, ctx: SweepContext) => string | undefined

/** A password the sweep sends: no answer may ever show it. */
export const SWEEP_PASSWORD = "sweep-Secret-4417"
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISweepKey sweep@example"

const data = (result: ToolResult): Record<string, unknown> => result.structuredContent ?? {}

const all =
  (...checks: ReadonlyArray<Check>): Check =>
  (result, ctx) => {
    for (const check of checks) {
      const problem = check(result, ctx)
      if (problem !== undefined) return problem
    }
    return undefined
  }

/** structuredContent's field has the value (a function of the context when it depends on earlier steps). */
const field =
  (name: string, expected: unknown | ((ctx: SweepContext) => unknown)): Check =>
  (result, ctx) => {
    const want = typeof expected === "function" ? (expected as (ctx: SweepContext) => unknown)(ctx) : expected
    const got = data(result)[name]
    return got === want ? undefined : `${name} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`
  }

/** The text (of a refusal, say) matches. */
const says =
  (pattern: RegExp): Check =>
  (result) =>
    pattern.test(textOf(result)) ? undefined : `the answer does not say ${pattern}`

/** Nothing in the answer, text or structured, shows the sweep's password. */
const keepsSecret: Check = (result) =>
  JSON.stringify(result).includes(SWEEP_PASSWORD) ? "the answer shows the password" : undefined

/** A finished task's exit status was OK. */
const taskOk: Check = (result) => {
  const status = data(result).exitStatus
  return status === undefined || status === "OK" ? undefined : `the task ended ${JSON.stringify(status)}`
}

/** Records a number field of the answer in the context. */
const remember =
  (field: string, as: string): Check =>
  (result, ctx) => {
    const value = data(result)[field]
    if (value === undefined) return `the answer has no ${field}`
    ctx[as] = value
    return undefined
  }

const confirmVmid = (vmid: unknown) => ({ confirm: true, confirmVmid: vmid })
const confirmName = (name: unknown) => ({ confirm: true, confirmName: name })

const partOne: ReadonlyArray<SweepStep> = [
  {
    title: "create a VM from an ISO with cloud-init (UEFI, VLAN, next free vmid)",
    tool: "pve_vm_create",
    args: () => ({
      node: "pve1",
      name: "sweep-vm",
      cores: 2,
      memory: "2G",
      diskSize: 16,
      storage: "local-lvm",
      iso: "debian-12.9.0-amd64-netinst.iso",
      bridge: "vmbr0",
      vlan: 10,
      bios: "ovmf",
      cloudInit: {
        user: "admin",
        password: SWEEP_PASSWORD,
        sshKeys: [SSH_KEY],
        ipconfig0: { ip: "10.0.0.50/24", gw: "10.0.0.1" },
        nameserver: "10.0.0.1"
      },
      tags: ["sweep"]
    }),
    check: all(remember("vmid", "vm"), taskOk, keepsSecret)
  },
  {
    title: "a create PVE would reject is refused before anything is sent",
    tool: "pve_vm_create",
    args: () => ({ node: "pve1", name: "not a dns name", iso: "debian-12.9.0-amd64-netinst.iso" }),
    refused: true,
    check: says(/name/)
  },
  {
    title: "create a container from a template name",
    tool: "pve_ct_create",
    args: () => ({
      node: "pve1",
      template: "debian-12-standard_12.7-1_amd64.tar.zst",
      hostname: "sweep-ct",
      memory: 512,
      diskSize: "4G",
      storage: "local-lvm",
      bridge: "vmbr0",
      ip: "10.0.0.60/24",
      gw: "10.0.0.1",
      password: SWEEP_PASSWORD
    }),
    check: all(remember("vmid", "ct"), taskOk, keepsSecret)
  },
  {
    title: "enable the guest agent on the VM",
    tool: "pve_guest_set_config",
    args: (ctx) => ({ vmid: ctx.vm, set: { agent: "1" } }),
    check: taskOk
  },
  {
    title: "start the VM",
    tool: "pve_guest_start",
    args: (ctx) => ({ vmid: ctx.vm }),
    check: field("statusAfter", "running")
  },
  {
    title: "start the container",
    tool: "pve_guest_start",
    args: (ctx) => ({ vmid: ctx.ct }),
    check: field("statusAfter", "running")
  },
  {
    title: "the VM's addresses (guest agent)",
    tool: "pve_guest_network",
    args: (ctx) => ({ vmid: ctx.vm }),
    check: says(/\d+\.\d+\.\d+\.\d+/)
  },
  {
    title: "the container's addresses",
    tool: "pve_guest_network",
    args: (ctx) => ({ vmid: ctx.ct }),
    check: says(/\d+\.\d+\.\d+\.\d+/)
  },
  {
    title: "linked clone of template 9000",
    tool: "pve_guest_clone",
    args: () => ({ vmid: 9000, name: "sweep-linked", full: false }),
    check: all(remember("vmid", "linked"), taskOk)
  },
  {
    title: "full clone of the VM onto pve2",
    tool: "pve_guest_clone",
    args: (ctx) => ({ vmid: ctx.vm, name: "sweep-full", full: true, target: "pve2", storage: "local-lvm" }),
    check: all(remember("vmid", "full"), taskOk)
  },
  {
    title: "a clone into a taken vmid is refused",
    tool: "pve_guest_clone",
    args: (ctx) => ({ vmid: 9000, newid: ctx.vm, full: true }),
    refused: true,
    check: says(/exists|taken|in use/i)
  },
  {
    title: "migrating to the node it is on is refused",
    tool: "pve_guest_migrate",
    args: (ctx) => ({ vmid: ctx.vm, target: "pve1", online: true }),
    refused: true,
    check: says(/already|local node|same/i)
  },
  {
    title: "a live migration with the installer ISO still in the drive is refused, with the reason",
    tool: "pve_guest_migrate",
    args: (ctx) => ({ vmid: ctx.vm, target: "pve2", online: true }),
    refused: true,
    check: says(/ISO|cdrom|CD-ROM/i)
  },
  {
    title: "eject the ISO",
    tool: "pve_guest_set_config",
    args: (ctx) => ({ vmid: ctx.vm, set: { ide2: "none,media=cdrom" } }),
    check: taskOk
  },
  {
    title: "live-migrate the running VM to pve2",
    tool: "pve_guest_migrate",
    args: (ctx) => ({ vmid: ctx.vm, target: "pve2", online: true, withLocalDisks: true }),
    check: taskOk
  },
  {
    title: "migrate the running container in restart mode to pve3",
    tool: "pve_guest_migrate",
    args: (ctx) => ({ vmid: ctx.ct, target: "pve3", restart: true }),
    check: taskOk
  },
  {
    title: "grow the VM's disk by 4G",
    tool: "pve_guest_resize_disk",
    args: (ctx) => ({ vmid: ctx.vm, disk: "scsi0", size: "+4G" }),
    check: taskOk
  },
  {
    title: "a shrink is refused",
    tool: "pve_guest_resize_disk",
    args: (ctx) => ({ vmid: ctx.vm, disk: "scsi0", size: "1G" }),
    refused: true,
    check: says(/shrink/i)
  },
  {
    title: "read the VM's config digest",
    tool: "pve_guest_config",
    args: (ctx) => ({ vmid: ctx.vm }),
    check: (result, ctx) => {
      const config = data(result).config as Record<string, unknown> | undefined
      if (typeof config?.digest !== "string") return "the config has no digest"
      ctx.digest = config.digest
      return undefined
    }
  },
  {
    title: "someone else changes the config",
    tool: "pve_guest_set_config",
    args: (ctx) => ({ vmid: ctx.vm, set: { description: "changed meanwhile" } }),
    check: taskOk
  },
  {
    title: "a change with the stale digest is refused",
    tool: "pve_guest_set_config",
    args: (ctx) => ({ vmid: ctx.vm, set: { cores: 4 }, digest: ctx.digest }),
    refused: true,
    check: says(/modified|digest/i)
  },
  {
    title: "the same change with a fresh digest (read while planning) is applied, pending until restart",
    tool: "pve_guest_set_config",
    args: (ctx) => ({ vmid: ctx.vm, set: { cores: 4 } }),
    check: all(taskOk, says(/pending|cores/i))
  },
  {
    title: "stop the full clone",
    tool: "pve_guest_stop",
    args: (ctx) => ({ vmid: ctx.full, ...confirmVmid(ctx.full) }),
    check: field("statusAfter", "stopped")
  },
  {
    title: "convert the full clone to a template",
    tool: "pve_guest_convert_to_template",
    args: (ctx) => ({ vmid: ctx.full, ...confirmVmid(ctx.full) }),
    check: taskOk
  },
  {
    title: "deleting the running container without stop is refused",
    tool: "pve_guest_delete",
    args: (ctx) => ({ vmid: ctx.ct, ...confirmVmid(ctx.ct) }),
    refused: true,
    check: says(/running/i)
  },
  {
    title: "a reset of a container is refused",
    tool: "pve_guest_reset",
    args: (ctx) => ({ vmid: ctx.ct, ...confirmVmid(ctx.ct) }),
    refused: true,
    check: says(/only for VMs|container/i)
  },
  {
    title: "delete the container, stopping it first",
    tool: "pve_guest_delete",
    args: (ctx) => ({ vmid: ctx.ct, stop: true, ...confirmVmid(ctx.ct) }),
    check: taskOk
  },
  {
    title: "delete the new template",
    tool: "pve_guest_delete",
    args: (ctx) => ({ vmid: ctx.full, ...confirmVmid(ctx.full) }),
    check: taskOk
  },
  {
    title: "delete the linked clone",
    tool: "pve_guest_delete",
    args: (ctx) => ({ vmid: ctx.linked, ...confirmVmid(ctx.linked) }),
    check: taskOk
  }
]

const partTwo: ReadonlyArray<SweepStep> = [
  {
    title: "snapshot the VM with its RAM",
    tool: "pve_snapshot_create",
    args: (ctx) => ({ vmid: ctx.vm, name: "sweep-snap", description: "before the sweep's change", vmstate: true }),
    check: taskOk
  },
  {
    title: "list the VM's snapshots",
    tool: "pve_list_snapshots",
    args: (ctx) => ({ vmid: ctx.vm }),
    check: says(/sweep-snap/)
  },
  {
    title: "a rollback to a snapshot that does not exist is refused",
    tool: "pve_snapshot_rollback",
    args: (ctx) => ({ vmid: ctx.vm, name: "no-such-snap", ...confirmName("no-such-snap") }),
    refused: true,
    check: says(/sweep-snap/)
  },
  {
    title: "roll back to the snapshot and start again",
    tool: "pve_snapshot_rollback",
    args: (ctx) => ({ vmid: ctx.vm, name: "sweep-snap", start: true, ...confirmName("sweep-snap") }),
    check: says(/running/i)
  },
  {
    title: "delete the snapshot",
    tool: "pve_snapshot_delete",
    args: (ctx) => ({ vmid: ctx.vm, name: "sweep-snap", ...confirmName("sweep-snap") }),
    check: taskOk
  },
  {
    title: "back up the VM now",
    tool: "pve_backup_create",
    args: (ctx) => ({ vmids: [ctx.vm], storage: "nfs-shared", mode: "snapshot", compression: "zstd", notes: "sweep" }),
    check: (result, ctx) => {
      const archives = data(result).archives as ReadonlyArray<{ volid: string }> | undefined
      if (archives === undefined || archives.length === 0) return "the answer names no new archive"
      ctx.archive = archives[0]!.volid
      return undefined
    }
  },
  {
    title: "list the VM's backups: the new one first",
    tool: "pve_list_backups",
    args: (ctx) => ({ vmid: ctx.vm }),
    check: (result, ctx) => {
      const rows = data(result).backups as ReadonlyArray<{ volid: string }> | undefined
      return rows?.[0]?.volid === ctx.archive ? undefined : `the first backup is ${rows?.[0]?.volid}`
    }
  },
  {
    title: "last backup of the VM",
    tool: "pve_last_backup",
    args: (ctx) => ({ vmid: ctx.vm }),
    check: (result, ctx) => (JSON.stringify(data(result)).includes(String(ctx.archive)) ? undefined : "not the new one")
  },
  {
    title: "restoring over the running VM is refused",
    tool: "pve_backup_restore",
    args: (ctx) => ({ archive: ctx.archive, vmid: ctx.vm, force: true, ...confirmName(ctx.archive) }),
    refused: true,
    check: says(/running/i)
  },
  {
    title: "restore the backup to a new vmid",
    tool: "pve_backup_restore",
    args: (ctx) => ({ archive: ctx.archive, storage: "local-lvm", ...confirmName(ctx.archive) }),
    check: all(remember("vmid", "restored"), taskOk)
  },
  {
    title: "schedule a nightly backup job for the VM",
    tool: "pve_backup_schedule",
    args: (ctx) => ({ schedule: "02:30", vmids: [ctx.vm], storage: "nfs-shared", mode: "snapshot" }),
    check: says(/02:30/)
  },
  {
    title: "find a container template in the appliance index",
    tool: "pve_list_templates",
    args: () => ({ node: "pve1", section: "system", name: "alpine" }),
    check: says(/alpine/i)
  },
  {
    title: "a download with a wrong checksum fails, and says so",
    tool: "pve_storage_download",
    args: () => ({
      node: "pve1",
      storage: "local",
      url: "https://images.example/alpine-3.20-sweep.tar.xz",
      filename: "alpine-3.20-sweep.tar.xz",
      content: "vztmpl",
      checksum: "0".repeat(64),
      checksumAlgorithm: "sha256"
    }),
    refused: true,
    check: says(/checksum/i)
  },
  {
    title: "download a container template",
    tool: "pve_storage_download",
    args: () => ({
      node: "pve1",
      storage: "local",
      url: "https://images.example/alpine-3.20-sweep.tar.xz",
      filename: "alpine-3.20-sweep.tar.xz",
      content: "vztmpl"
    }),
    check: taskOk
  },
  {
    title: "create a container from the downloaded template",
    tool: "pve_ct_create",
    args: () => ({
      node: "pve1",
      template: "alpine-3.20-sweep.tar.xz",
      hostname: "sweep-alpine",
      storage: "local-lvm",
      password: SWEEP_PASSWORD
    }),
    check: all(taskOk, keepsSecret)
  },
  {
    title: "stage a bridge on pve2",
    tool: "pve_network_create_bridge",
    args: () => ({ node: "pve2", name: "vmbr77", cidr: "10.77.0.2/24", comment: "sweep" }),
    check: says(/vmbr77/)
  },
  {
    title: "pve2's network shows the pending bridge",
    tool: "pve_list_network",
    args: () => ({ node: "pve2" }),
    check: all(says(/vmbr77/), says(/pending/i))
  },
  {
    title: "apply pve2's network",
    tool: "pve_network_apply",
    args: () => ({ node: "pve2", ...confirmName("pve2") }),
    check: taskOk
  },
  {
    title: "apply with nothing pending is refused",
    tool: "pve_network_apply",
    args: () => ({ node: "pve2", ...confirmName("pve2") }),
    refused: true,
    check: says(/nothing|no pending|pending/i)
  },
  {
    title: "list failed tasks",
    tool: "pve_list_tasks",
    args: () => ({ failed: true, limit: 5 }),
    check: (result, ctx) => {
      const tasks = data(result).tasks as ReadonlyArray<{ upid: string }> | undefined
      if (tasks === undefined || tasks.length === 0) return "no failed task listed"
      ctx.failedUpid = tasks[0]!.upid
      return undefined
    }
  },
  {
    title: "read a page of the failed task's log",
    tool: "pve_task_log",
    args: (ctx) => ({ upid: ctx.failedUpid, start: 0, limit: 5 }),
    check: says(/\S/)
  }
]

export const SWEEP_STEPS: ReadonlyArray<SweepStep> = [...partOne, ...partTwo]
