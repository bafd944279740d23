import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { describeEndpoint, searchEndpoints } from "../../src/proxmox/describe.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { textOf } from "../support/mcpClient.js"

interface ApiNode {
  readonly path: string
  readonly info?: Record<
    string,
    {
      readonly parameters?: { readonly properties?: Record<string, { optional?: number }> }
      readonly permissions?: { readonly check?: unknown }
    }
  >
  readonly children?: ReadonlyArray<ApiNode>
}
/** The official schema itself, as the truth the descriptions are checked against. */
const apidata = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vendor/pve-api/apidata.json"), "utf8")
) as ReadonlyArray<ApiNode>
const official = (method: string, path: string) => {
  const visit = (nodes: ReadonlyArray<ApiNode>): ApiNode | undefined => {
    for (const node of nodes) {
      if (node.path === path) return node
      const found = visit(node.children ?? [])
      if (found) return found
    }
    return undefined
  }
  return visit(apidata)?.info?.[method]
}

// What people ask, and the endpoint that answers it: it must be first, or at worst in the top three.
const queries: ReadonlyArray<readonly [string, string]> = [
  ["firewall rules of a VM", "GET /nodes/{node}/qemu/{vmid}/firewall/rules"],
  ["add a firewall rule to a vm", "POST /nodes/{node}/qemu/{vmid}/firewall/rules"],
  ["HA resources", "GET /cluster/ha/resources"],
  ["list users", "GET /access/users"],
  ["API tokens of a user", "GET /access/users/{userid}/token"],
  ["create user token", "POST /access/users/{userid}/token/{tokenid}"],
  ["pools", "GET /pools"],
  ["create a pool", "POST /pools"],
  ["replication jobs", "GET /cluster/replication"],
  ["ceph OSDs", "GET /nodes/{node}/ceph/osd"],
  ["SDN zones", "GET /cluster/sdn/zones"],
  ["ACLs", "GET /access/acl"],
  ["set permissions acl", "PUT /access/acl"],
  ["node certificates", "GET /nodes/{node}/certificates/info"],
  ["APT updates", "GET /nodes/{node}/apt/update"],
  ["disk SMART health", "GET /nodes/{node}/disks/smart"],
  ["list disks of a node", "GET /nodes/{node}/disks/list"],
  ["backup jobs", "GET /cluster/backup"],
  ["storage content", "GET /nodes/{node}/storage/{storage}/content"],
  ["node DNS", "GET /nodes/{node}/dns"],
  ["cluster options", "GET /cluster/options"],
  ["container firewall ipset", "GET /nodes/{node}/lxc/{vmid}/firewall/ipset"],
  ["cluster firewall aliases", "GET /cluster/firewall/aliases"],
  ["node firewall options", "GET /nodes/{node}/firewall/options"],
  ["authentication realms", "GET /access/domains"],
  ["roles", "GET /access/roles"],
  ["user groups", "GET /access/groups"],
  ["network interfaces of a node", "GET /nodes/{node}/network"],
  ["vm snapshots", "GET /nodes/{node}/qemu/{vmid}/snapshot"],
  ["create vm", "POST /nodes/{node}/qemu"],
  ["system log of a node", "GET /nodes/{node}/syslog"],
  ["/cluster/ha", "GET /cluster/ha"]
]

describe("pve_api_describe search", () => {
  it.each(queries)("%s → %s in the top three", async (query, wanted) => {
    const found = (await searchEndpoints(query)).map((m) => `${m.method} ${m.path}`)
    expect(found.slice(0, 3)).toContain(wanted)
  })

  it("puts the right endpoint first for most queries", async () => {
    let first = 0
    for (const [query, wanted] of queries) {
      const [top] = await searchEndpoints(query)
      if (`${top?.method} ${top?.path}` === wanted) first++
    }
    expect(first).toBeGreaterThanOrEqual(Math.ceil(queries.length * 0.8))
  })

  it("returns at most ten matches", async () => {
    expect((await searchEndpoints("firewall")).length).toBe(10)
  })

  it("marks endpoints the generic tools refuse", async () => {
    const [ticket] = await searchEndpoints("/access/ticket")
    expect(ticket?.via).toBe("not available")
  })
})

