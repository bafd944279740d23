/** What one read call costs on the wire: each request it needs, once. */
import { describe, expect, it } from "@effect/vitest"
import { inProcess } from "../support/inProcess.js"

describe("requests per call", () => {
  it("pve_guest_status with node reads the guest's status once", async () => {
    const server = await inProcess("v2")
    try {
      const result = await server.callTool("pve_guest_status", { vmid: 100, node: "pve1" })
      expect(result.isError).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ vmid: 100, node: "pve1", current: { status: "running" } })
      expect(server.sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        "GET /nodes/pve1/qemu/100/status/current"
      ])
    } finally {
      await server.close()
    }
  })

  it("pve_guest_status by vmid alone finds the guest in /cluster/resources, then reads its status", async () => {
    const server = await inProcess("v2")
    try {
      await server.callTool("pve_guest_status", { vmid: 100 })
      expect(server.sim.requests.map((r) => `${r.method} ${r.path.split("?")[0]}`)).toEqual([
        "GET /cluster/resources",
        "GET /nodes/pve1/qemu/100/status/current"
      ])
    } finally {
      await server.close()
    }
  })
})
