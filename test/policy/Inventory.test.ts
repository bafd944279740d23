import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { inventory, isWriteTool } from "../../src/policy/Inventory.js"
import { loadPolicyConfigFrom } from "../../src/policy/PolicyConfig.js"
import { knownServerTools, serverPolicies } from "../../src/server.js"
import { allTools } from "../../src/tools/index.js"

const names = (tools: ReadonlyArray<{ readonly name: string }>) => tools.map((t) => t.name)
const writeNames = names(allTools.filter(isWriteTool))

describe("tool inventory", () => {
  it("has write tools to filter, and every destructive tool says what confirms it", () => {
    expect(writeNames).toEqual(
      expect.arrayContaining(["pve_guest_start", "pve_guest_stop", "pve_guest_shutdown", "pve_api_call"])
    )
    for (const tool of allTools.filter((t) => t.annotations.destructiveHint)) {
      expect(tool.annotations.readOnlyHint, tool.name).toBe(false)
      expect(tool.kind === "destructive" && tool.confirmTarget.of !== undefined, tool.name).toBe(true)
    }
  })

  it("is read-only by default: no write tool exists", () => {
    const tools = names(inventory(allTools).build())
    for (const name of writeNames) expect(tools).not.toContain(name)
    expect(tools).toContain("pve_list_guests")
    expect(tools).toContain("pve_api_get")
  })

  it("keeps the write tools when read-only is off", () => {
    expect(names(inventory(allTools).withReadOnly(false).build())).toEqual(names(allTools))
  })

  it("keeps only the named toolsets", () => {
    const tools = inventory(allTools).withReadOnly(false).withToolsets(["lifecycle"]).build()
    expect(tools.length).toBeGreaterThan(0)
    for (const tool of tools) expect(tool.toolset).toBe("lifecycle")
  })

  it("drops denied tools last, whatever order the settings came in", () => {
    const a = inventory(allTools).withDenied(["pve_guest_stop"]).withToolsets(["lifecycle"]).withReadOnly(false).build()
    const b = inventory(allTools).withReadOnly(false).withToolsets(["lifecycle"]).withDenied(["pve_guest_stop"]).build()
    expect(names(a)).toEqual(names(b))
    expect(names(a)).not.toContain("pve_guest_stop")
    expect(names(a)).toContain("pve_guest_start")
  })

  it("read-only wins over a toolset that has only write tools", () => {
    expect(names(inventory(allTools).withToolsets(["lifecycle"]).build())).toEqual([])
  })

  it("is what the server registers for a policy read from the environment", async () => {
    const policy = await Effect.runPromise(
      loadPolicyConfigFrom(
        { PVE_READONLY: "false", PVE_TOOLSETS: "core,api", PVE_TOOLS_DENY: "pve_api_call" },
        knownServerTools
      )
    )
    const tools = serverPolicies(policy, undefined).tools
    expect(names(tools)).toContain("pve_api_get")
    expect(names(tools)).not.toContain("pve_api_call")
    expect(names(tools)).not.toContain("pve_guest_start")
  })
})
