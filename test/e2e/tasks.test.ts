/**
 * Long-running tasks through a real MCP client of both generations, the real adapter, pipeline and client, over
 * the simulator with slow tasks: progress carries the log's lines and percentages, a wait is capped and answers
 * "running" with the UPID, pve_task_wait finishes it, `wait: false` answers at once, and a cancelled call stops
 * polling (and, when configured, the task). The simulator's clock is stepped by hand, or runs fast, so a
 * 5-minute backup takes no 5 real minutes; nothing here measures time.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Simulator } from "../../sim/Simulator.js"
import { startSimServer } from "../../sim/server.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { type ClientGeneration, connect, GENERATIONS, type ToolResult, textOf } from "../support/mcpClient.js"
import { auditLinesIn } from "../support/observed.js"
import { steppedClock } from "../support/rawSimulator.js"

const FIVE_MINUTES = 5 * 60 * 1000
const BACKUP_PATH = "/nodes/pve1/vzdump"
const backupArgs = {
  method: "POST",
  path: BACKUP_PATH,
  params: { vmid: "100", storage: "local", mode: "snapshot" },
  confirm: true,
  confirmName: BACKUP_PATH
}

interface Progress {
  readonly progress: number
  readonly total?: number
  readonly message?: string
}

const statusRequests = (sim: Simulator, upid: string) =>
  sim.requests.filter((r) => r.method === "GET" && decodeURIComponent(r.path).endsWith(`${upid}/status`)).length

const auditLines = (server: InProcessServer) => auditLinesIn(server.auditFile)

/** Waits for something the server does on its own (a request, a log line); fails after a generous bound. */
const eventually = async (check: () => boolean, what: string) => {
  const until = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const structured = <T>(result: ToolResult) => result.structuredContent as T

interface Running {
  readonly status: "running"
  readonly upids: ReadonlyArray<string>
  readonly steps: ReadonlyArray<{ readonly status: string; readonly upid?: string }>
  readonly next: string
}
interface Waited {
  readonly status: "done" | "running"
  readonly tasks: ReadonlyArray<{
    readonly status: string
    readonly exitStatus?: string
    readonly succeeded?: boolean
    readonly logTail: ReadonlyArray<string>
  }>
}

/** A clock that runs `factor` times faster than the real one: a slow task progresses while the server polls. */
const fastClock = (factor: number) => {
  const realStart = Date.now()
  const simStart = Date.UTC(2026, 0, 15, 12, 0, 0)
  return () => simStart + (Date.now() - realStart) * factor
}

describe.each<ClientGeneration>(GENERATIONS)("long-running tasks (%s client)", (generation) => {
  it("progress notifications carry the backup's log lines and its percentages", async () => {
    // a 60 s backup on a clock 60 times faster: about a second of real time
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { now: fastClock(60), taskDurations: { vzdump: 60_000 } }
    })
    try {
      const progress: Progress[] = []
      const result = await server.callTool("pve_api_call", backupArgs, { onProgress: (p) => progress.push(p) })
      expect(result.isError, textOf(result)).toBeFalsy()
      expect(structured<{ task: { exitStatus: string } }>(result).task.exitStatus).toBe("OK")
      const messages = progress.map((p) => p.message ?? "").join("\n")
      expect(messages).toMatch(/INFO: starting new backup job: vzdump 100/)
      expect(messages).toMatch(/INFO: {2}50% \(/)
      expect(messages).toMatch(/INFO: 100% \(/)
      expect(messages).toMatch(/INFO: Backup job finished successfully/)
      const withPercent = progress.filter((p) => p.total === 100)
      expect(withPercent.length).toBeGreaterThan(0)
      expect(withPercent.at(-1)!.progress).toBe(100)
      // MCP: progress grows with every notification
      for (const [i, p] of progress.entries()) if (i > 0) expect(p.progress).toBeGreaterThan(progress[i - 1]!.progress)
    } finally {
      await server.close()
    }
  })

  it("a 5-minute backup answers running with its UPID at the cap; pve_task_wait finishes it with the exit status", async () => {
    const clock = steppedClock()
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { now: clock.now, taskDurations: { vzdump: FIVE_MINUTES } },
      config: { waitMaxMs: 300 }
    })
    try {
      const first = await server.callTool("pve_api_call", backupArgs)
      expect(first.isError, textOf(first)).toBeFalsy()
      const running = structured<Running>(first)
      expect(running).toMatchObject({ status: "running", steps: [{ status: "running" }] })
      const upid = running.upids[0]!
      expect(upid).toMatch(/^UPID:pve1:.*:vzdump:100:/)
      expect(running.next).toContain("pve_task_wait")
      expect(textOf(first)).toMatch(/still running when this call stopped waiting/)
      expect(server.sim.model.task(upid)?.finished).toBe(false)

      // half-way: still running, and how far it is, from the log vzdump prints
      clock.advance(FIVE_MINUTES / 2)
      const early = await server.callTool("pve_task_wait", { upids: [upid] })
      expect(structured<Waited>(early)).toMatchObject({ status: "running", tasks: [{ status: "running" }] })
      const halfway = (structured<Waited>(early).tasks[0] as { percent?: number }).percent
      expect(halfway).toBeGreaterThan(0)
      expect(halfway).toBeLessThan(100)

      clock.advance(FIVE_MINUTES / 2)
      const waited = await server.callTool("pve_task_wait", { upids: [upid] })
      expect(waited.isError, textOf(waited)).toBeFalsy()
      expect(structured<Waited>(waited)).toMatchObject({
        status: "done",
        tasks: [{ status: "stopped", exitStatus: "OK", succeeded: true }]
      })
      expect(structured<Waited>(waited).tasks[0]!.logTail).toContain("INFO: Backup job finished successfully")
    } finally {
      await server.close()
    }
  })

  it("pve_task_wait reports a task that failed with its real exit status and log tail", async () => {
    const clock = steppedClock()
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { now: clock.now, taskDurations: { vzdump: FIVE_MINUTES } },
      config: { waitMaxMs: 300 }
    })
    try {
      server.sim.faults.failNextTask({ type: "vzdump", exitStatus: "job errors" })
      const upid = structured<Running>(await server.callTool("pve_api_call", backupArgs)).upids[0]!
      clock.advance(FIVE_MINUTES)
      const waited = await server.callTool("pve_task_wait", { upids: [upid] })
      expect(structured<Waited>(waited)).toMatchObject({
        status: "done",
        tasks: [{ status: "stopped", exitStatus: "job errors", succeeded: false }]
      })
      expect(structured<Waited>(waited).tasks[0]!.logTail.at(-1)).toBe("TASK ERROR: job errors")
      expect(textOf(waited)).toMatch(/FAILED \(job errors\)/)
    } finally {
      await server.close()
    }
  })

  it("wait: false answers with the UPID at once, without reading the task's status", async () => {
    const clock = steppedClock()
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false" },
      sim: { now: clock.now, taskDurations: { qmstart: FIVE_MINUTES } }
    })
    try {
      const vmid = [...server.sim.model.guests.values()].find(
        (g) => g.type === "qemu" && g.status === "stopped" && g.config.template === undefined
      )!.vmid
      const result = await server.callTool("pve_guest_start", { vmid, wait: false })
      expect(result.isError, textOf(result)).toBeFalsy()
      const running = structured<Running>(result)
      expect(running).toMatchObject({ status: "running", steps: [{ status: "running" }] })
      expect(running.upids[0]).toMatch(new RegExp(`:qmstart:${vmid}:`))
      expect(textOf(result)).toMatch(/not waited for \(wait: false\)/)
      expect(statusRequests(server.sim, running.upids[0]!)).toBe(0)
    } finally {
      await server.close()
    }
  })

  it.each([
    ["false", "left running"],
    ["true", "stopped"]
  ])("PVE_CANCEL_STOPS_TASK=%s: a cancelled call stops polling at once, and the task is %s", async (stops, fate) => {
    const clock = steppedClock()
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { now: clock.now, taskDurations: { vzdump: FIVE_MINUTES } },
      config: { cancelStopsTask: stops === "true" }
    })
    try {
      const abort = new AbortController()
      const call = server.callTool("pve_api_call", backupArgs, { signal: abort.signal })
      // the newest: a fresh cluster's seeded history has finished backups
      const task = () => [...server.sim.model.taskOrder].reverse().find((t) => t.type === "vzdump")
      await eventually(() => task() !== undefined && statusRequests(server.sim, task()!.upid) >= 2, "two polls")
      const upid = task()!.upid
      abort.abort()
      await expect(call).rejects.toThrow()
      await eventually(() => server.logs.some((l) => l.includes(`task ${upid} was ${fate}`)), "the cancel log line")
      const polledBeforeCancel = statusRequests(server.sim, upid)
      // time for several more polls, had they not stopped (the schedule's first delays are a fraction of this)
      await new Promise((r) => setTimeout(r, 1_000))
      expect(statusRequests(server.sim, upid)).toBe(polledBeforeCancel)

      const cancelLine = auditLines(server).find((l) => l.event === "pve_cancel")
      expect(cancelLine).toMatchObject({ tool: "pve_api_call", upid, task: fate })
      const deletes = server.sim.requests.filter((r) => r.method === "DELETE")
      if (stops === "true") {
        expect(deletes.map((r) => decodeURIComponent(r.path))).toEqual([`/nodes/pve1/tasks/${upid}`])
        expect(server.sim.model.task(upid)).toMatchObject({ finished: true, exitstatus: "interrupted by signal" })
        expect(auditLines(server).some((l) => l.method === "DELETE" && l.outcome === "ok")).toBe(true)
      } else {
        expect(deletes).toEqual([])
        expect(server.sim.model.task(upid)?.finished).toBe(false)
        clock.advance(FIVE_MINUTES)
      }
      // a later wait on the UPID still works and tells how it ended
      const waited = await server.callTool("pve_task_wait", { upids: [upid] })
      expect(structured<Waited>(waited)).toMatchObject({
        status: "done",
        tasks: [{ status: "stopped", exitStatus: stops === "true" ? "interrupted by signal" : "OK" }]
      })
    } finally {
      await server.close()
    }
  })

  it("a cancelled pve_task_wait only stops waiting, even with PVE_CANCEL_STOPS_TASK=true: it is read-only", async () => {
    const clock = steppedClock()
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { now: clock.now, taskDurations: { vzdump: FIVE_MINUTES } },
      config: { cancelStopsTask: true }
    })
    try {
      const upid = structured<Running>(await server.callTool("pve_api_call", { ...backupArgs, wait: false })).upids[0]!
      const abort = new AbortController()
      const wait = server.callTool("pve_task_wait", { upids: [upid] }, { signal: abort.signal })
      await eventually(() => statusRequests(server.sim, upid) >= 2, "two polls")
      abort.abort()
      await expect(wait).rejects.toThrow()
      await eventually(
        () => server.logs.some((l) => l.includes(`task ${upid} was left running in Proxmox (a read-only tool`)),
        "the cancel log line"
      )
      expect(server.sim.requests.filter((r) => r.method === "DELETE")).toEqual([])
      expect(server.sim.model.task(upid)?.finished).toBe(false)
      expect(auditLines(server).find((l) => l.event === "pve_cancel")).toMatchObject({
        tool: "pve_task_wait",
        upid,
        task: "left running"
      })
    } finally {
      await server.close()
    }
  })

  it("pve_task_stop stops a running task once its UPID is repeated, and leaves a stopped one alone", async () => {
    const clock = steppedClock()
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { now: clock.now, taskDurations: { vzdump: FIVE_MINUTES } }
    })
    try {
      const upid = structured<Running>(await server.callTool("pve_api_call", { ...backupArgs, wait: false })).upids[0]!
      const unconfirmed = await server.callTool("pve_task_stop", { upid })
      expect(unconfirmed.isError).toBe(true)
      expect(textOf(unconfirmed)).toContain(`confirmName: ${JSON.stringify(upid)}`)
      expect(server.sim.model.task(upid)?.finished).toBe(false)

      const stopped = await server.callTool("pve_task_stop", { upid, confirm: true, confirmName: upid })
      expect(stopped.isError, textOf(stopped)).toBeFalsy()
      expect(stopped.structuredContent).toMatchObject({
        upid,
        wasRunning: true,
        status: "stopped",
        exitStatus: "interrupted by signal"
      })

      const again = await server.callTool("pve_task_stop", { upid })
      expect(again.isError, textOf(again)).toBeFalsy()
      expect(again.structuredContent).toMatchObject({ wasRunning: false })
      expect(server.sim.requests.filter((r) => r.method === "DELETE")).toHaveLength(1)
    } finally {
      await server.close()
    }
  })
})

