/**
 * The backup tools through a real MCP client, the policies and the real client over the simulator: listing across
 * storages (shared once, PBS verification), paging on the large cluster within the size budget, last backup per
 * guest, vzdump one step per node, restore to a new vmid and over an existing guest (refused when running or
 * without force), backup jobs and their schedule (a bad calendar event is refused before sending). The simulator's
 * own restore refusals are checked with PVE's texts.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Volume } from "../../sim/model.js"
import { type InProcessOptions, type InProcessServer, inProcess } from "../support/inProcess.js"
import { textOf } from "../support/mcpClient.js"
import { errorOf, writesSeen } from "../support/observed.js"
import { call, simulator } from "../support/rawSimulator.js"

const using = async (run: (server: InProcessServer) => Promise<void>, options: InProcessOptions = {}) => {
  const server = await inProcess("v2", { env: { PVE_READONLY: "false", PVE_CONFIRM: "param" }, ...options })
  try {
    await run(server)
  } finally {
    await server.close()
  }
}

/** Every backup volume of the simulated cluster, each once (a shared storage keeps its volumes under ""). */
const modelBackups = (server: InProcessServer): Volume[] =>
  [...server.sim.model.storages.values()].flatMap((storage) =>
    [...storage.volumes.values()].flatMap((volumes) => [...volumes.values()].filter((v) => v.content === "backup"))
  )

interface Row {
  volid: string
  storage: string
  vmid?: number
  time?: string
  size: number
  protected: boolean
  verification?: string
  notes?: string
}
interface ListOut {
  backups: Row[]
  total: number
  count: number
  nextCursor?: string
}

const archiveOf = (server: InProcessServer, vmid: number, storage = "nfs-shared") =>
  modelBackups(server).find((v) => v.vmid === vmid && v.volid.startsWith(`${storage}:`))!.volid

describe("pve_list_backups", () => {
  it("lists every backup of every backup storage once, newest first, with PBS verification states", () =>
    using(async (server) => {
      const result = await server.callTool("pve_list_backups", {})
      expect(result.isError, textOf(result)).toBeFalsy()
      const out = result.structuredContent as unknown as ListOut
      const expected = modelBackups(server)
      expect(out.total).toBe(expected.length)
      expect(out.backups.map((b) => b.volid).sort()).toEqual(expected.map((v) => v.volid).sort())
      const times = out.backups.map((b) => Date.parse(b.time!))
      expect([...times].sort((a, b) => b - a)).toEqual(times)
      expect(out.backups.find((b) => b.vmid === 101 && b.storage === "pbs-backup")).toMatchObject({
        verification: "ok"
      })
      expect(out.backups.find((b) => b.vmid === 102)).toMatchObject({ verification: "failed" })
      expect(out.backups.filter((b) => b.storage === "nfs-shared").every((b) => b.verification === undefined)).toBe(
        true
      )
      // the shared storages were read through one node each
      const contentReads = server.sim.requests.filter((r) => r.path.endsWith("/content")).map((r) => r.path)
      expect(contentReads.filter((p) => p.includes("/nfs-shared/"))).toHaveLength(1)
      expect(contentReads.filter((p) => p.includes("/pbs-backup/"))).toHaveLength(1)
      expect(textOf(result)).toMatch(/^\d+ of \d+ backups \(.+ (GiB|MiB) in all\), newest first:/)
      expect(textOf(result)).toMatch(
        /UTC \((\d+d \d+h|\d+d|\d+h \d+m|\d+h|\d+m) ago\) {2}VM 101 {2}[\d.]+ (GiB|MiB) {2}pbs-backup:backup\/vm\/101\/.+ verify: ok/
      )
    }))

  it("filters by vmid and pages with limit and cursor", () =>
    using(async (server) => {
      const only = await server.callTool("pve_list_backups", { vmid: 100 })
      const rows = (only.structuredContent as unknown as ListOut).backups
      expect(rows.length).toBe(modelBackups(server).filter((v) => v.vmid === 100).length)
      expect(rows.every((b) => b.vmid === 100)).toBe(true)
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await server.callTool("pve_list_backups", { limit: 2, ...(cursor ? { cursor } : {}) })
        const out = page.structuredContent as unknown as ListOut
        expect(out.count).toBeLessThanOrEqual(2)
        seen.push(...out.backups.map((b) => b.volid))
        cursor = out.nextCursor
      } while (cursor !== undefined)
      expect(seen.sort()).toEqual(
        modelBackups(server)
          .map((v) => v.volid)
          .sort()
      )
      const onPbs = await server.callTool("pve_list_backups", { storage: "pbs-backup" })
      expect((onPbs.structuredContent as unknown as ListOut).backups.every((b) => b.storage === "pbs-backup")).toBe(
        true
      )
      const bad = await server.callTool("pve_list_backups", { cursor: "not-a-cursor" })
      expect(bad.isError).toBe(true)
      expect(textOf(bad)).toContain("cursor is not one this tool gave")
    }))

  it(
    "on the large cluster: each page under 100 KB (25,000 tokens), and the pages reach every backup",
    () =>
      using(
        async (server) => {
          const expected = modelBackups(server).length
          expect(expected).toBeGreaterThan(3000)
          const seen = new Set<string>()
          let cursor: string | undefined
          let pages = 0
          let largest = 0
          do {
            const page = await server.callTool("pve_list_backups", { limit: 200, ...(cursor ? { cursor } : {}) })
            expect(page.isError, textOf(page)).toBeFalsy()
            const out = page.structuredContent as unknown as ListOut
            expect(out.total).toBe(expected)
            largest = Math.max(largest, JSON.stringify(page.content).length + JSON.stringify(out).length)
            for (const b of out.backups) seen.add(`${b.volid}`)
            cursor = out.nextCursor
            pages++
          } while (cursor !== undefined)
          expect(seen.size).toBe(expected)
          expect(pages).toBe(Math.ceil(expected / 200))
          expect(largest).toBeLessThan(100_000)
        },
        // result checks are the contract test's; here they would only slow the 30 pages down
        { sim: { size: "large", verifyResults: false } }
      ),
    240_000
  )
})

