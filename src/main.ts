import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { StdioServerTransport, serveStdio } from "@modelcontextprotocol/server/stdio"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import { loadMcpServerConfig, type McpServerConfigShape } from "./config/McpServerConfig.js"
import { loadPveConfig, loadPveSettings, PveConfig } from "./config/PveConfig.js"
import { stderrLogger } from "./logging.js"
import { makeMcpServer } from "./mcp/Adapter.js"
import { limitMessageSize, STDIO_MESSAGE_LIMIT_BYTES, tooLargeError } from "./mcp/stdioLimit.js"
import { trackRequests } from "./mcp/transports/pending.js"
import { loadBoth } from "./policy/index.js"
import { scrubbingLogger } from "./policy/Secrets.js"
import { ProxmoxLive } from "./proxmox/layers.js"
import { loadServerPolicy, serverPolicies } from "./server.js"
import { VERSION } from "./version.js"

const usage = `proxmox-mcp ${VERSION}: a Model Context Protocol server for Proxmox VE

Usage:
  proxmox-mcp               serve MCP over stdio, configured from the environment (see README)
  proxmox-mcp --simulator   serve MCP on a built-in simulated cluster (no Proxmox needed)
  proxmox-mcp --transport stdio | streamable-http | sse
                            how to serve (default: MCP_TRANSPORT, else stdio); HTTP listens on MCP_HOST:MCP_PORT
  proxmox-mcp --help | --version
`

const instructions = [
  "Tools for one Proxmox VE cluster. Guests (VMs and containers) are addressed by vmid alone; node is optional.",
  "Start with pve_cluster_status or pve_list_guests. Write tools wait for the Proxmox task and report its real exit status.",
  // said once here rather than in every tool's schema: tools/list stays small
  "Every write tool takes dryRun: true (nothing is sent; the answer is the exact requests, after every policy) and wait: false (answer once the first task started, with its UPID for pve_task_wait; by default a call waits up to PVE_WAIT_MAX_MS and a longer task is answered as status running with its UPID).",
  "A destructive tool needs confirm: true with its target repeated (confirmVmid or confirmName), unless the client shows a confirmation dialog.",
  "Lists come a page at a time: pass nextCursor as cursor, with the same filters and sort."
].join(" ")

/** The command line: switches, and `--transport X` / `--transport=X`. */
const parseArguments = (args: ReadonlyArray<string>) => {
  const flags = new Set<string>()
  const unknown: string[] = []
  let transport: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--transport") {
      const value = args[i + 1]
      if (value === undefined || value.startsWith("-")) unknown.push(`${arg} (needs a value)`)
      else transport = value
      i++
    } else if (arg.startsWith("--transport=")) transport = arg.slice("--transport=".length)
    else if (["--simulator", "--help", "-h", "--version"].includes(arg)) flags.add(arg)
    else unknown.push(arg)
  }
  return { flags, unknown, transport }
}
const { flags, unknown, transport: transportFlag } = parseArguments(process.argv.slice(2))

const serve = Effect.gen(function* () {
  const simulator = flags.has("--simulator")
  // The policy variables, timeouts and LOG_LEVEL apply in --simulator mode too (read-only by default there as well).
  const connection = simulator
    ? yield* Effect.promise(() => import("./simulatorMode.js")).pipe(
        Effect.flatMap((m) =>
          Effect.map(loadBoth(loadPveSettings, loadServerPolicy), ([settings, policy]) => {
            const config = m.simulatorConfig(settings)
            return { config, policy, layer: m.ProxmoxSimulated(config).layer }
          })
        )
      )
    : yield* Effect.map(loadBoth(loadPveConfig, loadServerPolicy), ([config, policy]) => ({
        config,
        policy,
        layer: ProxmoxLive(config)
      }))
  const { config, policy, layer } = connection
  const serving = yield* loadMcpServerConfig(transportFlag)
  const policies = serverPolicies(policy, config.auth)

  const runtime = yield* Layer.toRuntime(
    Layer.mergeAll(
      policies.wrapClient(layer),
      PveConfig.layer(config),
      scrubbingLogger(config.logLevel, policies.scrub)
    )
  )
  const identity = { name: "proxmox-mcp", version: VERSION, instructions }
  const where = `${simulator ? " on the simulator" : ""}${policy.readOnly ? ", read-only (PVE_READONLY=false enables write tools)" : ""}`
  if (serving.transport !== "stdio") {
    // loaded only for HTTP: a stdio start does not pay for the HTTP server, sessions and the JOSE library
    const { serveHttp } = yield* Effect.promise(() => import("./mcp/transports/http.js"))
    const running = yield* serveHttp({
      config: serving,
      makeServer: (options) => makeMcpServer(policies.tools, runtime, identity, policies.safety, options),
      log: (line) => process.stderr.write(`proxmox-mcp: ${policies.scrub(line)}\n`)
    })
    yield* Effect.logInfo(
      `serving ${policies.tools.length} tools over ${serving.transport} at ${running.url}${where}${authSummary(serving)}`
    )
    // until SIGTERM/SIGINT interrupt us; closing the scope then shuts the server down gracefully
    return yield* Effect.never
  }
  yield* Effect.logInfo(`serving ${policies.tools.length} tools over stdio${where}`)
  yield* serveStdioUntilClosed(policies, runtime, identity, serving.shutdownGraceMs)
}).pipe(Effect.scoped)

