/**
 * Writes as plans, through the real adapter, pipeline and client over the simulator, with both client
 * generations: a tool that writes twice is shown, confirmed and run as one plan; a plan that fails half-way says
 * what was done; a configuration changed after approval is refused by PVE's own digest check.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Simulator } from "../../sim/Simulator.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { type ClientGeneration, type ElicitationAnswer, textOf } from "../support/mcpClient.js"
import { auditLinesIn, errorOf, writesSeen } from "../support/observed.js"
import { planTestTools } from "../support/planTools.js"

const text = textOf
const writes = writesSeen
const auditLines = (server: InProcessServer) => auditLinesIn(server.auditFile)

const CONFIG_100 = "PUT /nodes/pve1/qemu/100/config"
const twoWrites = { vmid: 100, description: "nightly note", tags: "nightly;web" }

interface Person {
  readonly asked: Array<{ readonly message: string; readonly requestedSchema: unknown }>
}

const serve = async (
  generation: ClientGeneration,
  options: { readonly confirm?: string; readonly answer?: ElicitationAnswer; readonly onAsk?: (sim: Simulator) => void }
) => {
  const person: Person = { asked: [] }
  let sim: Simulator | undefined
  const server = await inProcess(generation, {
    env: { PVE_READONLY: "false", ...(options.confirm === undefined ? {} : { PVE_CONFIRM: options.confirm }) },
    extraTools: planTestTools,
    ...(options.answer === undefined
      ? {}
      : {
          onElicit: (request) => {
            person.asked.push(request)
            options.onAsk?.(sim!)
            return options.answer!
          }
        })
  })
  sim = server.sim
  return { server, person }
}

const accept: ElicitationAnswer = { action: "accept", content: { confirm: true } }

describe.each<ClientGeneration>(["v2", "v1"])("a tool that writes twice (%s client)", (generation) => {
  it("dry-run lists both writes, in order, and sends nothing", async () => {
    const { server } = await serve(generation, { answer: accept })
    try {
      const result = await server.callTool("pve_test_two_config_writes", { ...twoWrites, dryRun: true })
      expect(result.isError, text(result)).toBeFalsy()
      const requests = (result.structuredContent as { requests: Array<Record<string, unknown>> }).requests
      expect(requests.map((r) => [r.method, r.path, r.template, r.waitsForTask])).toEqual([
        ["PUT", "/nodes/pve1/qemu/100/config", "/nodes/{node}/qemu/{vmid}/config", false],
        ["PUT", "/nodes/pve1/qemu/100/config", "/nodes/{node}/qemu/{vmid}/config", false]
      ])
      expect(requests[0]!.params).toMatchObject({ description: "nightly note", digest: expect.any(String) })
      expect(requests[1]!.params).toEqual({ tags: "nightly;web" })
      expect(text(result)).toMatch(/1\. PUT \/nodes\/pve1\/qemu\/100\/config with description=nightly note/)
      expect(text(result)).toMatch(/2\. PUT \/nodes\/pve1\/qemu\/100\/config with tags=nightly;web/)
      expect(writes(server.sim)).toEqual([])
      expect(auditLines(server).map((l) => l.outcome)).toEqual(["dry-run", "dry-run"])
    } finally {
      await server.close()
    }
  })

  it.each(["auto", "both"])("PVE_CONFIRM=%s: the form shows both writes, and accepting sends both", async (confirm) => {
    const { server, person } = await serve(generation, { confirm, answer: accept })
    try {
      const args = confirm === "both" ? { ...twoWrites, confirm: true, confirmVmid: 100 } : twoWrites
      const result = await server.callTool("pve_test_two_config_writes", args)
      expect(result.isError, text(result)).toBeFalsy()
      expect(person.asked).toHaveLength(1)
      const message = person.asked[0]!.message
      expect(message).toContain("these 2 requests")
      expect(message).toMatch(/1\. PUT \/nodes\/pve1\/qemu\/100\/config with description=nightly note, digest=/)
      expect(message).toMatch(/2\. PUT \/nodes\/pve1\/qemu\/100\/config with tags=nightly;web/)
      expect(person.asked[0]!.requestedSchema).toMatchObject({
        properties: { confirm: { title: "Yes, send all 2 requests" } }
      })
      expect(writes(server.sim)).toEqual([CONFIG_100, CONFIG_100])
      const guest = server.sim.model.guest(100)
      expect(guest.config.description).toBe("nightly note")
      expect(guest.config.tags).toBe("nightly;web")
      expect(auditLines(server).map((l) => [l.event, l.outcome])).toEqual([
        ["pve_request", "awaiting-confirmation"],
        ["pve_request", "awaiting-confirmation"],
        ["pve_request", "ok"],
        ["pve_request", "ok"],
        ["pve_plan", "ok"]
      ])
    } finally {
      await server.close()
    }
  })

  it.each<[string, ElicitationAnswer]>([
    ["declines", { action: "decline" }],
    ["cancels", { action: "cancel" }]
  ])("nothing is sent when the person %s", async (_, answer) => {
    const { server, person } = await serve(generation, { answer })
    try {
      const result = await server.callTool("pve_test_two_config_writes", twoWrites)
      expect(result.isError).toBe(true)
      expect(person.asked).toHaveLength(1)
      expect(text(result)).toMatch(/nothing was sent/)
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })

  it("PVE_CONFIRM=param: confirm + echo sends both; without the echo the refusal lists both and sends nothing", async () => {
    const { server } = await serve(generation, { confirm: "param" })
    try {
      const unconfirmed = await server.callTool("pve_test_two_config_writes", twoWrites)
      expect(unconfirmed.isError).toBe(true)
      expect(text(unconfirmed)).toMatch(/1\. PUT \/nodes\/pve1\/qemu\/100\/config with description=nightly note/)
      expect(text(unconfirmed)).toMatch(/2\. PUT \/nodes\/pve1\/qemu\/100\/config with tags=nightly;web/)
      expect(text(unconfirmed)).toMatch(/confirmVmid: 100/)
      expect(writes(server.sim)).toEqual([])
      const confirmed = await server.callTool("pve_test_two_config_writes", {
        ...twoWrites,
        confirm: true,
        confirmVmid: 100
      })
      expect(confirmed.isError, text(confirmed)).toBeFalsy()
      expect(writes(server.sim)).toEqual([CONFIG_100, CONFIG_100])
    } finally {
      await server.close()
    }
  })

  it("a plan that changed between the question and the run is refused, and nothing is sent", async () => {
    const { server, person } = await serve(generation, { answer: accept })
    try {
      const result = await server.callTool("pve_test_drifting_plan", { vmid: 100 })
      expect(person.asked).toHaveLength(1)
      expect(result.isError).toBe(true)
      expect(errorOf(result)).toMatchObject({ _tag: "PolicyDenied", policy: "confirmation" })
      expect(text(result)).toMatch(/the plan changed since it was approved \(step 2 is now PUT .* tags=drift\d+\)/)
      expect(text(result)).toMatch(/nothing was sent/)
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })

  it("a destructive tool with nothing to do asks nobody and sends nothing", async () => {
    const { server, person } = await serve(generation, { answer: { action: "decline" } })
    try {
      const current = "already set"
      server.sim.model.guest(100).config.description = current
      const same = await server.callTool("pve_test_set_description", { vmid: 100, description: current })
      expect(same.isError, text(same)).toBeFalsy()
      expect(same.structuredContent).toEqual({ vmid: 100, changed: false })
      expect(person.asked).toHaveLength(0)
      const dry = await server.callTool("pve_test_set_description", { vmid: 100, description: current, dryRun: true })
      expect((dry.structuredContent as { requests: unknown[] }).requests).toEqual([])
      expect(text(dry)).toMatch(/would send nothing/)
      // something to do: the person is asked (and declines)
      const other = await server.callTool("pve_test_set_description", { vmid: 100, description: "new" })
      expect(other.isError).toBe(true)
      expect(person.asked).toHaveLength(1)
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })

  it("a write outside the plan is refused, and the reply names exactly what was sent before it", async () => {
    const { server } = await serve(generation, {})
    try {
      const result = await server.callTool("pve_test_writes_outside_plan", { vmid: 100 })
      expect(result.isError).toBe(true)
      const error = errorOf(result)!
      expect(error).toMatchObject({ _tag: "PlanFailed", failure: { _tag: "PolicyDenied", policy: "plan" } })
      expect(error.steps).toEqual([{ step: 1, method: "PUT", path: "/nodes/pve1/qemu/100/config", status: "done" }])
      expect(text(result)).toMatch(/1\. done PUT \/nodes\/pve1\/qemu\/100\/config/)
      expect(text(result)).toMatch(/is not the next step of the approved plan; it was not sent/)
      // the hint must not claim that nothing was sent
      expect(text(result)).toMatch(/Hint: Steps marked done took effect and were not undone/)
      expect(text(result)).not.toMatch(/No request was sent/)
      expect(writes(server.sim)).toEqual([CONFIG_100])
      expect(server.sim.model.guest(100).config.description).toBe("planned")
      expect(server.sim.model.guest(100).config.tags).not.toBe("unplanned")
    } finally {
      await server.close()
    }
  })

  it("a plan of three steps whose second task fails: step 1 done, step 2 failed, step 3 not run", async () => {
    const { server } = await serve(generation, { confirm: "param" })
    try {
      const stopped = [...server.sim.model.guests.values()]
        .filter((g) => g.status === "stopped" && g.config.template === undefined)
        .map((g) => g.vmid)
      const [first, third] = [stopped[0]!, stopped[1]!]
      const running = 100
      const vmids = [first, running, third]
      const result = await server.callTool("pve_test_three_starts", {
        vmids,
        confirm: true,
        confirmName: vmids.join(",")
      })
      expect(result.isError).toBe(true)
      const error = errorOf(result)!
      expect(error).toMatchObject({ _tag: "PlanFailed", failure: { _tag: "TaskFailed" } })
      const steps = error.steps as Array<Record<string, unknown>>
      expect(steps.map((s) => s.status)).toEqual(["done", "failed", "not run"])
      expect(steps[0]).toMatchObject({ upid: expect.stringMatching(/^UPID:.*:qmstart:|:vzstart:/), exitStatus: "OK" })
      expect(steps[1]).toMatchObject({
        upid: expect.stringMatching(/^UPID:/),
        exitStatus: expect.stringMatching(/already running/),
        logTail: expect.arrayContaining([expect.stringMatching(/already running/)])
      })
      expect(steps[2]).not.toHaveProperty("upid")
      expect(text(result)).toMatch(/1\. done POST .*status\/start \(task UPID:.*: OK\)/)
      expect(text(result)).toMatch(/2\. failed POST \/nodes\/pve1\/qemu\/100\/status\/start/)
      expect(text(result)).toMatch(/3\. not run POST .*status\/start/)
      expect(server.sim.model.guest(first).status).toBe("running")
      expect(server.sim.model.guest(third).status).toBe("stopped")
      expect(writes(server.sim)).toHaveLength(2)
      const plan = auditLines(server).find((l) => l.event === "pve_plan")
      expect(plan).toMatchObject({ tool: "pve_test_three_starts", outcome: "failed" })
      expect((plan!.steps as Array<Record<string, unknown>>).map((s) => [s.status, s.exitStatus])).toEqual([
        ["done", "OK"],
        ["failed", steps[1]!.exitStatus],
        ["not run", undefined]
      ])
    } finally {
      await server.close()
    }
  })

  it("a config changed after approval is refused by PVE's own digest check, and nothing else is written", async () => {
    const { server, person } = await serve(generation, {
      answer: accept,
      // someone else edits the VM while the person reads the form
      onAsk: (sim) => {
        sim.model.guest(100).config.description = "edited by another admin"
      }
    })
    try {
      const tagsBefore = server.sim.model.guest(100).config.tags
      const result = await server.callTool("pve_test_two_config_writes", twoWrites)
      expect(person.asked).toHaveLength(1)
      expect(result.isError).toBe(true)
      expect(text(result)).toMatch(/detected modified configuration - file changed by other user\? Try again\./)
      expect(errorOf(result)).toMatchObject({ _tag: "PlanFailed" })
      expect((errorOf(result)!.steps as Array<{ status: string }>).map((s) => s.status)).toEqual(["failed", "not run"])
      expect(server.sim.model.guest(100).config.description).toBe("edited by another admin")
      expect(server.sim.model.guest(100).config.tags).toBe(tagsBefore)
      // the refused step was sent once (PVE refused it), the second never
      expect(writes(server.sim)).toEqual([CONFIG_100])
    } finally {
      await server.close()
    }
  })
})
