// Runs the official MCP conformance server scenarios (@modelcontextprotocol/conformance) against this server over
// streamable HTTP, on the built-in simulator. The conformance CLI needs Node 22 or later: when this Node is older, a
// Node 22 build is fetched from the npm registry into node_modules/.cache (scripts/nodeBuild.ts).
//
//   npm run conformance                          # the scenarios below
//   npm run conformance -- --scenario tools-list # one scenario (any argument goes to the CLI)
//
// Only scenarios that apply to any server are run. The others of @modelcontextprotocol/conformance 0.1.16 exercise
// the fixtures of the SDKs' "everything" server that a Proxmox server does not have: tools-call-* and
// json-schema-2020-12 (its sample tools), resources-* and prompts-* (none here), logging-set-level (logs go to stderr;
// MCP logging is deprecated as of 2026-07-28), completion-complete (no prompts or resource templates to complete),
// elicitation-sep* (a sample tool's own form). server-sse-polling passes with two SHOULD warnings (no priming event,
// no retry field: the server keeps no event store for resuming streams).
import { execFileSync, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { nodeOfMajor } from "./nodeBuild.js"

const root = join(import.meta.dirname, "..")
const packageDir = join(root, "node_modules/@modelcontextprotocol/conformance")
const INSTALL = "npm install --save-dev @modelcontextprotocol/conformance@0.1.16"

const SCENARIOS = [
  "server-initialize",
  "ping",
  "tools-list",
  "dns-rebinding-protection",
  "server-sse-multiple-streams",
  "server-sse-polling"
]

if (!existsSync(join(packageDir, "package.json"))) {
  console.error(`@modelcontextprotocol/conformance is not installed; install it with:\n  ${INSTALL}`)
  process.exit(2)
}
const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
  bin?: string | Record<string, string>
}
const binEntry = typeof manifest.bin === "string" ? manifest.bin : Object.values(manifest.bin ?? {})[0]
if (binEntry === undefined) throw new Error("@modelcontextprotocol/conformance names no executable")
const cli = join(packageDir, binEntry)

const major = Number(process.versions.node.split(".")[0])
const node = major >= 22 ? process.execPath : nodeOfMajor("22").node

console.error("building the server")
execFileSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/build.ts"], {
  cwd: root,
  stdio: "inherit"
})

/** The server on the simulator, on a free loopback port; resolves with its URL once it listens. */
const startServer = () =>
  new Promise<{ url: string; stop: () => void }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, "dist/proxmox-mcp.js"), "--simulator", "--transport", "streamable-http"],
      {
        env: { ...process.env, MCP_PORT: "0", MCP_HOST: "127.0.0.1", MCP_RATE_LIMIT: "0", PVE_READONLY: "false" },
        stdio: ["ignore", "ignore", "pipe"]
      }
    )
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      const match = /over streamable-http at (http:\/\/\S+?)[ ,"]/.exec(stderr)
      if (match) resolve({ url: match[1]!, stop: () => child.kill("SIGTERM") })
    })
    child.once("exit", (code) => reject(new Error(`the server exited (${code}):\n${stderr}`)))
  })

const run = (args: ReadonlyArray<string>) =>
  new Promise<number>((resolve) => {
    const child = spawn(node, [cli, ...args], { cwd: root, stdio: "inherit" })
    child.once("exit", (code) => resolve(code ?? 1))
  })

const server = await startServer()
let failed = false
try {
  const extra = process.argv.slice(2)
  const runs = extra.length > 0 ? [extra] : SCENARIOS.map((s) => ["--scenario", s])
  for (const args of runs) {
    console.error(`\n=== conformance server ${args.join(" ")}`)
    const code = await run(["server", "--url", server.url, ...args])
    failed ||= code !== 0
  }
} finally {
  server.stop()
}
process.exit(failed ? 1 : 0)
