import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ConfigInvalid, loadPveConfigFrom } from "../../src/config/PveConfig.js"
import { loadBoth } from "../../src/policy/index.js"
import { loadPolicyConfigFrom, parseVmidRange } from "../../src/policy/PolicyConfig.js"
import { TOOLSETS } from "../../src/proxmox/Tool.js"
import { knownServerTools } from "../../src/server.js"

const load = (env: Record<string, string>) => Effect.runPromise(loadPolicyConfigFrom(env, knownServerTools))
const problems = (env: Record<string, string>) =>
  Effect.runPromise(Effect.flip(loadPolicyConfigFrom(env, knownServerTools))).then((e: ConfigInvalid) => e.problems)

describe("PolicyConfig", () => {
  it("is safe by default: read-only, every toolset, no allowlist, confirmation by the person when possible", async () => {
    const policy = await load({})
    expect(policy).toEqual({
      readOnly: true,
      toolsets: knownServerTools.toolsets,
      toolsDeny: [],
      allowlists: { nodes: undefined, vmids: undefined, storages: undefined },
      confirm: "auto",
      auditLog: undefined
    })
  })

  it.each([
    ["false", false],
    ["0", false],
    ["off", false],
    ["TRUE", true],
    ["yes", true]
  ])("reads PVE_READONLY=%s", async (raw, expected) => {
    expect((await load({ PVE_READONLY: raw })).readOnly).toBe(expected)
  })

  it("reads toolsets, deny list, allowlists with ranges, confirmation mode and audit file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pmcp-audit-"))
    const policy = await load({
      PVE_TOOLSETS: "core, lifecycle,api",
      PVE_TOOLS_DENY: "pve_guest_stop",
      PVE_NODE_ALLOWLIST: "pve1,pve2",
      PVE_VMID_ALLOWLIST: "100, 105,200-299",
      PVE_STORAGE_ALLOWLIST: "local,local-lvm",
      PVE_CONFIRM: "both",
      PVE_AUDIT_LOG: join(dir, "audit.jsonl")
    })
    expect(policy.toolsets).toEqual(["core", "lifecycle", "api"])
    expect(policy.toolsDeny).toEqual(["pve_guest_stop"])
    expect(policy.allowlists).toEqual({
      nodes: ["pve1", "pve2"],
      vmids: [
        { from: 100, to: 100 },
        { from: 105, to: 105 },
        { from: 200, to: 299 }
      ],
      storages: ["local", "local-lvm"]
    })
    expect(policy.confirm).toBe("both")
    expect(policy.auditLog).toBe(join(dir, "audit.jsonl"))
  })

  it("accepts PVE_TOOLSETS=all", async () => {
    expect((await load({ PVE_TOOLSETS: "all" })).toolsets).toEqual(knownServerTools.toolsets)
  })

  it("every toolset holds tools, and an unknown name is an error that lists the real ones", async () => {
    expect(TOOLSETS.filter((set) => !knownServerTools.toolsets.includes(set))).toEqual([])
    const [problem] = await problems({ PVE_TOOLSETS: "core,snapshot" })
    expect(problem).toMatchObject({ variable: "PVE_TOOLSETS", problem: 'unknown toolset "snapshot"' })
    expect(problem!.fix).toContain(knownServerTools.toolsets.join(","))
  })

  it.each(["100", "100-199", "999999999"])("parses the VMID range %s", (text) => {
    expect(parseVmidRange(text)).toBeDefined()
  })

  it.each(["99", "200-100", "1-5", "100-", "abc", "100-200-300", "1000000000", "100.5"])(
    "refuses the VMID range %s",
    (text) => {
      expect(parseVmidRange(text)).toBeUndefined()
    }
  )

  it("says that a VMID range is backwards, and only then", async () => {
    const found = await problems({ PVE_VMID_ALLOWLIST: "200-100,50-60" })
    expect(found.map((p) => p.problem)).toEqual([
      '"200-100" is a range that ends before it starts; write the smaller id first',
      '"50-60" is neither a VM id nor a range of them'
    ])
  })

  it("reports every problem at once, each with its fix", async () => {
    const found = await problems({
      PVE_READONLY: "maybe",
      PVE_TOOLSETS: "core,lifecycel,bogus",
      PVE_TOOLS_DENY: "pve_guest_stopp",
      PVE_NODE_ALLOWLIST: "pve1,pve/2",
      PVE_VMID_ALLOWLIST: "100,50-60",
      PVE_STORAGE_ALLOWLIST: "local,../etc",
      PVE_CONFIRM: "sometimes",
      PVE_AUDIT_LOG: "/nonexistent-dir-for-pmcp/audit.jsonl"
    })
    expect(found.map((p) => p.variable)).toEqual([
      "PVE_READONLY",
      "PVE_TOOLSETS",
      "PVE_TOOLSETS",
      "PVE_TOOLS_DENY",
      "PVE_NODE_ALLOWLIST",
      "PVE_VMID_ALLOWLIST",
      "PVE_STORAGE_ALLOWLIST",
      "PVE_CONFIRM",
      "PVE_AUDIT_LOG"
    ])
    expect(found[1]!.fix).toContain("did you mean lifecycle?")
    expect(found[2]!.fix).toContain(`toolsets with tools: ${knownServerTools.toolsets.join(",")}`)
    expect(found[3]!.fix).toContain("did you mean pve_guest_stop?")
    for (const p of found) expect(p.fix.length).toBeGreaterThan(10)
  })

  it.each(["PVE_NODE_ALLOWLIST", "PVE_VMID_ALLOWLIST", "PVE_STORAGE_ALLOWLIST", "PVE_TOOLSETS"])(
    "refuses %s set to an empty list instead of guessing what it means",
    async (variable) => {
      const found = await problems({ [variable]: " , " })
      expect(found.map((p) => p.variable)).toEqual([variable])
      expect(found[0]!.problem).toContain("empty")
    }
  )

  it("refuses a directory as the audit log", async () => {
    const found = await problems({ PVE_AUDIT_LOG: tmpdir() })
    expect(found[0]!.problem).toContain("directory")
  })

  it("reports the connection and policy problems together", async () => {
    const error = await Effect.runPromise(
      Effect.flip(loadBoth(loadPveConfigFrom({}), loadPolicyConfigFrom({ PVE_CONFIRM: "x" }, knownServerTools)))
    )
    const variables = error.problems.map((p) => p.variable)
    expect(variables).toContain("PROXMOX_HOST")
    expect(variables).toContain("PVE_CONFIRM")
    expect(error.message).toContain("configuration problems")
  })
})
