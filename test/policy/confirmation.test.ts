import { describe, expect, it } from "@effect/vitest"
import type { Client as ClientV2 } from "@modelcontextprotocol/client"
import { inProcess } from "../support/inProcess.js"
import type { ClientGeneration, ElicitationAnswer, ToolResult } from "../support/mcpClient.js"

const text = (r: ToolResult) => r.content.map((c) => c.text ?? "").join("\n")
const errorTag = (r: ToolResult) => (r._meta?.["proxmox-mcp/error"] as { readonly _tag?: string } | undefined)?._tag
const writes = (sim: { readonly requests: ReadonlyArray<{ readonly method: string; readonly path: string }> }) =>
  sim.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`)

const STOP_100 = "POST /nodes/pve1/qemu/100/status/stop"

/** A server that can write, and a person who answers every confirmation with `answer`. */
const withPerson = (generation: ClientGeneration, answer: ElicitationAnswer, env: Record<string, string> = {}) => {
  const asked: Array<{ message: string; requestedSchema: unknown }> = []
  return inProcess(generation, {
    env: { PVE_READONLY: "false", ...env },
    onElicit: (request) => {
      asked.push({ message: request.message, requestedSchema: request.requestedSchema })
      return answer
    }
  }).then((server) => ({ server, asked }))
}

describe.each<ClientGeneration>(["v2", "v1"])("confirmation by the person (%s client)", (generation) => {
  it("shows exactly what will be sent and runs it once accepted", async () => {
    const { server, asked } = await withPerson(generation, { action: "accept", content: { confirm: true } })
    try {
      const result = await server.callTool("pve_guest_stop", { vmid: 100 })
      expect(result.isError, text(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({
        vmid: 100,
        action: "stop",
        exitStatus: "OK",
        statusAfter: "stopped"
      })
      expect(asked).toHaveLength(1)
      expect(asked[0]!.message).toContain(STOP_100)
      expect(asked[0]!.message).toContain("pve_guest_stop")
      expect(asked[0]!.requestedSchema).toMatchObject({
        properties: { confirm: { type: "boolean" } },
        required: ["confirm"]
      })
      expect(writes(server.sim)).toEqual([STOP_100])
      expect(server.sim.model.guest(100).status).toBe("stopped")
    } finally {
      await server.close()
    }
  })

  it.each<[string, ElicitationAnswer, RegExp]>([
    ["declined", { action: "decline" }, /declined/],
    ["cancelled", { action: "cancel" }, /cancelled/],
    ["accepted without ticking the box", { action: "accept", content: { confirm: false } }, /not ticked/],
    ["accepted with an empty form", { action: "accept", content: {} }, /not ticked/]
  ])("sends nothing when %s", async (_, answer, message) => {
    const { server, asked } = await withPerson(generation, answer)
    try {
      const result = await server.callTool("pve_guest_stop", { vmid: 100, confirm: true, confirmVmid: 100 })
      expect(result.isError).toBe(true)
      expect(text(result)).toMatch(message)
      expect(errorTag(result)).toBe("ConfirmationRequired")
      expect(asked).toHaveLength(1)
      expect(writes(server.sim)).toEqual([])
      expect(server.sim.model.guest(100).status).toBe("running")
    } finally {
      await server.close()
    }
  })

  it("asks the person even when the model set confirm itself", async () => {
    const { server, asked } = await withPerson(generation, { action: "decline" })
    try {
      const result = await server.callTool("pve_guest_shutdown", { vmid: 100, confirm: true, confirmVmid: 100 })
      expect(result.isError).toBe(true)
      expect(asked).toHaveLength(1)
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })

  it("does not ask for a write that is not destructive", async () => {
    const { server, asked } = await withPerson(generation, { action: "decline" })
    try {
      const result = await server.callTool("pve_guest_start", { vmid: 104 })
      expect(result.isError, text(result)).toBeFalsy()
      expect(asked).toHaveLength(0)
    } finally {
      await server.close()
    }
  })

  it("does not ask about a request the policies refuse", async () => {
    const { server, asked } = await withPerson(
      generation,
      { action: "accept", content: { confirm: true } },
      { PVE_VMID_ALLOWLIST: "101-199" }
    )
    try {
      const result = await server.callTool("pve_guest_stop", { vmid: 100 })
      expect(result.isError).toBe(true)
      expect(errorTag(result)).toBe("PolicyDenied")
      expect(asked).toHaveLength(0)
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })

  it("confirms a generic API write by the person, showing its parameters", async () => {
    const { server, asked } = await withPerson(generation, { action: "accept", content: { confirm: true } })
    try {
      const result = await server.callTool("pve_api_call", {
        method: "PUT",
        path: "/nodes/pve1/qemu/100/config",
        params: { description: "set by the assistant", cipassword: "hunter2-secret" }
      })
      expect(result.isError, text(result)).toBeFalsy()
      expect(asked[0]!.message).toContain("PUT /nodes/pve1/qemu/100/config with description=set by the assistant")
      expect(asked[0]!.message).toContain("cipassword=[redacted]")
      expect(asked[0]!.message).not.toContain("hunter2-secret")
      expect(writes(server.sim)).toEqual(["PUT /nodes/pve1/qemu/100/config"])
    } finally {
      await server.close()
    }
  })

  it("PVE_CONFIRM=param never opens a dialog", async () => {
    const { server, asked } = await withPerson(
      generation,
      { action: "accept", content: { confirm: true } },
      { PVE_CONFIRM: "param" }
    )
    try {
      const refused = await server.callTool("pve_guest_stop", { vmid: 100 })
      expect(refused.isError).toBe(true)
      const result = await server.callTool("pve_guest_stop", { vmid: 100, confirm: true, confirmVmid: 100 })
      expect(result.isError, text(result)).toBeFalsy()
      expect(asked).toHaveLength(0)
    } finally {
      await server.close()
    }
  })

  it("PVE_CONFIRM=both wants the parameters and then the person", async () => {
    const { server, asked } = await withPerson(
      generation,
      { action: "accept", content: { confirm: true } },
      { PVE_CONFIRM: "both" }
    )
    try {
      const refused = await server.callTool("pve_guest_stop", { vmid: 100 })
      expect(refused.isError).toBe(true)
      expect(text(refused)).toContain("confirmVmid: 100")
      expect(asked).toHaveLength(0)
      const result = await server.callTool("pve_guest_stop", { vmid: 100, confirm: true, confirmVmid: 100 })
      expect(result.isError, text(result)).toBeFalsy()
      expect(asked).toHaveLength(1)
    } finally {
      await server.close()
    }
  })
})

describe.each<ClientGeneration>(["v2", "v1"])("confirmation without elicitation (%s client)", (generation) => {
  it("falls back to confirm plus the echoed VM id, showing what would be sent", async () => {
    const server = await inProcess(generation, { env: { PVE_READONLY: "false" } })
    try {
      const unconfirmed = await server.callTool("pve_guest_stop", { vmid: 100 })
      expect(unconfirmed.isError).toBe(true)
      expect(text(unconfirmed)).toContain(STOP_100)
      expect(text(unconfirmed)).toContain("confirm: true and confirmVmid: 100")
      const wrongEcho = await server.callTool("pve_guest_stop", { vmid: 100, confirm: true, confirmVmid: 101 })
      expect(wrongEcho.isError).toBe(true)
      expect(text(wrongEcho)).toContain("confirmVmid must repeat the VM id (100)")
      const noEcho = await server.callTool("pve_guest_stop", { vmid: 100, confirm: true })
      expect(noEcho.isError).toBe(true)
      expect(writes(server.sim)).toEqual([])

      const confirmed = await server.callTool("pve_guest_stop", { vmid: 100, confirm: true, confirmVmid: 100 })
      expect(confirmed.isError, text(confirmed)).toBeFalsy()
      expect(writes(server.sim)).toEqual([STOP_100])
    } finally {
      await server.close()
    }
  })

  it("echoes the path for a generic API write", async () => {
    const server = await inProcess(generation, { env: { PVE_READONLY: "false" } })
    try {
      const path = "/nodes/pve1/qemu/100/config"
      const wrong = await server.callTool("pve_api_call", {
        method: "PUT",
        path,
        params: { description: "x" },
        confirm: true,
        confirmName: "/nodes/pve1"
      })
      expect(wrong.isError).toBe(true)
      expect(text(wrong)).toContain(`confirmName: "${path}"`)
      const right = await server.callTool("pve_api_call", {
        method: "PUT",
        path,
        params: { description: "x" },
        confirm: true,
        confirmName: path
      })
      expect(right.isError, text(right)).toBeFalsy()
      expect(writes(server.sim)).toEqual([`PUT ${path}`])
    } finally {
      await server.close()
    }
  })

  it("PVE_CONFIRM=elicit refuses destructive tools when nobody can be asked", async () => {
    const server = await inProcess(generation, { env: { PVE_READONLY: "false", PVE_CONFIRM: "elicit" } })
    try {
      const result = await server.callTool("pve_guest_stop", { vmid: 100, confirm: true, confirmVmid: 100 })
      expect(result.isError).toBe(true)
      expect(text(result)).toContain("cannot show confirmation dialogs")
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })
})

describe("confirmation state cannot be forged or replayed (v2 client, manual rounds)", () => {
  interface InputRequired {
    readonly resultType: "input_required"
    readonly inputRequests: Record<string, unknown>
    readonly requestState: string
  }
  const manual = () =>
    inProcess("v2", {
      env: { PVE_READONLY: "false" },
      onElicit: () => ({ action: "decline" })
    })
  const call = (client: ClientV2, args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    client.callTool({ name: "pve_guest_stop", arguments: args, ...extra } as never, {
      allowInputRequired: true
    }) as unknown as Promise<InputRequired | ToolResult>
  const accepted = { confirm: { action: "accept", content: { confirm: true } } }

  it("runs with the real state, refuses a replay of it", async () => {
    const server = await manual()
    try {
      const client = server.client as ClientV2
      const asked = (await call(client, { vmid: 100 })) as InputRequired
      expect(asked.resultType).toBe("input_required")
      expect(writes(server.sim)).toEqual([])
      const done = (await call(
        client,
        { vmid: 100 },
        { inputResponses: accepted, requestState: asked.requestState }
      )) as ToolResult
      expect(done.isError, text(done)).toBeFalsy()
      expect(writes(server.sim)).toEqual([STOP_100])
      const replay = (await call(
        client,
        { vmid: 100 },
        { inputResponses: accepted, requestState: asked.requestState }
      )) as ToolResult
      expect(replay.isError).toBe(true)
      expect(text(replay)).toContain("already used")
      expect(writes(server.sim)).toEqual([STOP_100])
    } finally {
      await server.close()
    }
  })

  it("asks again when answers arrive without state, refuses tampered state and state of another call", async () => {
    const server = await manual()
    try {
      const client = server.client as ClientV2
      const forged = (await call(client, { vmid: 100 }, { inputResponses: accepted })) as InputRequired
      expect(forged.resultType).toBe("input_required")

      const asked = (await call(client, { vmid: 100 })) as InputRequired
      const [head, body, mac] = asked.requestState.split(".")
      const tampered = `${head}.${body}x.${mac}`
      await expect(call(client, { vmid: 100 }, { inputResponses: accepted, requestState: tampered })).rejects.toThrow(
        /requestState/
      )

      const otherCall = (await call(
        client,
        { vmid: 101 },
        { inputResponses: accepted, requestState: asked.requestState }
      )) as ToolResult
      expect(otherCall.isError).toBe(true)
      expect(text(otherCall)).toContain("different call")
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })
})

describe.each<ClientGeneration>(["v2", "v1"])("a failing confirmation dialog (%s client)", (generation) => {
  it("sends nothing and the call ends in an error", async () => {
    const server = await inProcess(generation, {
      env: { PVE_READONLY: "false" },
      onElicit: () => {
        throw new Error("the dialog crashed")
      }
    })
    try {
      const outcome = await server.callTool("pve_guest_stop", { vmid: 100 }).then(
        (result) => ({ result }),
        (error: unknown) => ({ error })
      )
      if ("result" in outcome) expect(outcome.result.isError).toBe(true)
      else expect(String(outcome.error)).toMatch(/crashed|elicit|input/i)
      expect(writes(server.sim)).toEqual([])
      expect(server.sim.model.guest(100).status).toBe("running")
    } finally {
      await server.close()
    }
  })
})
