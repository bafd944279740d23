/**
 * Every refusal leaves one audit line with its reason: arguments outside the allowlists, forbidden endpoints, bad
 * paths and unknown parameters (a `pve_refusal` line, nothing sent), and writes the policy client refuses (its own
 * `pve_request` line with outcome `denied`, not a second one).
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { inProcess } from "../support/inProcess.js"
import type { ClientGeneration } from "../support/mcpClient.js"
import { auditLinesIn } from "../support/observed.js"

const lines = auditLinesIn

const env = {
  PVE_READONLY: "false",
  PVE_CONFIRM: "param",
  PVE_NODE_ALLOWLIST: "pve1,pve2",
  PVE_VMID_ALLOWLIST: "100,102-103,105"
}

const refusals: ReadonlyArray<[string, string, Record<string, unknown>, string, RegExp]> = [
  [
    "an argument outside the allowlists",
    "pve_guest_stop",
    { vmid: 101, confirm: true, confirmVmid: 101 },
    "PolicyDenied",
    /guest 101 \(argument vmid\) is not in PVE_VMID_ALLOWLIST/
  ],
  ["a read of a guest outside them", "pve_guest_status", { vmid: 104 }, "PolicyDenied", /guest 104/],
  [
    "a forbidden endpoint",
    "pve_api_call",
    {
      method: "POST",
      path: "/nodes/pve1/execute",
      params: { commands: "[]" },
      confirm: true,
      confirmName: "/nodes/pve1/execute"
    },
    "PolicyDenied",
    /not available through the generic API tools/
  ],
  [
    "token creation",
    "pve_api_call",
    {
      method: "POST",
      path: "/access/users/root@pam/token/x",
      confirm: true,
      confirmName: "/access/users/root@pam/token/x"
    },
    "PolicyDenied",
    /creates an API token/
  ],
  [
    "a path with #",
    "pve_api_call",
    {
      method: "POST",
      path: "/nodes/pve1/qemu/100/status/stop#",
      confirm: true,
      confirmName: "/nodes/pve1/qemu/100/status/stop#"
    },
    "InvalidInput",
    /query or fragment/
  ],
  [
    "an unknown parameter",
    "pve_api_call",
    {
      method: "POST",
      path: "/nodes/pve1/qemu/100/status/stop",
      params: { bogus: 1 },
      confirm: true,
      confirmName: "/nodes/pve1/qemu/100/status/stop"
    },
    "InvalidInput",
    /bogus/
  ]
]

describe.each<ClientGeneration>(["v2", "v1"])("refusals are audited (%s client)", (generation) => {
  it.each(refusals)("%s: one pve_refusal line with the reason, nothing sent", async (_, tool, args, tag, reason) => {
    const server = await inProcess(generation, { env })
    try {
      const result = await server.callTool(tool, args)
      expect(result.isError).toBe(true)
      expect(server.sim.requests.filter((r) => r.method !== "GET")).toEqual([])
      const audit = lines(server.auditFile)
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({ event: "pve_refusal", tool, error: { tag } })
      expect((audit[0]!.error as { message: string }).message).toMatch(reason)
    } finally {
      await server.close()
    }
  })

  it.each<[string, Record<string, unknown>, string]>([
    ["a wrong type", { vmid: "hunter2-not-a-vmid" }, "vmid"],
    ["an unknown argument", { vmid: 100, bogus: "hunter2-value" }, "bogus"],
    ["an argument to a tool that takes none", { tool: "pve_version", extra: "hunter2-value" }, "(the arguments)"]
  ])(
    "arguments the input Schema refuses (%s): one pve_refusal line naming where, never the value",
    async (_, given, at) => {
      const server = await inProcess(generation, { env })
      const { tool = "pve_guest_status", ...args } = given as { readonly tool?: string }
      try {
        const result = await server.callTool(tool, args)
        expect(result.isError).toBe(true)
        expect(server.sim.requests).toEqual([])
        // the line is written by a forked fiber: wait until it is there
        await expect.poll(() => lines(server.auditFile).length).toBe(1)
        const [line] = lines(server.auditFile)
        expect(line).toMatchObject({ event: "pve_refusal", tool, error: { tag: "InvalidInput" } })
        expect((line!.error as { message: string }).message).toContain(`at ${at}`)
        expect(readFileSync(server.auditFile, "utf8")).not.toContain("hunter2")
      } finally {
        await server.close()
      }
    }
  )

  it("a write the policy client refuses is audited once, by the client", async () => {
    const server = await inProcess(generation, { env })
    try {
      // 104 is outside the allowlist, but only the path of the request says so
      const path = "/nodes/pve1/qemu/104/status/stop"
      const result = await server.callTool("pve_api_call", { method: "POST", path, confirm: true, confirmName: path })
      expect(result.isError).toBe(true)
      const audit = lines(server.auditFile)
      expect(audit.map((l) => [l.event, l.outcome])).toEqual([["pve_request", "denied"]])
      expect(server.sim.requests.filter((r) => r.method !== "GET")).toEqual([])
    } finally {
      await server.close()
    }
  })
})
