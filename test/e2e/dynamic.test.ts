/**
 * Toolsets a client switches on (PVE_TOOLSETS=dynamic), through real MCP clients of both generations: the small
 * list at start, enabling a toolset, notifications/tools/list_changed, the new tools listed and callable; the
 * policies still decide what may exist (read-only mode adds nothing that writes, the deny list holds).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { isWriteTool } from "../../src/policy/Inventory.js"
import { allTools } from "../../src/tools/index.js"
import { pveToolsets } from "../../src/tools/toolsets.js"
import { connectHttp, type HttpServerProcess, startHttpServerProcess } from "../support/httpServer.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { GENERATIONS, textOf } from "../support/mcpClient.js"

/** The toolset the test enables (the example), and one call of its tools. */
const ENABLED: readonly [toolset: string, tool: string, args: Record<string, unknown>] = [
  "snapshots",
  "pve_list_snapshots",
  { vmid: 101 }
]

const waitFor = async (condition: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting")
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const coreReadTools = allTools.filter((t) => t.toolset === "core" && !isWriteTool(t)).map((t) => t.name)

describe.each(GENERATIONS)("dynamic toolsets (%s client)", (generation) => {
  let server: InProcessServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  const start = async (env: Record<string, string>) => {
    let changes = 0
    server = await inProcess(generation, {
      env: { PVE_TOOLSETS: "dynamic", ...env },
      extraTools: [pveToolsets],
      onToolsChanged: () => changes++
    })
    return { server, changes: () => changes }
  }

  it("starts small, enables a toolset, announces it and serves its tools", async () => {
    const [toolset, tool, args] = ENABLED
    const { server, changes } = await start({ PVE_READONLY: "false" })
    const initial = (await server.listTools()).map((t) => t.name).sort()
    expect(initial).toEqual(["pve_toolsets", ...coreReadTools].sort())

    const listing = await server.callTool("pve_toolsets", {})
    const states = listing.structuredContent?.toolsets as ReadonlyArray<{
      name: string
      enabled: boolean
      tools: string[]
    }>
    expect(states.find((s) => s.name === "core")?.enabled).toBe(true)
    expect(states.find((s) => s.name === toolset)).toMatchObject({ enabled: false })
    expect(states.find((s) => s.name === toolset)?.tools).toContain(tool)
    expect(textOf(listing)).toContain("needs")

    const enabled = await server.callTool("pve_toolsets", { enable: toolset })
    expect(enabled.isError).toBeFalsy()
    expect(enabled.structuredContent?.added).toContain(tool)
    await waitFor(() => changes() > 0)

    const after = (await server.listTools()).map((t) => t.name)
    const expected = allTools.filter((t) => t.toolset === toolset).map((t) => t.name)
    expect(after).toEqual(expect.arrayContaining([...initial, ...expected]))
    expect(after.length).toBe(initial.length + expected.length)
    const called = await server.callTool(tool, args)
    expect(called.isError).toBeFalsy()
    expect(textOf(called)).toContain("pre-upgrade")
  })

  it("in read-only mode enabling lifecycle adds nothing that writes", async () => {
    const { server, changes } = await start({})
    const before = await server.listTools()
    const enabled = await server.callTool("pve_toolsets", { enable: "lifecycle" })
    expect(enabled.isError).toBeFalsy()
    expect(enabled.structuredContent?.added).toEqual([])
    const lifecycle = (
      (enabled.structuredContent?.toolsets ?? []) as ReadonlyArray<{ name: string; withheld?: string }>
    ).find((s) => s.name === "lifecycle")
    expect(lifecycle?.withheld).toContain("PVE_READONLY=true")
    const after = await server.listTools()
    expect(after.map((t) => t.name)).toEqual(before.map((t) => t.name))
    expect(after.every((t) => t.annotations?.readOnlyHint === true)).toBe(true)
    expect(changes()).toBe(0)
    // api in read-only mode: its reads come, pve_api_call does not
    const api = await server.callTool("pve_toolsets", { enable: "api" })
    expect(api.structuredContent?.added).toEqual(["pve_api_describe", "pve_api_get"])
  })

  it("never offers a toolset PVE_TOOLSETS leaves out, nor a denied tool", async () => {
    const { server } = await start({
      PVE_READONLY: "false",
      PVE_TOOLSETS: "dynamic,core,lifecycle",
      PVE_TOOLS_DENY: "pve_guest_stop"
    })
    const api = await server.callTool("pve_toolsets", { enable: "api" })
    expect(api.isError).toBe(true)
    expect(textOf(api)).toContain("toolset api is not offered by this server (PVE_TOOLSETS)")
    const lifecycle = await server.callTool("pve_toolsets", { enable: "lifecycle" })
    expect(lifecycle.structuredContent?.added).not.toContain("pve_guest_stop")
    expect((await server.listTools()).map((t) => t.name)).not.toContain("pve_guest_stop")
  })

  it("a disabled tool cannot be called before its toolset is enabled", async () => {
    const { server } = await start({ PVE_READONLY: "false" })
    await expect(server.callTool("pve_guest_start", { vmid: 104, dryRun: true })).rejects.toThrow()
  })
})

describe("pve_toolsets", () => {
  it("matches its reviewed snapshot", async () => {
    const server = await inProcess("v2", { env: { PVE_TOOLSETS: "dynamic" }, extraTools: [pveToolsets] })
    try {
      const tool = (await server.listTools()).find((t) => t.name === "pve_toolsets")
      await expect(`${JSON.stringify(tool, null, 2)}\n`).toMatchFileSnapshot("../__toolsnaps__/pve_toolsets.json")
    } finally {
      await server.close()
    }
  })
})

describe("dynamic toolsets over HTTP", () => {
  let sim: RunningSimServer
  let server: HttpServerProcess
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    server = await startHttpServerProcess({ ...sim.serverEnv, PVE_READONLY: "false", PVE_TOOLSETS: "dynamic" }, [
      "--transport",
      "streamable-http"
    ])
  })
  afterAll(async () => {
    await server?.stop()
    await sim?.close()
  })

  it("a 2026-07-28 request is answered by a fresh server: every offered toolset is on", async () => {
    const client = await connectHttp("v2", server.url, { flavour: "streamable-http" })
    try {
      const names = (await client.listTools()).map((t) => t.name)
      expect(names).toEqual(expect.arrayContaining(["pve_toolsets", "pve_guest_start", "pve_api_call"]))
      const listing = await client.callTool("pve_toolsets", {})
      const states = (listing.structuredContent?.toolsets ?? []) as ReadonlyArray<{ enabled: boolean }>
      expect(states.every((s) => s.enabled)).toBe(true)
    } finally {
      await client.client.close()
    }
  })

  it("a 2025-11-25 session starts small and keeps what it enables", async () => {
    const client = await connectHttp("v1", server.url, { flavour: "streamable-http" })
    try {
      expect((await client.listTools()).map((t) => t.name)).not.toContain("pve_guest_start")
      await client.callTool("pve_toolsets", { enable: "lifecycle" })
      expect((await client.listTools()).map((t) => t.name)).toContain("pve_guest_start")
    } finally {
      await client.client.close()
    }
  })
})
