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
  pve_cluster_resources: [{}, { type: "vm" }],
  pve_list_guests: [{}, { type: "qemu", node: "pve1", status: "running" }],
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
