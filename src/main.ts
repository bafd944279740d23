import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { StdioServerTransport, serveStdio } from "@modelcontextprotocol/server/stdio"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import { loadPveConfig, loadPveSettings, PveConfig } from "./config/PveConfig.js"
import { stderrLogger } from "./logging.js"
import { makeMcpServer } from "./mcp/Adapter.js"
import { limitMessageSize, STDIO_MESSAGE_LIMIT_BYTES, tooLargeError } from "./mcp/stdioLimit.js"
import { loadBoth } from "./policy/index.js"
import { scrubbingLogger } from "./policy/Secrets.js"
import { ProxmoxLive } from "./proxmox/layers.js"
import { loadServerPolicy, serverPolicies } from "./server.js"
import { VERSION } from "./version.js"

const usage = `proxmox-mcp ${VERSION}: a Model Context Protocol server for Proxmox VE

Usage:
  proxmox-mcp               serve MCP over stdio, configured from the environment (see README)
  proxmox-mcp --simulator   serve MCP over stdio on a built-in simulated cluster (no Proxmox needed)
  proxmox-mcp --help | --version
`

const instructions = [
  "Tools for one Proxmox VE cluster. Guests (VMs and containers) are addressed by vmid alone; node is optional.",
  "Start with pve_cluster_status or pve_list_guests. Write tools wait for the Proxmox task and report its real exit status."
].join(" ")

const flags = new Set(process.argv.slice(2))
const unknown = [...flags].filter((f) => !["--simulator", "--help", "-h", "--version"].includes(f))

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
  const policies = serverPolicies(policy, config.auth)

  const runtime = yield* Layer.toRuntime(
    Layer.mergeAll(
      policies.wrapClient(layer),
      PveConfig.layer(config),
      scrubbingLogger(config.logLevel, policies.scrub)
    )
  )
  // A message over the limit is dropped as it streams in and answered with an error; the session goes on. The SDK's
  // own buffer limit (just above ours, never reached) would close the transport instead.
  const messages = process.stdin.pipe(
    limitMessageSize(STDIO_MESSAGE_LIMIT_BYTES, (dropped) => {
      process.stderr.write(
        `proxmox-mcp: discarded a ${dropped.bytes}-byte message, over the limit of ${STDIO_MESSAGE_LIMIT_BYTES} bytes\n`
      )
      if (dropped.requestId !== undefined) {
        wire.send(tooLargeError(dropped.requestId, dropped, STDIO_MESSAGE_LIMIT_BYTES)).catch(() => {})
      }
    })
  )
  const wire = new StdioServerTransport(messages, process.stdout, { maxBufferSize: STDIO_MESSAGE_LIMIT_BYTES + 1 })
  // scoped: the transport is closed however the process ends (stdin closed, SIGINT/SIGTERM interrupting runMain)
  yield* Effect.acquireRelease(
    Effect.sync(() =>
      serveStdio(
        () =>
          makeMcpServer(
            policies.tools,
            runtime,
            { name: "proxmox-mcp", version: VERSION, instructions },
            policies.safety
          ),
        {
          transport: wire,
          onerror: (error) => process.stderr.write(`proxmox-mcp: transport error: ${policies.scrub(error.message)}\n`)
        }
      )
    ),
    (server) =>
      Effect.promise(() => server.close()).pipe(
        // nothing may keep the process alive once the connection is over, not even a stdin the client left open
        Effect.ensuring(Effect.sync(() => process.stdin.destroy()))
      )
  )
  yield* Effect.logInfo(
    `serving ${policies.tools.length} tools over stdio${simulator ? " on the simulator" : ""}${policy.readOnly ? ", read-only (PVE_READONLY=false enables write tools)" : ""}`
  )
  // The client owns our lifetime: when it closes stdin, we leave; so we do when the transport gives up (stdout failed).
  yield* Effect.async<void>((resume) => {
    let over = false
    const done = () => {
      if (!over) resume(Effect.void)
      over = true
    }
    process.stdin.once("end", done)
    process.stdin.once("close", done)
    const closeConnection = wire.onclose
    wire.onclose = () => {
      closeConnection?.()
      done()
    }
  })
}).pipe(Effect.scoped)

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
    )
  )
})

// runMain would add a pretty logger that writes to stdout, which belongs to the protocol.
NodeRuntime.runMain(main.pipe(Effect.provide(stderrLogger(LogLevel.Info))), { disablePrettyLogger: true })
