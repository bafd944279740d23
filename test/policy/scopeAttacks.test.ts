/**
 * The attacker review of issue 8, case by case, through the generic API tools of the real server against the
 * simulator (write mode, confirmation given): every request that would reach past the allowlists is refused
 * with nothing sent (or only the read that proves it), and every answer that would show a hidden guest, node or
 * storage is filtered or refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../../sim/Simulator.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import type { ToolResult } from "../support/mcpClient.js"

const errorTag = (r: ToolResult) => (r._meta?.["proxmox-mcp/error"] as { readonly _tag?: string } | undefined)?._tag
const text = (r: ToolResult) => r.content.map((c) => c.text ?? "").join("\n")

const ALLOWLISTS = {
  PVE_NODE_ALLOWLIST: "pve1,pve2",
  PVE_VMID_ALLOWLIST: "100,102-103,105",
  PVE_STORAGE_ALLOWLIST: "local,local-lvm"
}

type Method = "GET" | "POST" | "PUT" | "DELETE"

interface Attack {
  readonly name: string
  readonly method: Method
  readonly path: string
  readonly params?: Record<string, unknown>
  /** the reads the policy may make to prove the refusal (nothing else reaches the simulator) */
  readonly reads?: ReadonlyArray<string>
}

const call = (server: InProcessServer, a: Pick<Attack, "method" | "path" | "params">) =>
  a.method === "GET"
    ? server.callTool("pve_api_get", { path: a.path, ...(a.params === undefined ? {} : { params: a.params }) })
    : server.callTool("pve_api_call", {
        method: a.method,
        path: a.path,
        ...(a.params === undefined ? {} : { params: a.params }),
        confirm: true,
        confirmName: a.path
      })

const PBS_101 = "local:backup/vm/101/2025-01-01T02:00:00Z"

