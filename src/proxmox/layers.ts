import { Layer } from "effect"
import { PveConfig, type PveConfigShape } from "../config/PveConfig.js"
import { PveHttpClientLive } from "./HttpClientLive.js"
import { ProxmoxClientLive } from "./ProxmoxClient.js"

/** ProxmoxClient over the real network, plus the config it was built from. */
export const ProxmoxLive = (config: PveConfigShape) =>
  ProxmoxClientLive.pipe(Layer.provide(PveHttpClientLive), Layer.provideMerge(PveConfig.layer(config)))