describe("pve_last_backup", () => {
  it("says per guest when, where and how big its last backup is, and which guests have none", () =>
    using(async (server) => {
      const result = await server.callTool("pve_last_backup", {})
      expect(result.isError, textOf(result)).toBeFalsy()
      const out = result.structuredContent as {
        guests: Array<{ vmid: number; backups: number; last?: Row }>
        withBackup: number
        withoutBackup: number
      }
      const backedUp = new Set(modelBackups(server).map((v) => v.vmid))
      expect(out.guests.filter((g) => g.backups > 0).map((g) => g.vmid)).toEqual([...backedUp].sort((a, b) => a! - b!))
      expect(out.withoutBackup).toBe(server.sim.model.guests.size - backedUp.size)
      expect(out.withoutBackup).toBeGreaterThan(0)
      const newestOf100 = modelBackups(server)
        .filter((v) => v.vmid === 100)
        .sort((a, b) => b.ctime - a.ctime)[0]!
      expect(out.guests.find((g) => g.vmid === 100)!.last).toMatchObject({
        volid: newestOf100.volid,
        size: newestOf100.size
      })
      expect(textOf(result)).toMatch(/VM 104 \(.+\) on pve3: NO BACKUP/)
      expect(textOf(result)).toMatch(
        /VM 100 \(web-01\) on pve1: last \d{4}-\d\d-\d\d \d\d:\d\d UTC, (\d+d \d+h|\d+d|\d+h \d+m|\d+h|\d+m) ago, [\d.]+ (GiB|MiB) on nfs-shared; 3 backups/
      )
      const missing = await server.callTool("pve_last_backup", { missingOnly: true })
      const missingOut = missing.structuredContent as { guests: Array<{ vmid: number; last?: Row }> }
      expect(missingOut.guests.length).toBe(out.withoutBackup)
      expect(missingOut.guests.every((g) => g.last === undefined && !backedUp.has(g.vmid))).toBe(true)
      const one = await server.callTool("pve_last_backup", { vmid: 105 })
      expect((one.structuredContent as { guests: unknown[] }).guests).toHaveLength(1)
    }))
})

