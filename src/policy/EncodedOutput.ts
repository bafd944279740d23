import type { AnyTool } from "../proxmox/Tool.js"

/**
 * Tool results the call pipeline encoded with the tool's own output Schema, and for which tool: the result check
 * the MCP SDK asks of the adapter passes them without decoding them a second time. A changed copy (cut to the answer
 * budget, a secret scrubbed from it) is another object, not in here, and is checked in full.
 */
const encoded = new WeakMap<object, AnyTool>()

export const markEncodedOutput = <A extends object>(tool: AnyTool, value: A): A => {
  encoded.set(value, tool)
  return value
}

export const isEncodedOutputOf = (tool: AnyTool, value: unknown): boolean =>
  typeof value === "object" && value !== null && encoded.get(value) === tool
