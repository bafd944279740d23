// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} and ${user_config.x} are the clients' own placeholders, not template strings
/**
 * The client packages scripts/build-clients.ts makes: the Claude Code plugin and marketplace (committed, and equal to
 * what the script writes), and the Claude Desktop extension (.mcpb): a valid zip whose manifest asks for the host,
 * token id, secret (sensitive), CA file and read-only switch, and whose server, started as the manifest says with the
 * values a person would enter, serves the tools over stdio.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { inflateRawSync } from "node:zlib"
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  extensionFileName,
  extensionFiles,
  marketplaceManifest,
  pluginManifest,
  zip
} from "../../scripts/build-clients.js"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { allTools } from "../../src/tools/index.js"
import { connectClient } from "../support/mcpClient.js"

const root = join(import.meta.dirname, "../..")
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string }
const committed = (file: string) => JSON.parse(readFileSync(join(root, ".claude-plugin", file), "utf8")) as unknown

/** The entries of a zip, read from its central directory (what Claude Desktop's unzip sees). */
const unzip = (archive: Buffer): Map<string, Buffer> => {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const count = archive.readUInt16LE(end + 10)
  let at = archive.readUInt32LE(end + 16)
  const entries = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    expect(archive.readUInt32LE(at)).toBe(0x02014b50)
    const method = archive.readUInt16LE(at + 10)
    const packedSize = archive.readUInt32LE(at + 20)
    const size = archive.readUInt32LE(at + 24)
    const nameLength = archive.readUInt16LE(at + 28)
    const extra = archive.readUInt16LE(at + 30)
    const comment = archive.readUInt16LE(at + 32)
    const local = archive.readUInt32LE(at + 42)
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString("utf8")
    const dataAt = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28)
    const packed = archive.subarray(dataAt, dataAt + packedSize)
    const data = method === 8 ? inflateRawSync(packed) : packed
    expect(data.length).toBe(size)
    entries.set(name, data)
    at += 46 + nameLength + extra + comment
  }
  return entries
}

describe("Claude Code plugin and marketplace", () => {
  it("are what scripts/build-clients.ts writes (run it after changing the version)", () => {
    expect(committed("plugin.json")).toEqual(pluginManifest())
    expect(committed("marketplace.json")).toEqual(marketplaceManifest())
  })

  it("install in two commands: the marketplace lists the plugin at the repository root", () => {
    const plugin = pluginManifest()
    const market = marketplaceManifest()
    expect(market.name).toMatch(/^[a-z0-9-]+$/)
    expect(market.owner.name).not.toBe("")
    expect(market.plugins).toEqual([expect.objectContaining({ name: plugin.name, source: "./" })])
    expect(plugin.mcpServers.proxmox).toEqual({
      command: "npx",
      args: ["-y", `${pkg.name}@${pkg.version}`],
      env: expect.objectContaining({ PROXMOX_HOST: "${PROXMOX_HOST}", PROXMOX_CA_FILE: "${PROXMOX_CA_FILE:-}" })
    })
    const readme = readFileSync(join(root, "README.md"), "utf8")
    expect(readme).toContain(`/plugin install ${plugin.name}@${market.name}`)
    expect(readme).toContain("/plugin marketplace add")
  })
})

describe("Claude Desktop extension (.mcpb)", () => {
  let dir: string
  let entries: Map<string, Buffer>
  let manifest: {
    name: string
    version: string
    server: { entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } }
    user_config: Record<string, { type: string; sensitive?: boolean; required?: boolean; default?: unknown }>
    tools: Array<{ name: string; description: string }>
  }
  let sim: RunningSimServer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pmcp-mcpb-"))
    const archive = zip(extensionFiles())
    writeFileSync(join(dir, extensionFileName()), archive)
    entries = unzip(readFileSync(join(dir, extensionFileName())))
    for (const [name, data] of entries) {
      mkdirSync(join(dir, "unpacked", dirname(name)), { recursive: true })
      writeFileSync(join(dir, "unpacked", name), data)
    }
    manifest = JSON.parse(entries.get("manifest.json")!.toString("utf8")) as typeof manifest
    sim = await startSimServer({ tls: true, simulator: { size: "tiny" } })
  })
  afterAll(async () => {
    await sim?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("is a zip of the manifest and the self-contained bundle, no source maps or node_modules", () => {
    expect(entries.has("manifest.json")).toBe(true)
    expect(entries.has(manifest.server.entry_point)).toBe(true)
    const names = [...entries.keys()]
    expect(names.filter((n) => n.endsWith(".map") || n.includes("node_modules"))).toEqual([])
    expect(manifest.version).toBe(pkg.version)
  })

  it("asks for host, token id, the secret as a sensitive field, the CA file and a read-only switch", () => {
    expect(manifest.user_config).toMatchObject({
      host: { type: "string", required: true },
      token_id: { type: "string", required: true },
      token_secret: { type: "string", sensitive: true, required: true },
      ca_file: { type: "file", required: false },
      read_only: { type: "boolean", default: true }
    })
    expect(manifest.server.mcp_config.env).toEqual({
      PROXMOX_HOST: "${user_config.host}",
      PROXMOX_TOKEN_ID: "${user_config.token_id}",
      PROXMOX_TOKEN_SECRET: "${user_config.token_secret}",
      PROXMOX_CA_FILE: "${user_config.ca_file}",
      PVE_READONLY: "${user_config.read_only}"
    })
    expect(manifest.tools.map((t) => t.name)).toEqual(allTools.map((t) => t.name))
  })

  const launch = async (values: Record<string, string>) => {
    const fill = (text: string) =>
      text
        .replace("${__dirname}", join(dir, "unpacked"))
        .replace(/\$\{user_config\.([a-z_]+)\}/g, (_, key: string) => values[key] ?? "")
    const { command, args, env } = manifest.server.mcp_config
    const transport = new StdioClientTransport({
      command: command === "node" ? process.execPath : command,
      args: args.map(fill),
      env: {
        PATH: process.env.PATH ?? "",
        ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v)]))
      },
      stderr: "pipe"
    })
    return connectClient("v2", transport, { name: "mcpb-test" })
  }

  it("starts as the manifest says, with what a person enters, and serves the cluster", async () => {
    const entered = {
      host: sim.url,
      token_id: sim.serverEnv.PROXMOX_TOKEN_ID!,
      token_secret: sim.serverEnv.PROXMOX_TOKEN_SECRET!,
      ca_file: sim.caFile!,
      read_only: "false"
    }
    const writable = await launch(entered)
    try {
      const names = (await writable.listTools()).map((t) => t.name)
      expect(names).toContain("pve_guest_start")
      const version = await writable.callTool("pve_version", {})
      expect(version.isError).not.toBe(true)
    } finally {
      await writable.client.close()
    }
    const readOnly = await launch({ ...entered, read_only: "true" })
    try {
      const names = (await readOnly.listTools()).map((t) => t.name)
      expect(names).not.toContain("pve_guest_start")
      expect(names).toContain("pve_version")
    } finally {
      await readOnly.client.close()
    }
  })
})