describe("pve_backup_create", () => {
  it("backs up guests on two nodes with one vzdump per node, and the new archives are listed", () =>
    using(async (server) => {
      const result = await server.callTool("pve_backup_create", {
        vmids: [104, 100],
        storage: "nfs-shared",
        mode: "snapshot",
        compression: "zstd",
        notes: "{{guestname}} before the upgrade",
        protected: true
      })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve1/vzdump", "POST /nodes/pve3/vzdump"])
      const out = result.structuredContent as {
        steps: Array<{ node: string; vmids: number[]; exitStatus: string; logTail: string[] }>
        archives: Array<{ vmid: number; volid: string; notes?: string; protected: boolean; size: number }>
      }
      expect(out.steps.map((s) => [s.node, s.vmids, s.exitStatus])).toEqual([
        ["pve1", [100], "OK"],
        ["pve3", [104], "OK"]
      ])
      expect(out.steps[0]!.logTail.join("\n")).toContain("INFO: Backup job finished successfully")
      expect(out.archives.map((a) => a.vmid).sort()).toEqual([100, 104])
      expect(out.archives.find((a) => a.vmid === 100)).toMatchObject({
        notes: "web-01 before the upgrade",
        protected: true
      })
      const listed = await server.callTool("pve_list_backups", { vmid: 104 })
      expect((listed.structuredContent as unknown as ListOut).backups[0]).toMatchObject({
        volid: out.archives.find((a) => a.vmid === 104)!.volid,
        protected: true
      })
      expect(textOf(result)).toMatch(/vzdump on pve1 of 100: OK/)
    }))

  it("refuses a storage that holds no backups on a guest's node, before sending", () =>
    using(async (server) => {
      const result = await server.callTool("pve_backup_create", { vmids: [100], storage: "local-lvm" })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain("storage local-lvm does not hold backups on node pve1")
      expect(writesSeen(server.sim)).toEqual([])
    }))
})

describe("pve_backup_restore", () => {
  it("restores an archive to a new vmid after confirmation by the archive's id", () =>
    using(async (server) => {
      const archive = archiveOf(server, 101)
      const unconfirmed = await server.callTool("pve_backup_restore", { archive, vmid: 9401 })
      expect(unconfirmed.isError).toBe(true)
      expect(writesSeen(server.sim)).toEqual([])
      const result = await server.callTool("pve_backup_restore", {
        archive,
        vmid: 9401,
        storage: "local-lvm",
        confirm: true,
        confirmName: archive
      })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({
        vmid: 9401,
        node: "pve1",
        type: "qemu",
        overwritten: false,
        exitStatus: "OK",
        statusAfter: "stopped"
      })
      expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve1/qemu"])
      const restored = server.sim.model.guest(9401)
      expect(restored.config.name).toBe(server.sim.model.guest(101).config.name)
      expect(String(restored.config.scsi0)).toMatch(/^local-lvm:vm-9401-disk-0,/)
      expect(restored.config.lock).toBeUndefined()
      const task = server.sim.model.taskOrder.at(-1)!
      expect(task.type).toBe("qmrestore")
    }))

  it("restores a container archive to the next free vmid when none is given", () =>
    using(async (server) => {
      const archive = archiveOf(server, 105)
      const result = await server.callTool("pve_backup_restore", { archive, confirm: true, confirmName: archive })
      expect(result.isError, textOf(result)).toBeFalsy()
      const vmid = (result.structuredContent as { vmid: number }).vmid
      expect(server.sim.model.guests.has(vmid)).toBe(true)
      expect(server.sim.model.guest(vmid).type).toBe("lxc")
      const sent = server.sim.requests.find((r) => r.method === "POST")!
      expect(sent.params).toMatchObject({ ostemplate: archive, restore: "1", vmid: String(vmid) })
      expect(server.sim.model.taskOrder.at(-1)!.type).toBe("vzrestore")
    }))

  it("refuses to restore over a running guest, even with force, and sends nothing", () =>
    using(async (server) => {
      const archive = archiveOf(server, 100)
      const result = await server.callTool("pve_backup_restore", {
        archive,
        vmid: 100,
        force: true,
        confirm: true,
        confirmName: archive
      })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain("VM 100 is running: a running guest cannot be restored over; shut it down first")
      expect(writesSeen(server.sim)).toEqual([])
    }))

  it("refuses an existing stopped guest without force, and with force and confirmation replaces it", () =>
    using(async (server) => {
      const archive = archiveOf(server, 100)
      const refused = await server.callTool("pve_backup_restore", {
        archive,
        vmid: 104,
        confirm: true,
        confirmName: archive
      })
      expect(refused.isError).toBe(true)
      expect(textOf(refused)).toContain(
        "exists on pve3; restoring over it replaces its disks and configuration: pass force: true"
      )
      expect(errorOf(refused)).toMatchObject({ field: "force" })
      expect(writesSeen(server.sim)).toEqual([])
      const result = await server.callTool("pve_backup_restore", {
        archive,
        vmid: 104,
        force: true,
        confirm: true,
        confirmName: archive
      })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ vmid: 104, node: "pve3", overwritten: true, exitStatus: "OK" })
      expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve3/qemu"])
      expect(server.sim.requests.find((r) => r.method === "POST")!.params).toMatchObject({ force: "1", archive })
      expect(server.sim.model.guest(104).config.name).toBe("web-01")
      expect(textOf(result)).toContain("(over the existing guest): OK")
    }))
})

