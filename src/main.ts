import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { StdioServerTransport, serveStdio } from "@modelcontextprotocol/server/stdio"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { describeEnvFile, type EnvFileLoaded, loadEnvFile } from "./config/EnvFile.js"
import { loadMcpServerConfig, type McpServerConfigShape } from "./config/McpServerConfig.js"
import { loadPveConfig, loadPveSettings, PveConfig } from "./config/PveConfig.js"
import { checkAtStart } from "./doctor/startup.js"
import { stderrLogger } from "./logging.js"
import { makeMcpServer } from "./mcp/Adapter.js"
import { limitMessageSize, STDIO_MESSAGE_LIMIT_BYTES, tooLargeError } from "./mcp/stdioLimit.js"
import { trackRequests } from "./mcp/transports/pending.js"
import { loadBoth } from "./policy/index.js"
import { scrubbingLogger } from "./policy/Secrets.js"
import { ProxmoxLive } from "./proxmox/layers.js"
import { loadServerPolicy, serverPolicies } from "./server.js"
import { usage } from "./usage.js"
import { VERSION } from "./version.js"

const instructions = [
  "Tools for one Proxmox VE cluster. Guests (VMs and containers) are addressed by vmid (unique in the cluster, e.g. 100); node is optional: left out, it is looked up from the vmid; given, it must be the guest's node. Arguments are checked by the server, which says what to fix.",
  "Start with pve_cluster_status or pve_list_guests. Write tools wait for the Proxmox task and report its real exit status.",
  // said once here rather than in every tool's schema: tools/list stays small
  "Every write tool takes dryRun: true (nothing is sent; the answer is the exact requests, after every policy) and wait: false (answer once the first task started, with its UPID for pve_task_wait; by default a call waits up to PVE_WAIT_MAX_MS and a longer task is answered as status running with its UPID).",
  "A destructive tool needs confirm: true with its target repeated (confirmVmid or confirmName), unless the client shows a confirmation dialog.",
  "Lists come a page at a time (limit rows): pass nextCursor as cursor, with the same filters and sort."
].join(" ")

/** The command line: an optional `doctor` command, switches, and `--transport X` / `--env-file F` (or `=X`). */
export const parseArguments = (args: ReadonlyArray<string>) => {
  const flags = new Set<string>()
  const unknown: string[] = []
  const values: { transport?: string; envFile?: string } = {}
  const valued = { "--transport": "transport", "--env-file": "envFile" } as const
  const command = args[0] === "doctor" ? "doctor" : "serve"
  for (let i = command === "doctor" ? 1 : 0; i < args.length; i++) {
    const arg = args[i]!
    const [name, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined]
    if (name in valued) {
      const key = valued[name as keyof typeof valued]
      const value = inline ?? args[i + 1]
      if (inline === undefined) i++
      if (value === undefined || value === "" || (inline === undefined && value.startsWith("-")))
        unknown.push(`${name} (needs a value)`)
      else values[key] = value
    } else if (["--simulator", "--help", "-h", "--version", "-v"].includes(arg)) flags.add(arg)
    else unknown.push(arg)
  }
  return { command, flags, unknown, ...values } as const
}
const cli = parseArguments(process.argv.slice(2))
const { flags, unknown, transport: transportFlag } = cli

const tlsOffWarning =
  "TLS certificate verification is OFF (PROXMOX_INSECURE_TLS / PVE_VERIFY_SSL): anyone on the path can read the token; set PROXMOX_CA_FILE to the cluster's CA instead"

const serve = (envFile: EnvFileLoaded | undefined) =>
  Effect.gen(function* () {
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
    const logged = Logger.withMinimumLogLevel(config.logLevel)
    if (envFile !== undefined) yield* logged(Effect.logDebug(describeEnvFile(envFile)))
    if (!simulator && !config.tls.verify) {
      yield* logged(Effect.logWarning(tlsOffWarning))
    }
    const serving = yield* loadMcpServerConfig(transportFlag)
    const policies = serverPolicies(policy, config.auth)

    const runtime = yield* Layer.toRuntime(
      Layer.mergeAll(
        policies.wrapClient(layer),
        PveConfig.layer(config),
        scrubbingLogger(config.logLevel, policies.scrub)
      )
    )
    // a wrong host, certificate or token shows in the log at once, not at the first call; the handshake does not wait
    if (!simulator) yield* Effect.forkScoped(Effect.provide(checkAtStart(config), runtime))
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
    process.stderr.write(`proxmox-mcp: unknown option ${unknown.join(" ")}\n\n${usage()}`)
    process.exitCode = 2
    return
  }
  if (flags.has("--help") || flags.has("-h")) return process.stdout.write(usage())
  if (flags.has("--version") || flags.has("-v")) return process.stdout.write(`${VERSION}\n`)
  yield* Effect.gen(function* () {
    // before any variable is read: the file fills in what the environment does not set
    const envFile = yield* loadEnvFile(cli.envFile)
    if (cli.command === "doctor") {
      const { runDoctorCommand } = yield* Effect.promise(() => import("./doctor/command.js"))
      process.exitCode = yield* runDoctorCommand(envFile)
      return
    }
    yield* serve(envFile)
  }).pipe(
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
