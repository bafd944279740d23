import { Redacted } from "effect"
import { SIM_PASSWORD, SIM_USER, type SimulatorOptions } from "../../sim/Simulator.js"
import type { PveConfigShape } from "../../src/config/PveConfig.js"
import { ProxmoxSimulated, simulatorConfig } from "../../src/simulatorMode.js"

/** A fresh simulated cluster and the real ProxmoxClient over it (only the socket is replaced). */
export const simulated = (
  options: { readonly sim?: SimulatorOptions; readonly config?: Partial<PveConfigShape> } = {}
) => ProxmoxSimulated(simulatorConfig(options.config), options.sim)

/** Config for ticket (username/password) login as the simulator's user. */
export const ticketAuth: Partial<PveConfigShape> = {
  auth: { _tag: "Ticket", username: SIM_USER, password: Redacted.make(SIM_PASSWORD) }
}
