/**
 * The package as a user gets it: `npm pack` (of the dist/ the global setup built), installed from the tarball into
 * an empty folder with `--ignore-scripts --offline` (it has no dependencies to fetch), then `npx proxmox-mcp` run
 * from there: --version, --help, and a --simulator stdio handshake with tools/list; the library entry and its
 * declarations resolve too. The installed size is printed.
 */
import { execFileSync } from "node:child_process"
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { allTools } from "../../src/tools/index.js"
import { VERSION } from "../../src/version.js"
import { connectClient } from "../support/mcpClient.js"

const root = join(import.meta.dirname, "../..")
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>

const bytesUnder = (path: string): number =>
  statSync(path).isDirectory()
    ? readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0)
    : statSync(path).size

describe("the packed package", () => {
  let work: string
  let project: string
  let packed: { files: ReadonlyArray<{ path: string }>; size: number; unpackedSize: number; filename: string }
  const env = () => ({ ...process.env, npm_config_cache: join(work, "npm-cache"), npm_config_update_notifier: "false" })
  const npx = (...args: string[]) =>
    execFileSync("npx", ["--offline", "proxmox-mcp", ...args], { cwd: project, env: env(), encoding: "utf8" })

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "pmcp-pack-"))
    // --ignore-scripts: dist/ is the global setup's build; prepack would rebuild it under the other tests' feet
    const json = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
      cwd: root,
      env: env(),
      encoding: "utf8"
    })
    packed = (JSON.parse(json) as Array<typeof packed>)[0]!
    project = join(work, "project")
    mkdirSync(project)
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "try-proxmox-mcp", private: true }))
    execFileSync(
      "npm",
      ["install", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", join(work, packed.filename)],
      { cwd: project, env: env(), stdio: "pipe" }
    )
    const installed = bytesUnder(join(project, "node_modules"))
    process.stderr.write(
      `package: tarball ${(packed.size / 1024).toFixed(0)} KiB, ${packed.files.length} files; installed node_modules ${(installed / 1024 / 1024).toFixed(2)} MiB\n`
    )
  }, 120_000)

  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it("builds before it packs, and declares no runtime dependency", () => {
    expect((manifest.scripts as Record<string, string>).prepack).toBe("npm run build")
    expect(manifest.dependencies).toBeUndefined()
    // optional peers only: installing the command pulls nothing else
    const peers = Object.keys((manifest.peerDependencies as Record<string, string> | undefined) ?? {})
    const meta = (manifest.peerDependenciesMeta as Record<string, { optional?: boolean }> | undefined) ?? {}
    expect(peers.filter((name) => meta[name]?.optional !== true)).toEqual([])
  })

  it("ships the bundle and the declarations, not the source maps", () => {
    const files = packed.files.map((f) => f.path)
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/proxmox-mcp.js",
        "dist/index.js",
        "dist/simulator.js",
        "dist/types/src/index.d.ts",
        "dist/types/src/simulatorMode.d.ts",
        "README.md",
        "LICENSE"
      ])
    )
    expect(files.filter((f) => f.endsWith(".map") || f.startsWith("src/"))).toEqual([])
    const exported = Object.values(manifest.exports as Record<string, { types: string; default: string } | string>)
    const targets = exported.flatMap((e) => (typeof e === "string" ? [e] : [e.types, e.default]))
    for (const target of [...targets, Object.values(manifest.bin as Record<string, string>)[0]]) {
      expect(files).toContain(String(target).replace(/^\.\//, ""))
    }
  })

  it("installs as one package: nothing else lands in node_modules", () => {
    const names = readdirSync(join(project, "node_modules")).filter((n) => !n.startsWith("."))
    expect(names).toEqual(["proxmox-mcp"])
  })

  it("runs `npx proxmox-mcp --version` and `--help`", () => {
    expect(npx("--version").trim()).toBe(VERSION)
    expect(npx("-v").trim()).toBe(VERSION)
    const help = npx("--help")
    expect(help).toContain("PROXMOX_HOST")
    expect(help).toContain("doctor")
  })

  it("serves the simulator over stdio from the install: handshake and tools/list", async () => {
    const transport = new StdioClientTransport({
      command: "npx",
      args: ["--offline", "proxmox-mcp", "--simulator"],
      cwd: project,
      env: env() as Record<string, string>,
      stderr: "pipe"
    })
    const client = await connectClient("v2", transport, { name: "package-test" })
    try {
      const tools = await client.listTools()
      // read-only by default: the read tools of every toolset
      expect(tools.map((t) => t.name)).toEqual(allTools.filter((t) => t.annotations.readOnlyHint).map((t) => t.name))
      const version = await client.callTool("pve_version", {})
      expect(version.isError).not.toBe(true)
    } finally {
      await client.client.close()
    }
  }, 60_000)

  it("offers the library entry with its types to an importer", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        "const m = await import('proxmox-mcp'); console.log(typeof m.ProxmoxClient, m.allTools.length, typeof m.ProxmoxLive)"
      ],
      { cwd: project, encoding: "utf8" }
    )
    expect(out.trim()).toBe(`function ${allTools.length} function`)
    const declarations = readFileSync(join(project, "node_modules/proxmox-mcp/dist/types/src/index.d.ts"), "utf8")
    expect(declarations).toContain("ProxmoxClient")
  })

  it("runs its services in a program of the user's own effect (the optional peer): a second copy interoperates", () => {
    // what a library user has: their own effect next to the package (here the repository's copy, linked)
    symlinkSync(join(root, "node_modules/effect"), join(project, "node_modules/effect"), "dir")
    writeFileSync(
      join(project, "embed.mjs"),
      [
        'import * as Effect from "effect/Effect"',
        'import { Cluster, Guests } from "proxmox-mcp"',
        'import { ProxmoxSimulated, simulatorConfig } from "proxmox-mcp/simulator"',
        "const { layer } = ProxmoxSimulated(simulatorConfig())",
        "const program = Effect.gen(function* () {",
        "  const { version } = yield* Cluster.getVersion",
        "  const missing = yield* Effect.flip(Guests.resolveGuest(99999))",
        '  return version + " " + missing._tag',
        "})",
        "console.log(await Effect.runPromise(program.pipe(Effect.provide(layer))))"
      ].join("\n")
    )
    const out = execFileSync(process.execPath, ["embed.mjs"], { cwd: project, encoding: "utf8" })
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+ PveNotFound$/)
  })
})