const authSummary = (config: McpServerConfigShape) => {
  const ways = [
    config.tokens.length > 0 ? `${config.tokens.length} bearer token(s)` : undefined,
    config.oauth === undefined ? undefined : `OAuth tokens of ${config.oauth.issuer}`
  ].filter((w) => w !== undefined)
  return ways.length === 0 ? ", WITHOUT authentication" : `, authenticated by ${ways.join(" or ")}`
}

const serveStdioUntilClosed = (
  policies: ReturnType<typeof serverPolicies>,
  runtime: Parameters<typeof makeMcpServer>[1],
  identity: Parameters<typeof makeMcpServer>[2],
  graceMs: number
) =>
  Effect.gen(function* () {
    // A message over the limit is dropped as it streams in and answered with an error; the session goes on. The SDK's
    // own buffer limit (just above ours, never reached) would close the transport instead.
    const messages = limitMessageSize(STDIO_MESSAGE_LIMIT_BYTES, (dropped) => {
      process.stderr.write(
        `proxmox-mcp: discarded a ${dropped.bytes}-byte message, over the limit of ${STDIO_MESSAGE_LIMIT_BYTES} bytes\n`
      )
      if (dropped.requestId !== undefined) {
        wire.send(tooLargeError(dropped.requestId, dropped, STDIO_MESSAGE_LIMIT_BYTES)).catch(() => {})
      }
    })
    // not ended with stdin: a client that closes stdin after its requests still gets their answers (see below)
    process.stdin.pipe(messages, { end: false })
    const wire = new StdioServerTransport(messages, process.stdout, { maxBufferSize: STDIO_MESSAGE_LIMIT_BYTES + 1 })
    const tracked = trackRequests(wire)
    // scoped: the transport is closed however the process ends (stdin closed, SIGINT/SIGTERM interrupting runMain)
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        serveStdio(() => makeMcpServer(policies.tools, runtime, identity, policies.safety), {
          transport: tracked.transport,
          onerror: (error) => process.stderr.write(`proxmox-mcp: transport error: ${policies.scrub(error.message)}\n`)
        })
      ),
      (server) =>
        Effect.promise(() => server.close()).pipe(
          // nothing may keep the process alive once the connection is over, not even a stdin the client left open
          Effect.ensuring(Effect.sync(() => process.stdin.destroy()))
        )
    )
    // The client owns our lifetime: when it closes stdin, we answer what it asked (within the grace period) and leave;
    // so we do at once when the transport gives up (stdout failed).
    yield* Effect.async<void>((resume) => {
      let over = false
      const done = () => {
        if (!over) resume(Effect.void)
        over = true
      }
      let ended = false
      const stdinEnded = () => {
        if (ended) return
        ended = true
        const timer = setTimeout(done, graceMs)
        void tracked.idle().then(() => {
          clearTimeout(timer)
          done()
        })
      }
      process.stdin.once("end", stdinEnded)
      process.stdin.once("close", stdinEnded)
      const closeConnection = tracked.transport.onclose
      tracked.transport.onclose = () => {
        closeConnection?.()
        done()
      }
    })
    messages.end()
  })

const main = Effect.gen(function* () {
  if (unknown.length > 0) {
    process.stderr.write(`proxmox-mcp: unknown option ${unknown.join(" ")}\n\n${usage}`)
    process.exitCode = 2
    return
  }
  if (flags.has("--help") || flags.has("-h")) return process.stdout.write(usage)
  if (flags.has("--version")) return process.stdout.write(`${VERSION}\n`)
  yield* serve.pipe(
    Effect.catchTag("ConfigInvalid", (e) =>
      Effect.sync(() => {
        process.stderr.write(`${e.message}\n`)
        process.exitCode = 2
      })
    ),
    Effect.catchTag("HttpListenFailed", (e) =>
      Effect.sync(() => {
        process.stderr.write(`${e.message}\n`)
        process.exitCode = 1
      })
    )
  )
})

// runMain would add a pretty logger that writes to stdout, which belongs to the protocol.
NodeRuntime.runMain(main.pipe(Effect.provide(stderrLogger(LogLevel.Info))), { disablePrettyLogger: true })
