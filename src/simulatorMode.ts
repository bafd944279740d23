import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import { makeSimulator, SIM_TOKEN_ID, SIM_TOKEN_SECRET, type SimulatorOptions } from "../sim/Simulator.js"
import { SimulatorWire } from "../sim/SimulatorWire.js"
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_WAIT_MAX_MS,
  PveConfig,
  type PveConfigShape,
  TICKET_LIFETIME_MS
} from "./config/PveConfig.js"
import { ProxmoxClientLive } from "./proxmox/ProxmoxClientLive.js"

/** The config `proxmox-mcp --simulator` runs with: the simulator's own token; settings may come from the environment. */
export const simulatorConfig = (overrides: Partial<PveConfigShape> = {}): PveConfigShape => ({
  baseUrl: "https://pve-simulator.invalid:8006/api2/json",
  auth: { _tag: "Token", tokenId: SIM_TOKEN_ID, secret: Redacted.make(SIM_TOKEN_SECRET) },
  tls: { verify: true, caFile: undefined },
  requestTimeoutMs: 30_000,
  taskTimeoutMs: 600_000,
  waitMaxMs: DEFAULT_WAIT_MAX_MS,
  cancelStopsTask: false,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  ticketRenewAfterMs: TICKET_LIFETIME_MS - 15 * 60 * 1000,
  logLevel: LogLevel.Info,
  ...overrides
})

/** The real ProxmoxClient over an in-process simulated cluster: only the socket is replaced. */
export const ProxmoxSimulated = (config: PveConfigShape, options: SimulatorOptions = {}) => {
  const simulator = makeSimulator(options)
  const layer = ProxmoxClientLive.pipe(
    Layer.provide(SimulatorWire(simulator)),
    Layer.provideMerge(PveConfig.layer(config))
  )
  return { simulator, layer }
}
