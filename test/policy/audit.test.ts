import { appendFileSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { AuditEntry, TaskAuditEntry } from "../../src/policy/Audit.js"
import { inProcess } from "../support/inProcess.js"

const auditFile = () => join(mkdtempSync(join(tmpdir(), "pmcp-audit-")), "audit.jsonl")
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")

const expectEntryShape = (entry: AuditEntry) => {
  expect(entry.event).toBe("pve_request")
  expect(new Date(entry.time).toISOString()).toBe(entry.time)
  expect(typeof entry.tool === "string" || entry.tool === null).toBe(true)
  expect(["POST", "PUT", "DELETE"]).toContain(entry.method)
  expect(entry.path.startsWith("/")).toBe(true)
  expect(entry.template.startsWith("/")).toBe(true)
  expect(typeof entry.params).toBe("object")
  expect(["ok", "error", "denied", "dry-run", "awaiting-confirmation"]).toContain(entry.outcome)
  expect(entry.durationMs).toBeGreaterThanOrEqual(0)
}

describe("audit log", () => {
  it("writes one JSON line per non-GET request and one when a task it started ends, appended to what the file held, with every outcome", async () => {
    const file = auditFile()
    appendFileSync(file, '{"earlier":"line"}\n')
    const server = await inProcess("v1", {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param", PVE_AUDIT_LOG: file, PVE_VMID_ALLOWLIST: "100-104" },
      sim: { taskDurationMs: 20 }
    })
    try {
      server.sim.faults.add({
        method: "POST",
        path: "/nodes/pve2/qemu/102/status/stop",
        status: 500,
        message: "VM 102 is locked (backup)"
      })
      await server.callTool("pve_guest_start", { vmid: 104 }) // ok, with a UPID; its task ends OK
      server.sim.faults.failNextTask({ type: "qmshutdown", exitStatus: "WARNINGS: 2" })
      await server.callTool("pve_guest_shutdown", { vmid: 104, confirm: true, confirmVmid: 104 }) // ends with warnings
      await server.callTool("pve_guest_start", { vmid: 103 }) // running already: its task fails
      await server.callTool("pve_guest_stop", { vmid: 102, confirm: true, confirmVmid: 102 }) // error from PVE
      await server.callTool("pve_api_call", {
        method: "POST",
        path: "/nodes/pve1/lxc/105/status/stop",
        confirm: true,
        confirmName: "/nodes/pve1/lxc/105/status/stop"
      }) // denied by the allowlist
      await server.callTool("pve_guest_stop", { vmid: 100, dryRun: true }) // dry-run
      await server.callTool("pve_guest_stop", { vmid: 101 }) // unconfirmed: shown, not sent
      await server.callTool("pve_list_guests", {}) // reads are not audited
      await server.callTool("pve_api_call", {
        method: "PUT",
        path: "/nodes/pve1/qemu/100/config",
        params: { cipassword: "hunter2-audit", description: "ok" },
        confirm: true,
        confirmName: "/nodes/pve1/qemu/100/config"
      })
    } finally {
      await server.close()
    }
    const all = lines(file)
    expect(all[0]).toBe('{"earlier":"line"}')
    const written = all.slice(1).map((l) => JSON.parse(l) as AuditEntry | TaskAuditEntry)
    const tasks = written.filter((l): l is TaskAuditEntry => l.event === "pve_task")
    const entries = written.filter((l): l is AuditEntry => l.event === "pve_request")
    for (const entry of entries) expectEntryShape(entry)
    // each task line follows its request line, names the tool and how the task ended
    const starts = entries.filter((e) => e.upid !== undefined)
    expect(tasks.map((t) => [t.tool, t.upid, t.exitStatus, t.outcome])).toEqual([
      ["pve_guest_start", starts[0]!.upid, "OK", "ok"],
      ["pve_guest_shutdown", starts[1]!.upid, "WARNINGS: 2", "warnings"],
      ["pve_guest_start", starts[2]!.upid, "VM 103 already running", "failed"]
    ])
    for (const task of tasks) {
      expect(written.indexOf(task)).toBeGreaterThan(written.findIndex((l) => "upid" in l && l.upid === task.upid))
      expect(new Date(task.time).toISOString()).toBe(task.time)
      expect(task.durationMs).toBeGreaterThanOrEqual(0)
    }
    expect(entries.map((e) => [e.tool, e.method, e.path, e.outcome])).toEqual([
      ["pve_guest_start", "POST", "/nodes/pve3/qemu/104/status/start", "ok"],
      ["pve_guest_shutdown", "POST", "/nodes/pve3/qemu/104/status/shutdown", "ok"],
      ["pve_guest_start", "POST", "/nodes/pve2/qemu/103/status/start", "ok"],
      ["pve_guest_stop", "POST", "/nodes/pve2/qemu/102/status/stop", "error"],
      ["pve_api_call", "POST", "/nodes/pve1/lxc/105/status/stop", "denied"],
      ["pve_guest_stop", "POST", "/nodes/pve1/qemu/100/status/stop", "dry-run"],
      ["pve_guest_stop", "POST", "/nodes/pve1/qemu/101/status/stop", "awaiting-confirmation"],
      ["pve_api_call", "PUT", "/nodes/pve1/qemu/100/config", "ok"]
    ])
    expect(entries[0]!.upid).toMatch(/^UPID:pve3:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmstart:104:/)
    expect(entries[0]!.template).toBe("/nodes/{node}/qemu/{vmid}/status/start")
    expect(entries[3]!.error).toEqual({ tag: "PveServerError", message: "VM 102 is locked (backup)" })
    expect(entries[4]!.error?.tag).toBe("PolicyDenied")
    expect(entries[7]!.params).toEqual({ cipassword: "[redacted]", description: "ok" })
    expect(readFileSync(file, "utf8")).not.toContain("hunter2-audit")
  })
})