describe("the simulator's restore answers as PVE does", () => {
  const archive = (sim: ReturnType<typeof simulator>, vmid: number) =>
    [...sim.model.storages.get("nfs-shared")!.volumes.get("")!.values()].find((v) => v.vmid === vmid)!.volid

  it("refuses an existing VM without force, a running one with force, and a running container", () => {
    const sim = simulator()
    const noForce = call(sim, "POST", "/nodes/pve1/qemu", { params: { vmid: 100, archive: archive(sim, 100) } })
    expect([noForce.status, noForce.json?.message]).toEqual([
      500,
      "unable to restore VM 100 - VM 100 already exists on node 'pve1'\n"
    ])
    const running = call(sim, "POST", "/nodes/pve1/qemu", {
      params: { vmid: 100, archive: archive(sim, 100), force: 1 }
    })
    expect([running.status, running.json?.message]).toEqual([500, "unable to restore VM 100 - vm is running\n"])
    const container = call(sim, "POST", "/nodes/pve1/lxc", {
      params: { vmid: 105, ostemplate: archive(sim, 105), restore: 1, force: 1 }
    })
    expect([container.status, container.json?.message]).toEqual([500, "can't overwrite running container\n"])
    const elsewhere = call(sim, "POST", "/nodes/pve2/qemu", {
      params: { vmid: 100, archive: archive(sim, 100), force: 1 }
    })
    expect(elsewhere.json?.message).toBe("unable to restore VM 100 - VM 100 already exists on node 'pve1'\n")
    expect(sim.model.guest(100).config.lock).toBeUndefined()
  })

  it("locks the new guest while qmrestore runs, and a bad calendar event is a parameter error", () => {
    const sim = simulator({ taskDurationMs: 60_000 })
    const started = call(sim, "POST", "/nodes/pve1/qemu", { params: { vmid: 9402, archive: archive(sim, 101) } })
    expect(started.status).toBe(200)
    expect(String(started.json?.data)).toMatch(/^UPID:pve1:.*:qmrestore:9402:/)
    expect(sim.model.guest(9402).config.lock).toBe("create")
    const bad = call(sim, "POST", "/cluster/backup", { params: { schedule: "sun 25:00", vmid: "100" } })
    expect(bad.status).toBe(400)
    expect(bad.json?.errors?.schedule).toContain("invalid calendar event 'sun 25:00'")
  })
})