/** The same through the built binary over stdio, its settings from the environment, the simulator over HTTP. */
describe.each<ClientGeneration>(GENERATIONS)("long-running tasks, proxmox-mcp over stdio (%s client)", (generation) => {
  const serve = async (env: Record<string, string>) => {
    const clock = steppedClock()
    const sim = await startSimServer({
      port: 0,
      simulator: { now: clock.now, taskDurations: { vzdump: FIVE_MINUTES } }
    })
    const conn = await connect(generation, {
      env: {
        ...sim.serverEnv,
        PVE_READONLY: "false",
        PVE_CONFIRM: "param",
        LOG_LEVEL: "info",
        ...env
      }
    })
    return {
      clock,
      sim,
      conn,
      close: async () => {
        await conn.close()
        await sim.close()
      }
    }
  }

  it("PVE_WAIT_MAX_MS: a 5-minute backup answers running with its UPID; pve_task_wait gives its exit status", async () => {
    const { clock, conn, close } = await serve({ PVE_WAIT_MAX_MS: "300" })
    try {
      const first = await conn.callTool("pve_api_call", backupArgs)
      expect(first.isError, textOf(first)).toBeFalsy()
      const upid = structured<Running>(first).upids[0]!
      expect(structured<Running>(first).status).toBe("running")
      clock.advance(FIVE_MINUTES)
      const waited = await conn.callTool("pve_task_wait", { upids: [upid] })
      expect(structured<Waited>(waited)).toMatchObject({ status: "done", tasks: [{ exitStatus: "OK" }] })
    } finally {
      await close()
    }
  })

  it("PVE_CANCEL_STOPS_TASK=true: cancelling stops the polling and the task", async () => {
    const { sim, conn, close } = await serve({ PVE_CANCEL_STOPS_TASK: "true" })
    try {
      const abort = new AbortController()
      const call = conn.callTool("pve_api_call", backupArgs, { signal: abort.signal })
      const task = () => [...sim.sim.model.taskOrder].reverse().find((t) => t.type === "vzdump")
      await eventually(() => task() !== undefined && statusRequests(sim.sim, task()!.upid) >= 2, "two polls")
      const upid = task()!.upid
      abort.abort()
      await expect(call).rejects.toThrow()
      await eventually(() => sim.sim.model.task(upid)?.finished === true, "the task stopped")
      await eventually(() => conn.stderr().includes(`task ${upid} was stopped`), "the cancel log line")
      const polled = statusRequests(sim.sim, upid)
      await new Promise((r) => setTimeout(r, 1_000))
      expect(statusRequests(sim.sim, upid)).toBe(polled)
      expect(sim.sim.model.task(upid)?.exitstatus).toBe("interrupted by signal")
    } finally {
      await close()
    }
  })
})
