/**
 * The check the server runs at start, in the background (the handshake does not wait for it): one request through
 * the real client, and on failure one warning line on stderr, the client's MCP log, before the first tool call.
 */
import * as Effect from "effect/Effect"
import type { PveConfigShape } from "../config/PveConfig.js"
import { presentError } from "../mcp/errorMessages.js"
import { versionEndpoint } from "../proxmox/cluster.js"
import { call } from "../proxmox/Endpoint.js"
import type { ProxmoxError } from "../proxmox/errors.js"

export const startupWarning = (config: PveConfigShape, e: ProxmoxError): string => {
  const shown = presentError(e, config.auth)
  return `Proxmox at ${config.baseUrl} is not usable: ${shown.text} ${shown.hint} Run \`proxmox-mcp doctor\` for a full check.`.replace(
    /\s*\n\s*/g,
    " "
  )
}

export const checkAtStart = (config: PveConfigShape) =>
  Effect.either(call(versionEndpoint, {})).pipe(
    Effect.flatMap((result) =>
      result._tag === "Left"
        ? Effect.logWarning(startupWarning(config, result.left))
        : Effect.logDebug(`Proxmox VE ${result.right.version} at ${config.baseUrl} answered; the credentials work`)
    )
  )
