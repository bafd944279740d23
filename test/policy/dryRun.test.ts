import { describe, expect, it } from "@effect/vitest"
import { inProcess } from "../support/inProcess.js"
import type { ClientGeneration, ToolResult } from "../support/mcpClient.js"

const text = (r: ToolResult) => r.content.map((c) => c.text ?? "").join("\n")
const writes = (sim: { readonly requests: ReadonlyArray<{ readonly method: string }> }) =>
  sim.requests.filter((r) => r.method !== "GET")

describe.each<ClientGeneration>(["v2", "v1"])("dry-run (%s client)", (generation) => {
  it.each<[string, Record<string, unknown>, { method: string; path: string; params: Record<string, unknown> }]>([
    ["pve_guest_start", { vmid: 104 }, { method: "POST", path: "/nodes/pve3/qemu/104/status/start", params: {} }],
    [
      "pve_guest_shutdown",
      { vmid: 105, timeout: 60, forceStop: true },
      { method: "POST", path: "/nodes/pve1/lxc/105/status/shutdown", params: { timeout: 60, forceStop: true } }
    ],
    [
      "pve_guest_stop",
      { vmid: 100, node: "pve1" },
      { method: "POST", path: "/nodes/pve1/qemu/100/status/stop", params: {} }
    ],
    [
      "pve_api_call",
      { method: "PUT", path: "/nodes/pve1/qemu/100/config", params: { memory: 4096, cipassword: "do-not-show" } },
      { method: "PUT", path: "/nodes/pve1/qemu/100/config", params: { memory: 4096, cipassword: "[redacted]" } }
    ],
    [
      "pve_api_call",
      { method: "DELETE", path: "/nodes/pve1/storage/local/content/local:iso/debian-12.iso" },
      { method: "DELETE", path: "/nodes/pve1/storage/local/content/local%3Aiso%2Fdebian-12.iso", params: {} }
    ]
  ])("%s returns the exact request and sends nothing", async (tool, args, expected) => {
    const server = await inProcess(generation, { env: { PVE_READONLY: "false" } })
    try {
      // no confirmation is needed to look
      const result = await server.callTool(tool, { ...args, dryRun: true })
      expect(result.isError, text(result)).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ dryRun: true, tool, requests: [expected] })
      expect(text(result)).toContain(`${expected.method} ${expected.path}`)
      expect(text(result)).not.toContain("do-not-show")
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })

  it("applies the policies first: a refused request is refused, not planned", async () => {
    const server = await inProcess(generation, { env: { PVE_READONLY: "false", PVE_NODE_ALLOWLIST: "pve1" } })
    try {
      const result = await server.callTool("pve_api_call", {
        method: "POST",
        path: "/nodes/pve2/qemu/102/status/stop",
        dryRun: true
      })
      expect(result.isError).toBe(true)
      expect(text(result)).toContain("PVE_NODE_ALLOWLIST")
      expect(writes(server.sim)).toEqual([])
    } finally {
      await server.close()
    }
  })

  it("says whether running it will need confirmation", async () => {
    const server = await inProcess(generation, { env: { PVE_READONLY: "false" } })
    try {
      const start = await server.callTool("pve_guest_start", { vmid: 104, dryRun: true })
      const stop = await server.callTool("pve_guest_stop", { vmid: 100, dryRun: true })
      expect(start.structuredContent?.confirmation).toBe("not required")
      expect(String(stop.structuredContent?.confirmation)).toMatch(/^required/)
    } finally {
      await server.close()
    }
  })

  it("is offered by every write tool and by no read tool", async () => {
    const server = await inProcess(generation, { env: { PVE_READONLY: "false" } })
    try {
      for (const tool of await server.listTools()) {
        const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>
        expect("dryRun" in properties, tool.name).toBe(tool.annotations?.readOnlyHint === false)
        expect("confirm" in properties, tool.name).toBe(tool.annotations?.destructiveHint === true)
      }
    } finally {
      await server.close()
    }
  })
})