const refused: ReadonlyArray<Attack> = [
  // 1. writes on everything at once
  { name: "bulk shutdown without a list", method: "POST", path: "/cluster/bulk-action/guest/shutdown" },
  { name: "bulk start without a list", method: "POST", path: "/cluster/bulk-action/guest/start" },
  { name: "bulk suspend without a list", method: "POST", path: "/cluster/bulk-action/guest/suspend" },
  {
    name: "bulk migrate without a list",
    method: "POST",
    path: "/cluster/bulk-action/guest/migrate",
    params: { target: "pve2" }
  },
  {
    name: "bulk shutdown listing a hidden guest",
    method: "POST",
    path: "/cluster/bulk-action/guest/shutdown",
    params: { vms: [100, 101] }
  },
  {
    name: "node reboot with hidden guests on it",
    method: "POST",
    path: "/nodes/pve1/status",
    params: { command: "reboot" },
    reads: ["/cluster/resources"]
  },
  {
    name: "node shutdown with hidden guests on it",
    method: "POST",
    path: "/nodes/pve2/status",
    params: { command: "shutdown" },
    reads: ["/cluster/resources"]
  },
  { name: "stopall", method: "POST", path: "/nodes/pve1/stopall", reads: ["/cluster/resources"] },
  { name: "startall", method: "POST", path: "/nodes/pve1/startall", reads: ["/cluster/resources"] },
  { name: "suspendall", method: "POST", path: "/nodes/pve1/suspendall", reads: ["/cluster/resources"] },
  {
    name: "migrateall",
    method: "POST",
    path: "/nodes/pve1/migrateall",
    params: { target: "pve2" },
    reads: ["/cluster/resources"]
  },
  { name: "stopall listing a hidden guest", method: "POST", path: "/nodes/pve1/stopall", params: { vms: "100,101" } },
  { name: "prune without vmid", method: "DELETE", path: "/nodes/pve1/storage/local/prunebackups" },
  {
    name: "disarm HA",
    method: "POST",
    path: "/cluster/ha/status/disarm-ha",
    params: { "resource-mode": "freeze" }
  },
  { name: "arm HA", method: "POST", path: "/cluster/ha/status/arm-ha" },
  // 2. guests named inside ids
  {
    name: "create replication job 101-0",
    method: "POST",
    path: "/cluster/replication",
    params: { id: "101-0", target: "pve2", type: "local" }
  },
  { name: "update replication job 101-0", method: "PUT", path: "/cluster/replication/101-0", params: { rate: 10 } },
  { name: "delete replication job 101-0", method: "DELETE", path: "/cluster/replication/101-0" },
  { name: "schedule replication 101-0 now", method: "POST", path: "/nodes/pve1/replication/101-0/schedule_now" },
  {
    name: "replication job of an allowed guest to a hidden node",
    method: "POST",
    path: "/cluster/replication",
    params: { id: "100-1", target: "pve3", type: "local" }
  },
  {
    name: "HA rule naming vm:101",
    method: "POST",
    path: "/cluster/ha/rules",
    params: { rule: "evil", type: "node-affinity", resources: "vm:101", nodes: "pve1" }
  },
  {
    name: "update an HA rule whose guest is hidden (read first)",
    method: "PUT",
    path: "/cluster/ha/rules/db-on-pve1",
    params: { type: "node-affinity", comment: "x" },
    reads: ["/cluster/ha/rules/db-on-pve1"]
  },
  {
    name: "delete an HA rule coupling an allowed and a hidden guest (read first)",
    method: "DELETE",
    path: "/cluster/ha/rules/web-with-db",
    reads: ["/cluster/ha/rules/web-with-db"]
  },
  {
    name: "HA resource of a hidden guest",
    method: "POST",
    path: "/cluster/ha/resources",
    params: { sid: "vm:101" }
  },
  {
    name: "restore from a backup of 101",
    method: "POST",
    path: "/nodes/pve1/qemu",
    params: { vmid: 100, archive: PBS_101, force: 1 }
  },
  {
    name: "extract the config of a backup of 101",
    method: "GET",
    path: "/nodes/pve1/vzdump/extractconfig",
    params: { volume: PBS_101 }
  },
  {
    name: "file-restore from a backup of 101",
    method: "GET",
    path: "/nodes/pve1/storage/local/file-restore/list",
    params: { volume: PBS_101, filepath: "/" }
  },
  { name: "delete a backup of 101", method: "DELETE", path: `/nodes/pve1/storage/local/content/${PBS_101}` },
  {
    name: "notes on a backup of 101",
    method: "PUT",
    path: `/nodes/pve1/storage/local/content/${PBS_101}`,
    params: { notes: "x" }
  },
  {
    name: "delete a backup job that backs up 101 (read first)",
    method: "DELETE",
    path: "/cluster/backup/backup-7a1c2e3f-01",
    reads: ["/cluster/backup/backup-7a1c2e3f-01"]
  },
  {
    name: "update a backup job of every guest (read first)",
    method: "PUT",
    path: "/cluster/backup/backup-7a1c2e3f-02",
    params: { enabled: 1 },
    reads: ["/cluster/backup/backup-7a1c2e3f-02"]
  },
  // 3. host paths and other guests' disks in config values
  {
    name: "lxc dev0 host device",
    method: "PUT",
    path: "/nodes/pve1/lxc/105/config",
    params: { dev0: "path=/dev/sda" }
  },
  {
    name: "scsi1 on another guest's LV by host path",
    method: "PUT",
    path: "/nodes/pve1/qemu/100/config",
    params: { scsi1: "/dev/mapper/pve-vm--101--disk--0" }
  },
  {
    name: "import-from a host path",
    method: "POST",
    path: "/nodes/pve1/qemu/100/config",
    params: { scsi1: "local-lvm:0,import-from=/dev/mapper/pve-vm--101--disk--0" }
  },
  {
    name: "mp0 on a hidden storage's mount path",
    method: "PUT",
    path: "/nodes/pve1/lxc/105/config",
    params: { mp0: "/mnt/pve/nfs-shared/images/101,mp=/mnt/x" }
  },
  { name: "args -drive", method: "PUT", path: "/nodes/pve1/qemu/100/config", params: { args: "-drive file=/dev/sda" } },
  {
    name: "hookscript (runs as root on the node)",
    method: "PUT",
    path: "/nodes/pve1/qemu/100/config",
    params: { hookscript: "local:snippets/hook.sh" }
  },
  {
    name: "serial port on a host device",
    method: "PUT",
    path: "/nodes/pve1/qemu/100/config",
    params: { serial0: "/dev/ttyS0" }
  },
  { name: "PCI passthrough", method: "PUT", path: "/nodes/pve1/qemu/100/config", params: { hostpci0: "0000:01:00.0" } },
  {
    name: "another guest's volume as a disk",
    method: "PUT",
    path: "/nodes/pve1/qemu/100/config",
    params: { scsi1: "local-lvm:vm-101-disk-0" }
  },
  // 4. answers that would show what is hidden and cannot be filtered
  { name: "HA manager status", method: "GET", path: "/cluster/ha/status/manager_status" },
  { name: "metrics export", method: "GET", path: "/cluster/metrics/export" },
  { name: "cluster log", method: "GET", path: "/cluster/log" },
  { name: "volumes of a backup job", method: "GET", path: "/cluster/backup/backup-7a1c2e3f-01/included_volumes" },
  { name: "HA groups", method: "GET", path: "/cluster/ha/groups" },
  { name: "cluster join information", method: "GET", path: "/cluster/config/join" },
  { name: "node syslog", method: "GET", path: "/nodes/pve1/syslog" },
  {
    name: "single backup job on a hidden storage",
    method: "GET",
    path: "/cluster/backup/backup-7a1c2e3f-01",
    reads: ["/cluster/backup/backup-7a1c2e3f-01"]
  },
  // cluster-wide configuration under allowlists (the documented decision)
  { name: "cluster options change", method: "PUT", path: "/cluster/options", params: { keyboard: "de" } },
  {
    name: "ACL grant",
    method: "PUT",
    path: "/access/acl",
    params: { path: "/vms/101", roles: "PVEVMAdmin", users: "root@pam" }
  },
  {
    name: "cluster firewall rule",
    method: "POST",
    path: "/cluster/firewall/rules",
    params: { type: "in", action: "ACCEPT" }
  },
  { name: "node shell", method: "POST", path: "/nodes/pve1/termproxy" }
]

