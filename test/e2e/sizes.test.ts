/**
 * Bounded sizes through the built server over stdio: a message over the stdio limit is answered with a JSON-RPC
 * error and the session goes on; a 100 KB bad argument gives a short error; a huge Proxmox answer is refused while
 * it streams in.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { STDIO_MESSAGE_LIMIT_BYTES } from "../../src/mcp/stdioLimit.js"
import { type Connection, connect, GENERATIONS, SERVER_BIN, textOf } from "../support/mcpClient.js"

const oversizeText = () => "A".repeat(STDIO_MESSAGE_LIMIT_BYTES + 1024)

/** The server spawned with raw JSON-RPC lines on its stdin, and every line it answers with. */
const rawServer = () => {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [SERVER_BIN, "--simulator"], {
    env: { PATH: process.env.PATH ?? "" }
  })
  const answers: Array<Record<string, unknown>> = []
  const waiters: Array<() => void> = []
  let partial = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n")
    partial = lines.pop() ?? ""
    for (const line of lines) if (line !== "") answers.push(JSON.parse(line) as Record<string, unknown>)
    for (const wake of waiters.splice(0)) wake()
  })
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  )
  return {
    /** writes one message line, waiting for the pipe to drain as a real client would */
    send: (message: unknown) =>
      new Promise<void>((resolve) => {
        if (child.stdin.write(`${JSON.stringify(message)}\n`)) resolve()
        else child.stdin.once("drain", () => resolve())
      }),
    answerTo: async (id: number) => {
      for (;;) {
        const found = answers.find((a) => a.id === id)
        if (found !== undefined) return found
        await new Promise<void>((wake) => waiters.push(wake))
      }
    },
    answers,
    stderr: () => stderr,
    closeStdin: () => child.stdin.end(),
    exited
  }
}

describe("stdio messages over the limit (raw JSON-RPC lines)", () => {
  it("answers an oversize request with an error, ignores an oversize notification, serves the next call, and exits when stdin closes", async () => {
    const server = rawServer()
    await server.send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
    })
    expect(await server.answerTo(1)).toMatchObject({ result: { protocolVersion: "2025-11-25" } })
    await server.send({ jsonrpc: "2.0", method: "notifications/initialized" })

    // the id comes last, after the oversize params, as the SDK clients order their requests
    await server.send({
      jsonrpc: "2.0",
      method: "tools/call",
      params: { name: "pve_api_get", arguments: { path: "/version", params: { x: oversizeText() } } },
      id: 2
    })
    await server.send({ jsonrpc: "2.0", method: "notifications/message", params: { data: oversizeText() } })
    await server.send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "pve_version", arguments: {} } })

    const refused = await server.answerTo(2)
    expect(refused).toMatchObject({ error: { code: -32600, data: { limitBytes: STDIO_MESSAGE_LIMIT_BYTES } } })
    expect((refused.error as { message: string }).message).toMatch(
      /^Request too large: \d+ bytes, over this server's limit of 33554432 bytes per message/
    )
    const version = await server.answerTo(3)
    expect(version).toMatchObject({ result: { structuredContent: { release: expect.any(String) } } })
    // one answer each to 1, 2 and 3; nothing for the notification
    expect(server.answers.map((a) => a.id)).toEqual([1, 2, 3])
    expect(server.stderr().match(/discarded a \d+-byte message, over the limit of 33554432 bytes/g)).toHaveLength(2)

    server.closeStdin()
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })
})

describe.each(GENERATIONS)("stdio messages over the limit with the %s client", (generation) => {
  let conn: Connection
  beforeAll(async () => {
    conn = await connect(generation, { args: ["--simulator"] })
  })
  afterAll(async () => {
    await conn?.close()
  })

  it("the oversize call fails with a JSON-RPC error and the session goes on", async () => {
    await expect(
      conn.callTool("pve_api_get", { path: "/version", params: { x: oversizeText() } })
    ).rejects.toMatchObject({ code: -32600, message: expect.stringContaining("Request too large") })
    const version = await conn.callTool("pve_version", {})
    expect(version.isError, textOf(version)).toBeFalsy()
  })

  it("a 100 KB bad argument gives an error that quotes at most a short excerpt of it, once", async () => {
    const bad = "B".repeat(100_000)
    const excerpt = /B{80}"?… \(100000 characters\)/g
    for (const [tool, args, excerpts] of [
      ["pve_api_get", { path: "/version", params: { x: bad } }, 1],
      ["pve_api_get", { path: "/version", params: { [bad]: "1" } }, 1],
      ["pve_api_get", { path: bad }, 1],
      // the node field's own message names the format without quoting the value
      ["pve_node_status", { node: bad }, 0]
    ] as const) {
      const result = await conn.callTool(tool, args)
      expect(result.isError).toBe(true)
      const text = JSON.stringify(result)
      expect(text.length, text.slice(0, 300)).toBeLessThan(1_000)
      expect(text.match(/B{81}/), text.slice(0, 300)).toBeNull()
      expect(textOf(result).match(excerpt) ?? [], textOf(result)).toHaveLength(excerpts)
    }
  })
})

describe.each(GENERATIONS)("a Proxmox answer over PVE_MAX_RESPONSE_BYTES with the %s client", (generation) => {
  let sim: RunningSimServer
  let conn: Connection
  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    conn = await connect(generation, {
      env: {
        ...sim.serverEnv,
        PVE_MAX_RESPONSE_BYTES: String(1024 * 1024)
      }
    })
  })
  afterAll(async () => {
    await conn?.close()
    await sim?.close()
  })

  it("is refused with the endpoint, the limit and the variable, after reading far less than was sent", async () => {
    const huge = 400 * 1024 * 1024
    sim.hugeBodies.add({ path: "/cluster/resources", bytes: huge, times: 1 })
    const result = await conn.callTool("pve_cluster_resources", {})
    expect(result.isError).toBe(true)
    expect(textOf(result)).toContain(
      "GET /cluster/resources answered with more than the limit of 1048576 bytes (PVE_MAX_RESPONSE_BYTES); the rest was not read."
    )
    const [streamed] = await Promise.all(sim.hugeBodies.served)
    expect(streamed!.complete).toBe(false)
    expect(streamed!.bytesSent).toBeLessThan(huge / 20)

    const after = await conn.callTool("pve_cluster_resources", {})
    expect(after.isError, textOf(after)).toBeFalsy()
  })
})
