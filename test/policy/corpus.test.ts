/**
 * Hostile inputs, each sent through a real MCP client to the whole server over the simulator. Every one must be
 * refused with a clear error, and not a single request may reach the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { toJsonSchema } from "../../src/mcp/JsonSchema.js"
import { effectiveInputSchema } from "../../src/policy/Confirmation.js"
import { apiPathShapeProblem } from "../../src/proxmox/api.js"
import { allTools } from "../../src/tools/index.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import type { ClientGeneration, ToolResult } from "../support/mcpClient.js"

const UPID = "UPID:pve1:0006D77B:00548A83:6A4E2CB0:qmstart:100:root@pam:"

/** Values that must never become (part of) a path segment. */
const hostileSegments: ReadonlyArray<unknown> = [
  "pve1/qemu/101/status/stop#",
  "pve/qemu/101/status/stop",
  "../cluster",
  "..",
  ".",
  "pve1%2Fqemu",
  "pve1%2fqemu%2f101",
  "%2e%2E",
  "%252e%252e",
  "pve1?x=1",
  "pve1#frag",
  "",
  "pve1\u0000",
  "pve1\r\nX-Injected: yes",
  "pve1\u2215qemu",
  "pve1\uff0fqemu",
  "pve1\u2044qemu",
  "pve1\\qemu",
  "pve1\u200b",
  "\u0440ve1",
  "a".repeat(64),
  "a".repeat(100_000),
  " pve1",
  "-pve1",
  "pve1;rm -rf",
  "http://evil.example/",
  "//evil.example",
  42,
  null,
  ["pve1"],
  { $ne: "" }
]

const hostileVmids: ReadonlyArray<unknown> = [
  "100/../101",
  "101#",
  "100",
  99,
  100.5,
  -1,
  1e10,
  true,
  null,
  [100],
  "0x64"
]

const hostileUpids: ReadonlyArray<unknown> = [
  "UPID:pve1/../../access:0006D77B:00548A83:6A4E2CB0:qmstart:100:root@pam:",
  `${UPID}/../../access`,
  `${UPID}\r\n`,
  "UPID:pve1:XYZ:00548A83:6A4E2CB0:qmstart:100:root@pam:",
  `UPID:${"a".repeat(600)}:0006D77B:00548A83:6A4E2CB0:qmstart:100:root@pam:`,
  "../../access/ticket",
  "UPID%3Apve1"
]

const hostilePaths: ReadonlyArray<string> = [
  "https://evil.example/api2/json/nodes",
  "http://pve1:8006/api2/json/version",
  "HTTPS://pve1/version",
  "javascript:alert(1)",
  "//evil.example/nodes",
  "/nodes/pve1/../../access/users",
  "/nodes/./pve1/status",
  "/nodes/pve1/status/.",
  "/nodes/%2e%2e/access/users",
  "/nodes/%2E%2e/access/users",
  "/nodes/%252e%252e/access/users",
  "/nodes/%2e./access/users",
  "/nodes/.%2E/access/users",
  "/nodes%2Faccess",
  "/nodes%2faccess%2fusers",
  "/nodes/pve1%5Cqemu",
  "/nodes%255Cpve1",
  "/nodes\\pve1\\status",
  "/nodes//pve1/status",
  "/nodes/pve1/status/",
  "/version?x=1",
  "/version%3Fx=1",
  "/version#frag",
  "/version%23frag",
  "/nodes/pve1\u0000/status",
  "/nodes/pve1%00/status",
  "/nodes/pve1\r\n/status",
  "/nodes/pve1%0D%0A/status",
  "/nodes/pve1\t/status",
  "/nodes\u2215pve1\u2215status",
  "/nodes\uff0fpve1\uff0fstatus",
  "/nodes/\u2024\u2024/access",
  "/version\u00a0",
  "/nodes/p%76e1/status",
  "/api2/json/version",
  "/api2/jsonfoo",
  "/nodes/{node}/status",
  "",
  "version",
  `/nodes/${"a".repeat(300)}/status`,
  `/${"a/".repeat(600)}x`,
  "/does/not/exist",
  "/VERSION",
  "/nodes/pve-/status",
  "/nodes/pve1/qemu/99/config",
  "/nodes/pve1/qemu/abc/config",
  "/nodes/pve1/status;x=1",
  "/access/ticket",
  "/nodes/pve1/qemu/100/vncproxy",
  "/nodes/pve1/storage/local/content/local:iso/../../etc/passwd"
]

interface Case {
  readonly label: string
  readonly tool: string
  readonly args: Record<string, unknown>
}

const show = (v: unknown) => {
  const text = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v))
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}

/** Valid values for every argument a call needs besides the one under attack. */
const baseline: Record<string, unknown> = {
  vmid: 100,
  node: "pve1",
  upid: UPID,
  snapshot: "pre-upgrade",
  path: "/version",
  method: "POST"
}

const hostileByArgument: Record<string, ReadonlyArray<unknown>> = {
  node: hostileSegments,
  snapshot: hostileSegments,
  vmid: hostileVmids,
  upid: hostileUpids
}