describe("pve_api_describe of one endpoint", () => {
  it.each([
    ["POST", "/nodes/{node}/qemu/{vmid}/firewall/rules"],
    ["POST", "/pools"],
    ["PUT", "/access/acl"],
    ["POST", "/cluster/ha/resources"],
    ["GET", "/nodes/{node}/storage/{storage}/content"]
  ] as const)("%s %s: required parameters and privileges as the schema has them", async (method, path) => {
    const result = await describeEndpoint(method, path)
    if (result._tag !== "Described") throw new Error(result.message)
    const info = official(method, path)!
    // path parameters are in the template, not in the list
    const required = Object.entries(info.parameters?.properties ?? {})
      .filter(([name, s]) => !s.optional && !path.includes(`{${name}}`))
      .map(([name]) => name)
      .sort()
    expect(
      result.description.parameters
        .filter((p) => p.required)
        .map((p) => p.name)
        .sort()
    ).toEqual(required)
    const check = JSON.stringify(info.permissions?.check ?? [])
    for (const privilege of check.match(/[A-Z][a-zA-Z]+\.[A-Z][a-zA-Z.]+/g) ?? []) {
      expect(result.description.permissions).toContain(privilege)
    }
  })

  it("matches a concrete path to its template and fills the example from it", async () => {
    const result = await describeEndpoint("POST", "/nodes/pve2/qemu/104/firewall/rules")
    if (result._tag !== "Described") throw new Error(result.message)
    expect(result.description.path).toBe("/nodes/{node}/qemu/{vmid}/firewall/rules")
    expect(result.description.permissions).toBe("VM.Config.Network on /vms/{vmid}")
    expect(result.description.example).toEqual({
      tool: "pve_api_call",
      arguments: {
        method: "POST",
        path: "/nodes/pve2/qemu/104/firewall/rules",
        params: { action: "<action>", type: "in" }
      }
    })
    const type = result.description.parameters.find((p) => p.name === "type")
    expect(type?.required).toBe(true)
    expect([...(type?.enum ?? [])].sort()).toEqual(["forward", "group", "in", "out"])
  })

  it("says whether it starts a task", async () => {
    const start = await describeEndpoint("POST", "/nodes/{node}/qemu/{vmid}/status/start")
    const rules = await describeEndpoint("GET", "/nodes/{node}/qemu/{vmid}/firewall/rules")
    expect(start._tag === "Described" && start.description.startsTask).toBe(true)
    expect(rules._tag === "Described" && rules.description.startsTask).toBe(false)
  })

  it("summarises the largest endpoint and shows one parameter group in full on request", async () => {
    const summary = await describeEndpoint("POST", "/nodes/{node}/qemu")
    if (summary._tag !== "Described") throw new Error(summary.message)
    expect(JSON.stringify(summary.description).length).toBeLessThan(16_000)
    expect(summary.description.summarised).toContain('param: "')
    const net = summary.description.parameters.find((p) => p.name === "net[n]")
    expect(net?.keys).toBeUndefined()
    expect(net?.keysOmitted).toBeGreaterThan(5)
    const full = await describeEndpoint("POST", "/nodes/{node}/qemu", "net")
    if (full._tag !== "Described") throw new Error(full.message)
    expect(full.description.parameters.map((p) => p.name)).toEqual(["net[n]"])
    const keys = full.description.parameters[0]!.keys!.map((k) => k.name)
    expect(keys).toEqual(expect.arrayContaining(["model", "bridge", "tag", "firewall", "macaddr"]))
  })

  it("names the methods a path does have", async () => {
    const result = await describeEndpoint("DELETE", "/cluster/resources")
    expect(result._tag === "NotFound" && result.message).toContain("has no DELETE endpoint (it has GET)")
  })
})

describe("pve_api_describe through an MCP client", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess("v2")
  })
  afterAll(async () => {
    await server?.close()
  })

  it("searches and describes in small answers", async () => {
    const search = await server.callTool("pve_api_describe", { query: "ha resources" })
    expect(search.isError).toBeFalsy()
    expect(textOf(search)).toContain("GET /cluster/ha/resources — List HA resources.")
    expect(JSON.stringify(search).length).toBeLessThan(4_000)
    const big = await server.callTool("pve_api_describe", { method: "POST", path: "/nodes/{node}/qemu" })
    expect(big.isError).toBeFalsy()
    expect(JSON.stringify(big).length).toBeLessThan(40_000)
    expect(textOf(big)).toContain("param")
  })

  it("lists the methods of a path given without one", async () => {
    const result = await server.callTool("pve_api_describe", { path: "/pools" })
    expect(
      ((result.structuredContent?.matches ?? []) as ReadonlyArray<{ method: string }>).map((m) => m.method).sort()
    ).toEqual(["DELETE", "GET", "POST", "PUT"])
  })

  it("refuses a call that gives neither query nor path", async () => {
    const result = await server.callTool("pve_api_describe", {})
    expect(result.isError).toBe(true)
    expect(textOf(result)).toContain("give query")
  })
})
