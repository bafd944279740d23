/**
 * proxmox-mcp as a library: its typed operations inside your own Effect program. Here on the built-in simulator
 * (`proxmox-mcp/simulator`), so it runs anywhere; against a real cluster, provide `ProxmoxLive(config)` instead, with
 * `config` from `loadPveConfig` (the same environment variables as the server) or built by hand.
 *
 *   npx tsx examples/embed.ts        (test/e2e/embed.test.ts runs it and typechecks it with the rest)
 */
import * as Effect from "effect/Effect"
import { Cluster, Guests, PveConfig } from "proxmox-mcp"
import { ProxmoxSimulated, simulatorConfig } from "proxmox-mcp/simulator"

/** Starts the first stopped VM, waits for the task and says how it went; every failure is a tagged error. */
const startFirstStoppedVm = Effect.gen(function* () {
  const { version } = yield* Cluster.getVersion
  const guests = yield* Guests.listGuests({ type: "qemu" })
  const stopped = guests.find((g) => g.status === "stopped")
  if (stopped === undefined) return `PVE ${version}: no stopped VM`
  const guest = yield* Guests.resolveGuest(stopped.vmid)
  const outcome = yield* Guests.changePowerState(guest, "start")
  return `PVE ${version}: started VM ${stopped.vmid} on ${stopped.node} (${outcome.exitStatus}), now ${outcome.statusAfter}`
})

/** The configuration is a service too: here, how long a task is waited for. */
const listRunning = Effect.gen(function* () {
  const { taskTimeoutMs } = yield* PveConfig
  const running = yield* Guests.listGuests({ status: "running" })
  return `${running.length} guests running (a task is waited for up to ${taskTimeoutMs / 1000} s)`
})

const program = Effect.gen(function* () {
  const started = yield* startFirstStoppedVm
  const running = yield* listRunning
  return [started, running]
}).pipe(
  Effect.catchTags({
    PvePermissionError: (e) => Effect.succeed([`not allowed: ${e.message}`]),
    TaskFailed: (e) => Effect.succeed([`the task failed: ${e.exitStatus}`])
  })
)

// the simulated cluster behind the real client: only the socket is replaced
const { layer } = ProxmoxSimulated(simulatorConfig())
const lines = await Effect.runPromise(program.pipe(Effect.provide(layer)))
for (const line of lines) console.log(line)