describe(`attacks under ${Object.entries(ALLOWLISTS)
  .map(([k, v]) => `${k}=${v}`)
  .join(" ")}`, () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess("v1", {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param", ...ALLOWLISTS },
      sim: { taskDurationMs: 20 }
    })
  })
  afterAll(() => server.close())

  it.each(refused.map((a) => [`${a.name}: ${a.method} ${a.path} → refused`, a] as const))("%s", async (_, a) => {
    server.sim.clearRequests()
    const result = await call(server, a)
    expect(result.isError, text(result)).toBe(true)
    expect(errorTag(result), text(result)).toBe("PolicyDenied")
    // only the reads that prove the refusal reached the simulator, and never the request itself
    expect(server.sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual((a.reads ?? []).map((p) => `GET ${p}`))
  })

  const get = async (path: string, params?: Record<string, unknown>) => {
    const result = await call(server, { method: "GET", path, ...(params === undefined ? {} : { params }) })
    expect(result.isError, text(result)).toBeFalsy()
    return result.structuredContent!.data
  }

  it("a pool's members are filtered: production shows 100, not 101 and 106", async () => {
    const data = (await get("/pools", { poolid: "production" })) as Array<{ members: Array<{ vmid?: number }> }>
    expect(data[0]!.members.map((m) => m.vmid)).toEqual([100])
    const one = (await get("/pools/production")) as { members: Array<{ vmid?: number }> }
    expect(one.members.map((m) => m.vmid)).toEqual([100])
  })

  it("permissions do not list /vms/101 or hidden storages and nodes", async () => {
    const data = (await get("/access/permissions")) as Record<string, unknown>
    expect(Object.keys(data)).toContain("/vms/100")
    for (const hidden of ["/vms/101", "/vms/104", "/vms/106", "/vms/9000"])
      expect(Object.keys(data)).not.toContain(hidden)
  })

  it("HA rules show only the rules of allowed guests", async () => {
    const data = (await get("/cluster/ha/rules")) as Array<{ rule: string }>
    expect(data.map((r) => r.rule)).toEqual(["web-on-pve1"])
  })

  it("replication rows show only jobs of allowed guests to allowed nodes", async () => {
    const cluster = (await get("/cluster/replication")) as Array<{ id: string }>
    expect(cluster.map((r) => r.id)).toEqual(["100-0"])
    const node = (await get("/nodes/pve1/replication")) as Array<{ id: string }>
    expect(node.map((r) => r.id)).toEqual(["100-0"])
  })

  it("migration targets show only allowed nodes", async () => {
    const data = (await get("/nodes/pve1/qemu/100/migrate")) as { allowed_nodes: ReadonlyArray<string> }
    expect(data.allowed_nodes).toEqual(["pve2"])
  })

  it("an HA rule of allowed guests can be changed: it is read first, then sent", async () => {
    server.sim.clearRequests()
    const result = await call(server, {
      method: "PUT",
      path: "/cluster/ha/rules/web-on-pve1",
      params: { type: "node-affinity", comment: "web stays home" }
    })
    expect(result.isError, text(result)).toBeFalsy()
    expect(server.sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /cluster/ha/rules/web-on-pve1",
      "PUT /cluster/ha/rules/web-on-pve1"
    ])
    expect(server.sim.model.haRules.get("web-on-pve1")?.comment).toBe("web stays home")
  })

  it("another admin's vzdump 100 101: its log is refused, its row is not listed", async () => {
    // started outside the server, as a person with the root token would
    const response = server.sim.handle({
      method: "POST",
      url: "/api2/json/nodes/pve1/vzdump",
      headers: {
        authorization: `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}`,
        "content-type": "application/x-www-form-urlencoded"
      },
      body: "vmid=100,101&storage=local"
    })
    const upid = (JSON.parse(response.body) as { data: string }).data
    expect(upid).toMatch(/:vzdump::/)
    server.sim.clearRequests()
    const log = await call(server, { method: "GET", path: `/nodes/pve1/tasks/${upid}/log`, params: { start: 10 } })
    expect(errorTag(log), text(log)).toBe("PolicyDenied")
    expect(text(log)).toMatch(/covers guest 101/)
    // the whole log was read to decide; the page asked for was not
    expect(server.sim.requests.map((r) => r.params)).toEqual([{ start: "0", limit: "1000000" }])
    const tasks = (await get("/nodes/pve1/tasks", { source: "all" })) as Array<{ upid: string }>
    expect(tasks.map((t) => t.upid)).not.toContain(upid)
  })

  it("the log of a vzdump of allowed guests only (100 105) is shown", async () => {
    const started = await call(server, {
      method: "POST",
      path: "/nodes/pve1/vzdump",
      params: { vmid: "100,105", storage: "local" }
    })
    expect(started.isError, text(started)).toBeFalsy()
    const upid = started.structuredContent!.data as string
    expect(upid).toMatch(/:vzdump::/)
    const log = await call(server, { method: "GET", path: `/nodes/pve1/tasks/${upid}/log` })
    expect(log.isError, text(log)).toBeFalsy()
    const lines = (log.structuredContent!.data as Array<{ t: string }>).map((l) => l.t)
    expect(lines.some((l) => l.includes("Starting Backup of CT 105"))).toBe(true)
  })
})