describe("backup jobs", () => {
  it("pve_list_backup_jobs: schedule, next run, selection, storage, retention, enabled", () =>
    using(async (server) => {
      const result = await server.callTool("pve_list_backup_jobs", {})
      expect(result.isError, textOf(result)).toBeFalsy()
      const jobs = (result.structuredContent as { jobs: Array<Record<string, unknown>> }).jobs
      expect(jobs).toHaveLength(server.sim.model.backupJobs.size)
      expect(jobs[0]).toMatchObject({
        id: "backup-7a1c2e3f-01",
        enabled: true,
        schedule: "02:00",
        vmids: [100, 101, 105],
        storage: "nfs-shared",
        retention: { "keep-daily": 7, "keep-weekly": 4 },
        nextRun: expect.stringMatching(/T02:00:00\.000Z$/)
      })
      expect(jobs[1]).toMatchObject({ enabled: false, all: true, selection: "all guests" })
      expect(jobs[1]!.nextRun).toBeUndefined()
      expect(textOf(result)).toMatch(
        /backup-7a1c2e3f-01: enabled, 02:00 \(next \d{4}-\d\d-\d\d 02:00:00 UTC, in (\d+h \d+m|\d+h|\d+m)\); guests 100, 101, 105 → nfs-shared, snapshot, zstd, keep daily 7, weekly 4/
      )
    }))

  it("pve_backup_schedule refuses a bad calendar event before sending", () =>
    using(async (server) => {
      const result = await server.callTool("pve_backup_schedule", { schedule: "sunday at 1", vmids: [100] })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain('"sunday at 1" is not a calendar event PVE accepts')
      expect(errorOf(result)).toMatchObject({ field: "schedule" })
      const late = await server.callTool("pve_backup_schedule", { schedule: "sun 24:00", vmids: [100] })
      expect(textOf(late)).toContain('hour "24" is outside 0..23')
      expect(writesSeen(server.sim)).toEqual([])
    }))

  it("pve_backup_schedule creates a job and updates one (a new selection replaces the old)", () =>
    using(async (server) => {
      const created = await server.callTool("pve_backup_schedule", {
        schedule: "sun 01:00",
        vmids: [102, 104],
        storage: "pbs-backup",
        mode: "snapshot",
        compression: "zstd",
        retention: { keepLast: 3, keepWeekly: 8 },
        notes: "{{guestname}} weekly",
        comment: "weekly of the lab"
      })
      expect(created.isError, textOf(created)).toBeFalsy()
      const job = (created.structuredContent as { created: boolean; job: Record<string, unknown> }).job
      expect(job).toMatchObject({
        schedule: "sun 01:00",
        vmids: [102, 104],
        storage: "pbs-backup",
        retention: { "keep-last": 3, "keep-weekly": 8 },
        enabled: true,
        nextRun: expect.stringMatching(/T01:00:00\.000Z$/)
      })
      expect(new Date(String(job.nextRun)).getUTCDay()).toBe(0)
      expect(writesSeen(server.sim)).toEqual(["POST /cluster/backup"])
      const post = server.sim.requests.find((r) => r.method === "POST")!
      expect(post.params).toMatchObject({ "prune-backups": "keep-last=3,keep-weekly=8", vmid: "102,104" })

      const updated = await server.callTool("pve_backup_schedule", {
        id: "backup-7a1c2e3f-01",
        pool: "lab",
        enabled: false
      })
      expect(updated.isError, textOf(updated)).toBeFalsy()
      expect(updated.structuredContent).toMatchObject({
        created: false,
        job: { id: "backup-7a1c2e3f-01", enabled: false, pool: "lab", selection: "pool lab" }
      })
      const put = server.sim.requests.find((r) => r.method === "PUT")!
      expect(put.params).toMatchObject({ pool: "lab", enabled: "0", delete: "vmid" })
      expect(server.sim.model.backupJobs.get("backup-7a1c2e3f-01")!.vmid).toBeUndefined()
    }))

  it("pve_backup_schedule: a new job needs a schedule and its guests, and one selection only", () =>
    using(async (server) => {
      const none = await server.callTool("pve_backup_schedule", { schedule: "daily" })
      expect(textOf(none)).toContain("a new job needs a schedule and its guests")
      const two = await server.callTool("pve_backup_schedule", { schedule: "daily", all: true, pool: "lab" })
      expect(textOf(two)).toContain("give only one of vmids, all or pool")
      expect(writesSeen(server.sim)).toEqual([])
    }))
})

describe("toolsets", () => {
  it("PVE_TOOLSETS=backup serves the backup tools, and core,lifecycle,snapshots the snapshot tools", async () => {
    const backup = await inProcess("v2", { env: { PVE_READONLY: "false", PVE_TOOLSETS: "backup" } })
    const snapshots = await inProcess("v2", {
      env: { PVE_READONLY: "false", PVE_TOOLSETS: "core,lifecycle,snapshots" }
    })
    try {
      expect((await backup.listTools()).map((t) => t.name).sort()).toEqual(
        [
          "pve_backup_create",
          "pve_backup_restore",
          "pve_backup_schedule",
          "pve_last_backup",
          "pve_list_backup_jobs",
          "pve_list_backups"
        ].sort()
      )
      const names = (await snapshots.listTools()).map((t) => t.name)
      for (const name of ["pve_list_snapshots", "pve_snapshot_create", "pve_snapshot_rollback", "pve_snapshot_delete"])
        expect(names).toContain(name)
      const rollback = (await snapshots.listTools()).find((t) => t.name === "pve_snapshot_rollback")!
      expect(rollback.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false })
    } finally {
      await backup.close()
      await snapshots.close()
    }
  })
})

describe("a failed backup", () => {
  it("reports the task's error and log tail when a guest is locked", () =>
    using(async (server) => {
      server.sim.model.guest(104).config.lock = "migrate"
      const result = await server.callTool("pve_backup_create", { vmids: [104], storage: "nfs-shared" })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain("job errors")
      expect(JSON.stringify(result)).toContain("ERROR: Backup of VM 104 failed - VM is locked (migrate)")
      expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve3/vzdump"])
    }))
})
