/** What a test observes after a call: the writes the simulator received, the audit file's lines, a tool error. */
import { readFileSync } from "node:fs"
import type { ToolResult } from "./mcpClient.js"

/** Every non-GET request the simulator received, as `METHOD /decoded/path`. */
export const writesSeen = (sim: {
  readonly requests: ReadonlyArray<{ readonly method: string; readonly path: string }>
}) => sim.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${decodeURIComponent(r.path)}`)

/** The audit file's JSON lines, in order. */
export const auditLinesIn = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** The structured error of an `isError` result. */
export const errorOf = (result: ToolResult) =>
  result._meta?.["proxmox-mcp/error"] as Record<string, unknown> | undefined
