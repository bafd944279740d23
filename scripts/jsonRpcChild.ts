// The benchmarks' client: a bare JSON-RPC client over a child process's stdio, no SDK on the measuring side.
import { spawn } from "node:child_process"

export interface JsonRpcChild {
  readonly request: (method: string, params?: unknown) => Promise<unknown>
  readonly notify: (method: string, params?: unknown) => void
  readonly pid: number
  /** ends stdin and waits for the child to exit */
  readonly close: () => Promise<void>
}

/** Spawns `node <nodeArgs>` and speaks newline-delimited JSON-RPC with it; stderr is ignored. */
export const spawnJsonRpc = (nodeArgs: ReadonlyArray<string>, env: Record<string, string>): JsonRpcChild => {
  const child = spawn(process.execPath, [...nodeArgs], { env, stdio: ["pipe", "pipe", "ignore"] })
  let buffer = ""
  let nextId = 1
  const pending = new Map<number, (value: unknown) => void>()
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    let newline = buffer.indexOf("\n")
    while (newline >= 0) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      const message = JSON.parse(line) as { id?: number; result?: unknown; error?: unknown }
      if (message.id !== undefined) pending.get(message.id)?.(message.result ?? message.error)
      newline = buffer.indexOf("\n")
    }
  })
  const send = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`)
  return {
    pid: child.pid!,
    request: (method, params) =>
      new Promise((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        send({ id, method, params })
      }),
    notify: (method, params) => send({ method, params }),
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve())
        child.stdin.end()
      })
  }
}
