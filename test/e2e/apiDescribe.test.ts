/**
 * The whole API through three tools, as a model uses them through a real MCP client: pve_api_describe finds the
 * endpoint and its parameters, pve_api_call changes it (a wrong parameter is refused with the schema's own wording
 * before anything is sent), pve_api_get verifies. For a firewall rule on a VM and for a pool.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { GENERATIONS, textOf } from "../support/mcpClient.js"
import { writesSeen } from "../support/observed.js"

describe.each(GENERATIONS)("describe → pve_api_call → pve_api_get (%s client)", (generation) => {
  let server: InProcessServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })
  const start = async (env: Record<string, string> = {}) => {
    server = await inProcess(generation, { env: { PVE_READONLY: "false", PVE_CONFIRM: "param", ...env } })
    return server
  }
  /** pve_api_call, confirmed by repeating the path. */
  const change = (s: InProcessServer, method: string, path: string, params: Record<string, unknown>) =>
    s.callTool("pve_api_call", { method, path, params, confirm: true, confirmName: path })

  it("adds a firewall rule to a VM", async () => {
    const s = await start()
    const found = await s.callTool("pve_api_describe", { query: "add a firewall rule to a vm" })
    const [top] = (found.structuredContent?.matches ?? []) as ReadonlyArray<{ method: string; path: string }>
    expect(top).toMatchObject({ method: "POST", path: "/nodes/{node}/qemu/{vmid}/firewall/rules" })

    const path = "/nodes/pve1/qemu/100/firewall/rules"
    const described = await s.callTool("pve_api_describe", { method: "POST", path })
    const endpoint = described.structuredContent?.endpoint as {
      parameters: ReadonlyArray<{ name: string; required: boolean; enum?: ReadonlyArray<string> }>
      permissions: string
      example: { tool: string; arguments: { path: string } }
    }
    expect(endpoint.parameters.filter((p) => p.required).map((p) => p.name)).toEqual(["action", "type"])
    expect(endpoint.permissions).toBe("VM.Config.Network on /vms/{vmid}")
    expect(endpoint.example).toMatchObject({ tool: "pve_api_call", arguments: { path } })
    const types = endpoint.parameters.find((p) => p.name === "type")?.enum ?? []

    // a wrong value: the schema's own words, nothing sent
    s.sim.clearRequests()
    const wrong = await change(s, "POST", path, { type: "inbound", action: "ACCEPT" })
    expect(wrong.isError).toBe(true)
    expect(textOf(wrong)).toContain(
      `type: value 'inbound' does not have a value in the enumeration '${types.join(", ")}'`
    )
    expect(writesSeen(s.sim)).toEqual([])

    const added = await change(s, "POST", path, {
      type: "in",
      action: "ACCEPT",
      proto: "tcp",
      dport: "8080",
      comment: "from mcp",
      enable: 1
    })
    expect(added.isError).toBeFalsy()
    expect(writesSeen(s.sim)).toEqual([`POST ${path}`])

    const rules = await s.callTool("pve_api_get", { path })
    const data = rules.structuredContent?.data as ReadonlyArray<Record<string, unknown>>
    expect(data[0]).toMatchObject({ pos: 0, type: "in", action: "ACCEPT", dport: "8080", comment: "from mcp" })
    // the seeded rule moved down: PVE puts a new rule first
    expect(data[1]).toMatchObject({ pos: 1, dport: "443" })
  })

  it("creates a pool and puts a guest in it", async () => {
    const s = await start()
    const found = await s.callTool("pve_api_describe", { query: "create a pool" })
    const matches = found.structuredContent?.matches as ReadonlyArray<{ method: string; path: string }>
    expect(matches[0]).toMatchObject({ method: "POST", path: "/pools" })
    const members = await s.callTool("pve_api_describe", { method: "PUT", path: "/pools" })
    const vms = (
      (members.structuredContent?.endpoint ?? { parameters: [] }) as {
        parameters: ReadonlyArray<{ name: string; format?: string }>
      }
    ).parameters.find((p) => p.name === "vms")
    expect(vms?.format).toBe("pve-vmid-list")

    expect((await change(s, "POST", "/pools", { poolid: "mcp-pool", comment: "made by a model" })).isError).toBeFalsy()

    s.sim.clearRequests()
    const wrong = await change(s, "PUT", "/pools", { poolid: "mcp-pool", vms: "web-1" })
    expect(wrong.isError).toBe(true)
    expect(textOf(wrong)).toContain("vms: invalid format - value does not look like a valid VM ID")
    expect(writesSeen(s.sim)).toEqual([])

    // 104 is in pool lab: allow-move takes it from there
    const moved = await change(s, "PUT", "/pools", { poolid: "mcp-pool", vms: "104", "allow-move": 1 })
    expect(moved.isError).toBeFalsy()
    const pool = await s.callTool("pve_api_get", { path: "/pools", params: { poolid: "mcp-pool" } })
    const [entry] = (pool.structuredContent?.data ?? []) as ReadonlyArray<{
      poolid: string
      comment?: string
      members: ReadonlyArray<{ vmid?: number }>
    }>
    expect(entry).toMatchObject({ poolid: "mcp-pool", comment: "made by a model" })
    expect(entry?.members.map((m) => m.vmid)).toEqual([104])
  })

  it("keeps the firewall of a guest outside the allowlist out of reach", async () => {
    const s = await start({ PVE_VMID_ALLOWLIST: "101-199" })
    s.sim.clearRequests()
    const refused = await change(s, "POST", "/nodes/pve1/qemu/100/firewall/rules", { type: "in", action: "DROP" })
    expect(refused.isError).toBe(true)
    expect(writesSeen(s.sim)).toEqual([])
    const read = await s.callTool("pve_api_get", { path: "/nodes/pve1/qemu/100/firewall/rules" })
    expect(read.isError).toBe(true)
    expect(s.sim.requests.map((r) => r.path)).not.toContain("/api2/json/nodes/pve1/qemu/100/firewall/rules")
  })
})
