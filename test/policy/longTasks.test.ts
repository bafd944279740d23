/**
 * A plan of several task steps that outlasts the wait (PVE_WAIT_MAX_MS), through the real adapter, pipeline and
 * client over the simulator, with both client generations: it answers running with step 1 done, step 2 running
 * and step 3 not started, audits that; pve_task_wait finishes step 2, and the same call made again plans only what
 * is still needed, so step 1 is not repeated. The simulator's clock stands still until the test moves it.
 */
import { describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { type ClientGeneration, GENERATIONS, textOf } from "../support/mcpClient.js"
import { auditLinesIn, writesSeen } from "../support/observed.js"
import { planTestTools } from "../support/planTools.js"
import { steppedClock } from "../support/rawSimulator.js"

const FIVE_MINUTES = 5 * 60 * 1000

const writes = writesSeen
const auditLines = (server: InProcessServer) => auditLinesIn(server.auditFile)

interface Running {
  readonly status: "running"
  readonly upids: ReadonlyArray<string>
  readonly steps: ReadonlyArray<{ readonly status: string; readonly upid?: string; readonly exitStatus?: string }>
  readonly next: string
}

/** Starts are instant, stops take five minutes of a clock that only the test moves. */
const serve = async (generation: ClientGeneration) => {
  const clock = steppedClock()
  const server = await inProcess(generation, {
    env: { PVE_READONLY: "false" },
    sim: { now: clock.now, taskDurations: { qmstart: 0, qmstop: FIVE_MINUTES } },
    config: { waitMaxMs: 300 },
    extraTools: planTestTools
  })
  const qemu = [...server.sim.model.guests.values()].filter((g) => g.type === "qemu" && g.config.template === undefined)
  const stopped = qemu.filter((g) => g.status === "stopped")
  const running = qemu.filter((g) => g.status === "running")
  const args = { a: stopped[0]!.vmid, b: running[0]!.vmid, c: stopped[1]!.vmid }
  const path = (vmid: number, action: string) =>
    `POST /nodes/${server.sim.model.guest(vmid).node}/qemu/${vmid}/status/${action}`
  return { server, clock, args, path }
}

describe.each<ClientGeneration>(GENERATIONS)("a plan that outlasts the wait (%s client)", (generation) => {
  it("reaches the cap in step 2: step 1 done, step 2 running, step 3 not started; then finishes without repeating step 1", async () => {
    const { server, clock, args, path } = await serve(generation)
    try {
      const first = await server.callTool("pve_test_start_stop_start", args)
      expect(first.isError, textOf(first)).toBeFalsy()
      const running = first.structuredContent as unknown as Running
      expect(running.status).toBe("running")
      expect(running.steps.map((s) => s.status)).toEqual(["done", "running", "not run"])
      expect(running.steps[0]).toMatchObject({ exitStatus: "OK", upid: expect.stringMatching(/:qmstart:/) })
      expect(running.steps[1]!.upid).toBe(running.upids[0])
      expect(running.upids[0]).toMatch(new RegExp(`:qmstop:${args.b}:`))
      expect(running.next).toMatch(/pve_task_wait .* then call pve_test_start_stop_start again/)
      expect(textOf(first)).toMatch(/1\. done POST .*status\/start/)
      expect(textOf(first)).toMatch(/2\. running POST .*status\/stop/)
      expect(textOf(first)).toMatch(/3\. not started POST .*status\/start/)
      expect(writes(server.sim)).toEqual([path(args.a, "start"), path(args.b, "stop")])
      const plan = auditLines(server).find((l) => l.event === "pve_plan")
      expect(plan).toMatchObject({ tool: "pve_test_start_stop_start", outcome: "running" })
      expect((plan!.steps as Array<{ status: string }>).map((s) => s.status)).toEqual(["done", "running", "not run"])

      clock.advance(FIVE_MINUTES)
      const waited = await server.callTool("pve_task_wait", { upids: running.upids })
      expect(waited.structuredContent).toMatchObject({ status: "done", tasks: [{ exitStatus: "OK" }] })

      const again = await server.callTool("pve_test_start_stop_start", args)
      expect(again.isError, textOf(again)).toBeFalsy()
      expect(again.structuredContent).toEqual({ steps: 1 })
      // step 1 and step 2 were not sent again: only step 3
      expect(writes(server.sim)).toEqual([path(args.a, "start"), path(args.b, "stop"), path(args.c, "start")])
      expect(server.sim.model.guest(args.a).status).toBe("running")
      expect(server.sim.model.guest(args.b).status).toBe("stopped")
      expect(server.sim.model.guest(args.c).status).toBe("running")
    } finally {
      await server.close()
    }
  })

  it("wait: false runs the plan until its first task is started, then answers running", async () => {
    const { server, args, path } = await serve(generation)
    try {
      const result = await server.callTool("pve_test_start_stop_start", { ...args, wait: false })
      const running = result.structuredContent as unknown as Running
      expect(running.steps.map((s) => s.status)).toEqual(["running", "not run", "not run"])
      expect(running.upids[0]).toMatch(new RegExp(`:qmstart:${args.a}:`))
      expect(writes(server.sim)).toEqual([path(args.a, "start")])
    } finally {
      await server.close()
    }
  })

  it("dryRun still wins over wait: false, and the running answer is declared in the output schema", async () => {
    const { server, args } = await serve(generation)
    try {
      const dry = await server.callTool("pve_test_start_stop_start", { ...args, wait: false, dryRun: true })
      expect(dry.structuredContent).toMatchObject({ dryRun: true })
      expect(writes(server.sim)).toEqual([])
      const tool = (await server.listTools()).find((t) => t.name === "pve_test_start_stop_start")!
      expect(JSON.stringify(tool.outputSchema)).toContain('"running"')
      expect(tool.inputSchema.properties).toHaveProperty("wait")
    } finally {
      await server.close()
    }
  })
})
