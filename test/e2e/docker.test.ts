/**
 * The Docker image, without a Docker engine: the Dockerfile's runtime stage is laid out and its CMD and HEALTHCHECK
 * run as the image would run them (scripts/docker-run.ts), from a folder with the bundle alone; compose.yaml publishes
 * on loopback only and reads .env.
 */
import type { ChildProcess } from "node:child_process"
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import { validate } from "dockerfile-utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  layOut,
  type RuntimeStage,
  readRuntimeStage,
  runHealthcheck,
  startContainerCommand
} from "../../scripts/docker-run.js"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { connectHttp } from "../support/httpServer.js"

const root = join(import.meta.dirname, "../..")
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8")
const compose = readFileSync(join(root, "compose.yaml"), "utf8")
const TOKEN = "d0cker-test-token-0123456789abcdef"

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const started = (child: ChildProcess) =>
  new Promise<string>((resolve, reject) => {
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      const match = /over streamable-http at (http:\/\/\S+?)[ ,"]/.exec(stderr)
      if (match) resolve(match[1]!)
    })
    child.once("exit", (code) => reject(new Error(`exited ${code} before listening:\n${stderr}`)))
  })

describe("Dockerfile", () => {
  const stage = readRuntimeStage(dockerfile)

  it("passes the Dockerfile linter of VS Code's Docker language server (dockerfile-utils)", () => {
    const problems = validate(dockerfile).map((p) => `line ${p.range.start.line + 1}: ${p.message}`)
    expect(problems).toEqual([])
  })

  it("is multi-stage, runs as the unprivileged node user, ships the bundle only, has a healthcheck", () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2)
    expect(stage.user).toBe("node")
    expect(stage.copies.map((c) => c.from)).toEqual(["package.json", "dist", "docker/healthcheck.mjs"])
    expect(stage.copies.filter((c) => c.from.includes("node_modules"))).toEqual([])
    expect(stage.env).toMatchObject({ MCP_TRANSPORT: "streamable-http", MCP_HOST: "0.0.0.0", MCP_PORT: "8000" })
    expect(stage.healthcheck).toEqual(["node", "healthcheck.mjs"])
    expect(stage.cmd.at(-1)).toBe("dist/proxmox-mcp.js")
  })
})

describe("compose.yaml", () => {
  it("publishes on 127.0.0.1:8000 only and reads .env", () => {
    const published = [...compose.matchAll(/^\s+- "([^"]+)"$/gm)].map((m) => m[1])
    expect(published).toEqual(["127.0.0.1:8000:8000"])
    expect(compose).toMatch(/^\s+env_file: \.env$/m)
    expect(compose).toMatch(/^\s+build: \.$/m)
  })
})

describe("the image's command, outside Docker", () => {
  let sim: RunningSimServer
  let stage: RuntimeStage
  let dir: string
  let child: ChildProcess | undefined
  beforeAll(async () => {
    sim = await startSimServer({ tls: true, simulator: { size: "tiny" } })
    stage = readRuntimeStage(dockerfile)
    dir = layOut(stage)
  })
  afterAll(async () => {
    child?.kill("SIGTERM")
    await sim?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("has nothing but what the image copies: no node_modules", () => {
    expect(readdirSync(dir).sort()).toEqual(["dist", "healthcheck.mjs", "package.json"])
    expect(existsSync(join(dir, "dist/proxmox-mcp.js"))).toBe(true)
  })

  it("refuses to listen on 0.0.0.0 without MCP_AUTH_TOKEN (compose's .env must set one)", async () => {
    const refused = startContainerCommand(stage, dir, { ...sim.serverEnv, MCP_PORT: String(await freePort()) })
    let stderr = ""
    refused.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    const code = await new Promise<number | null>((resolve) => refused.once("exit", resolve))
    expect(code).toBe(2)
    expect(stderr).toContain("MCP_HOST: 0.0.0.0 is reachable from the network and no authentication is set")
  })

  it("serves MCP over HTTP with the token; the healthcheck fails before and passes after", async () => {
    const port = String(await freePort())
    expect(await runHealthcheck(stage, dir, { MCP_PORT: port })).toBe(1)
    child = startContainerCommand(stage, dir, { ...sim.serverEnv, MCP_AUTH_TOKEN: TOKEN, MCP_PORT: port })
    const url = await started(child)
    expect(url).toBe(`http://0.0.0.0:${port}/mcp`)
    expect(await runHealthcheck(stage, dir, { MCP_PORT: port })).toBe(0)
    const client = await connectHttp("v2", `http://127.0.0.1:${port}/mcp`, { token: TOKEN })
    try {
      const tools = await client.listTools()
      expect(tools.map((t) => t.name)).toContain("pve_cluster_status")
      const status = await client.callTool("pve_version", {})
      expect(status.isError).not.toBe(true)
    } finally {
      await client.client.close()
    }
  })
})