describe("under PVE_VMID_ALLOWLIST=100,102-103,105 alone", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess("v1", {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param", PVE_VMID_ALLOWLIST: ALLOWLISTS.PVE_VMID_ALLOWLIST },
      sim: { taskDurationMs: 20 }
    })
  })
  afterAll(() => server.close())

  it("a single backup job shows only its allowed guests", async () => {
    const result = await call(server, { method: "GET", path: "/cluster/backup/backup-7a1c2e3f-01" })
    expect(result.isError, text(result)).toBeFalsy()
    expect((result.structuredContent!.data as { vmid: string }).vmid).toBe("100,105")
  })

  it("the job list trims the guests of each job", async () => {
    const result = await call(server, { method: "GET", path: "/cluster/backup" })
    const jobs = result.structuredContent!.data as Array<{ id: string; vmid?: string }>
    expect(jobs.find((j) => j.id === "backup-7a1c2e3f-01")?.vmid).toBe("100,105")
  })

  it("a node with only allowed guests may be rebooted: the read proves it (tiny cluster)", async () => {
    // pve3 holds 104, 107, 108, none allowed: refused after the one read
    server.sim.clearRequests()
    const refusedReboot = await call(server, {
      method: "POST",
      path: "/nodes/pve3/status",
      params: { command: "reboot" }
    })
    expect(errorTag(refusedReboot), text(refusedReboot)).toBe("PolicyDenied")
    expect(text(refusedReboot)).toMatch(/guest 10[478] there is not in PVE_VMID_ALLOWLIST/)
    expect(server.sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /cluster/resources"])
  })
})
