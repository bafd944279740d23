// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} and ${user_config.x} are the clients' own placeholders, not template strings
/**
 * The client packages, from package.json and the tool list:
 *   - the Claude Code plugin and its marketplace (.claude-plugin/plugin.json, .claude-plugin/marketplace.json): the
 *     plugin runs `npx -y proxmox-mcp@<version>`, configured from the environment Claude Code runs in;
 *   - the Claude Desktop extension (dist/proxmox-mcp-<version>.mcpb): mcpb/manifest.json with the tool list, and the
 *     self-contained bundle (dist/*.js) as server/, zipped. The person fills in host, token id, secret (kept in the
 *     OS keychain: `sensitive`), the cluster CA and the read-only switch in Claude Desktop's form.
 *
 *   npx tsx scripts/build-clients.ts       (after npm run build; rewrites the two .claude-plugin files)
 *
 * test/unit/clients.test.ts checks that the committed files are what this script writes, and runs the bundle.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { crc32, deflateRawSync } from "node:zlib"
import { allTools } from "../src/tools/index.js"

const root = join(import.meta.dirname, "..")
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string
  version: string
  description: string
  license: string
}

const AUTHOR = { name: "proxmox-mcp contributors" }

/** The environment variables the plugin passes on; `${VAR:-}` leaves an unset optional one empty. */
const pluginEnv = {
  PROXMOX_HOST: "${PROXMOX_HOST}",
  PROXMOX_TOKEN_ID: "${PROXMOX_TOKEN_ID}",
  PROXMOX_TOKEN_SECRET: "${PROXMOX_TOKEN_SECRET}",
  PROXMOX_CA_FILE: "${PROXMOX_CA_FILE:-}",
  PVE_READONLY: "${PVE_READONLY:-true}"
}

export const pluginManifest = () => ({
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  author: AUTHOR,
  license: pkg.license,
  keywords: ["proxmox", "pve", "mcp", "virtualization"],
  mcpServers: {
    proxmox: { command: "npx", args: ["-y", `${pkg.name}@${pkg.version}`], env: pluginEnv }
  }
})

export const marketplaceManifest = () => ({
  name: pkg.name,
  owner: AUTHOR,
  metadata: { description: "The proxmox-mcp plugin: operate a Proxmox VE cluster safely", version: pkg.version },
  plugins: [
    {
      name: pkg.name,
      source: "./",
      description: pkg.description,
      version: pkg.version,
      author: AUTHOR,
      category: "infrastructure"
    }
  ]
})

/** mcpb/manifest.json with this build's version and tools (the committed file carries neither: they would go stale). */
export const extensionManifest = () => {
  const template = JSON.parse(readFileSync(join(root, "mcpb/manifest.json"), "utf8")) as Record<string, unknown>
  return {
    ...template,
    version: pkg.version,
    tools: allTools.map((tool) => ({ name: tool.name, description: tool.description.split(/(?<=\.)\s/)[0] })),
    license: pkg.license
  }
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

// A zip of deflated entries: what an .mcpb is. Small enough to write here rather than add an archiver.
const u16 = (n: number) => Buffer.from([n & 0xff, (n >>> 8) & 0xff])
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b
}
export const zip = (files: ReadonlyArray<{ readonly name: string; readonly data: Buffer }>): Buffer => {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const file of files) {
    const name = Buffer.from(file.name, "utf8")
    const packed = deflateRawSync(file.data)
    const crc = crc32(file.data)
    // version 20, flag 0x0800 (UTF-8 names), method 8 (deflate), time/date 0 (reproducible)
    const common = Buffer.concat([
      u16(20),
      u16(0x0800),
      u16(8),
      u16(0),
      u16(0x21),
      u32(crc),
      u32(packed.length),
      u32(file.data.length),
      u16(name.length),
      u16(0)
    ])
    const local = Buffer.concat([u32(0x04034b50), common, name, packed])
    centrals.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(0x031e),
        common,
        u16(0),
        u16(0),
        u16(0),
        u32(0o100644 << 16),
        u32(offset),
        name
      ])
    )
    locals.push(local)
    offset += local.length
  }
  const central = Buffer.concat(centrals)
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(files.length),
    u16(files.length),
    u32(central.length),
    u32(offset),
    u16(0)
  ])
  return Buffer.concat([...locals, central, end])
}

/** The extension's files: manifest.json, the bundle under server/, the licence. */
export const extensionFiles = (): ReadonlyArray<{ readonly name: string; readonly data: Buffer }> => {
  const dist = join(root, "dist")
  const server = readdirSync(dist)
    .filter((name) => name.endsWith(".js") || name.endsWith(".LEGAL.txt"))
    .sort()
    .map((name) => ({ name: `server/${name}`, data: readFileSync(join(dist, name)) }))
  return [
    { name: "manifest.json", data: Buffer.from(json(extensionManifest())) },
    { name: "package.json", data: Buffer.from(json({ name: pkg.name, version: pkg.version, type: "module" })) },
    { name: "LICENSE", data: readFileSync(join(root, "LICENSE")) },
    ...server
  ]
}

export const extensionFileName = () => `${pkg.name}-${pkg.version}.mcpb`

export const writeClientPackages = (out = join(root, "dist")) => {
  writeFileSync(join(root, ".claude-plugin/plugin.json"), json(pluginManifest()))
  writeFileSync(join(root, ".claude-plugin/marketplace.json"), json(marketplaceManifest()))
  mkdirSync(out, { recursive: true })
  const file = join(out, extensionFileName())
  rmSync(file, { force: true })
  writeFileSync(file, zip(extensionFiles()))
  return file
}

export const pluginFiles = { plugin: json(pluginManifest()), marketplace: json(marketplaceManifest()) }

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const file = writeClientPackages()
  process.stderr.write(`wrote .claude-plugin/plugin.json, .claude-plugin/marketplace.json and ${file}\n`)
}