// Every tool argument that names a path segment, in every tool that takes one, with every hostile value.
const segmentCases: ReadonlyArray<Case> = allTools.flatMap((tool) => {
  const properties = Object.keys((toJsonSchema(effectiveInputSchema(tool)).properties ?? {}) as Record<string, unknown>)
  const required = (toJsonSchema(effectiveInputSchema(tool)).required ?? []) as ReadonlyArray<string>
  return properties
    .filter((name) => name in hostileByArgument)
    .flatMap((name) =>
      hostileByArgument[name]!.map((value): Case => {
        const args: Record<string, unknown> = Object.fromEntries(required.map((r) => [r, baseline[r]]))
        args[name] = value
        if (tool.annotations.destructiveHint)
          Object.assign(args, { confirm: true, confirmVmid: args.vmid, confirmName: args.path })
        for (const k of ["confirmVmid", "confirmName"])
          if (args[k] === undefined || !properties.includes(k)) delete args[k]
        return { label: `${tool.name} ${name}=${show(value)}`, tool: tool.name, args }
      })
    )
})

const apiCases: ReadonlyArray<Case> = hostilePaths.flatMap((path) => [
  { label: `pve_api_get ${show(path)}`, tool: "pve_api_get", args: { path } },
  // describing sends nothing: it refuses what has no path's shape (a template or a bad value it explains)
  ...(path.includes("{") || apiPathShapeProblem(path) === undefined
    ? []
    : [{ label: `pve_api_describe ${show(path)}`, tool: "pve_api_describe", args: { method: "GET", path } }]),
  {
    label: `pve_api_call POST ${show(path)}`,
    tool: "pve_api_call",
    args: { method: "POST", path, confirm: true, confirmName: path }
  }
])

const paramCases: ReadonlyArray<Case> = [
  {
    label: "api params: a path value repeated",
    tool: "pve_api_get",
    args: { path: "/nodes/pve1/status", params: { node: "pve3" } }
  },
  {
    label: "api params: not a parameter name",
    tool: "pve_api_get",
    args: { path: "/cluster/resources", params: { "../x": 1 } }
  },
  {
    label: "api params: unknown parameter",
    tool: "pve_api_get",
    args: { path: "/cluster/resources", params: { bogus: 1 } }
  },
  {
    label: "api params: bad enum",
    tool: "pve_api_get",
    args: { path: "/cluster/resources", params: { type: "everything" } }
  },
  {
    label: "api params: NUL in a value",
    tool: "pve_api_call",
    args: {
      method: "PUT",
      path: "/nodes/pve1/qemu/100/config",
      params: { description: "a\u0000b" },
      confirm: true,
      confirmName: "/nodes/pve1/qemu/100/config"
    }
  },
  {
    label: "api call: batch executor",
    tool: "pve_api_call",
    args: {
      method: "POST",
      path: "/nodes/pve1/execute",
      params: { commands: "[]" },
      confirm: true,
      confirmName: "/nodes/pve1/execute"
    }
  },
  {
    label: "api call: token creation",
    tool: "pve_api_call",
    args: {
      method: "POST",
      path: "/access/users/root@pam/token/evil",
      confirm: true,
      confirmName: "/access/users/root@pam/token/evil"
    }
  },
  {
    label: "api call: GET is not a write method",
    tool: "pve_api_call",
    args: { method: "GET", path: "/version", confirm: true, confirmName: "/version" }
  },
  { label: "unknown argument", tool: "pve_guest_status", args: { vmid: 100, path: "/access" } },
  {
    label: "argument flood",
    tool: "pve_api_get",
    args: { path: "/version", params: Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`k${i}`, i])) }
  }
]

const corpus = [...segmentCases, ...apiCases, ...paramCases]

const refusal = (result: ToolResult) => {
  const text = result.content.map((c) => c.text ?? "").join("\n")
  const error = result._meta?.["proxmox-mcp/error"] as { readonly _tag?: string } | undefined
  return { text, tag: error?._tag }
}

describe.each<ClientGeneration>(["v1", "v2"])("hostile input corpus (%s client)", (generation) => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess(generation, { env: { PVE_READONLY: "false", PVE_CONFIRM: "param" } })
  })
  afterAll(() => server.close())

  it("has more than 60 hostile inputs, and attacks every path argument of every tool", () => {
    expect(corpus.length).toBeGreaterThan(60)
    for (const tool of allTools) {
      const properties = Object.keys(
        (toJsonSchema(effectiveInputSchema(tool)).properties ?? {}) as Record<string, unknown>
      )
      for (const name of properties.filter((p) => p in hostileByArgument || p === "path")) {
        expect(
          corpus.some((c) => c.tool === tool.name && name in c.args),
          `${tool.name}.${name}`
        ).toBe(true)
      }
    }
  })

  it.each(corpus.map((c) => [c.label, c] as const))("refuses %s, sending nothing", async (_, c) => {
    server.sim.clearRequests()
    const result = await server.callTool(c.tool, c.args)
    const { text, tag } = refusal(result)
    expect(result.isError, text).toBe(true)
    // Either the argument Schema refused it, or a policy / validation did; never a confirmation question.
    if (tag !== undefined) expect(["InvalidInput", "PolicyDenied"]).toContain(tag)
    else expect(text).toMatch(/Input validation error|Invalid arguments|more than the maximum/)
    expect(text.length).toBeGreaterThan(20)
    expect(server.sim.requests).toEqual([])
  })
})
