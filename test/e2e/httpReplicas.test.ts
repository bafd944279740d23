/**
 * Stateless 2026-07-28 serving across replicas: two server processes behind a round-robin proxy, so that a call and
 * the retry that carries the person's answer reach different processes. With one MCP_STATE_KEY the second replica
 * accepts the state the first one signed; without it, it refuses it and nothing is written.
 */
import { createServer, request as httpRequest, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type RunningSimServer, startSimServer } from "../../sim/server.js"
import { connectHttp, type HttpServerProcess, startHttpServerProcess } from "../support/httpServer.js"
import { textOf } from "../support/mcpClient.js"

const TOKEN = "replica-0123456789abcdef01234567"

/** Sends request n to replica n mod 2; counts what each got. */
const roundRobin = async (targets: ReadonlyArray<string>) => {
  const served = targets.map(() => 0)
  let next = 0
  const proxy: Server = createServer((req, res) => {
    const index = next++ % targets.length
    served[index]!++
    const target = new URL(targets[index]!)
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on("error", () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve()))
  const { port } = proxy.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    served,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve()))
  }
}

describe.each([
  ["sharing MCP_STATE_KEY", true],
  ["each with its own key", false]
])("two replicas %s behind a round-robin proxy (v2 client)", (_, shared) => {
  let sim: RunningSimServer
  let replicas: HttpServerProcess[]
  let proxy: Awaited<ReturnType<typeof roundRobin>>

  beforeAll(async () => {
    sim = await startSimServer({ port: 0 })
    const env = (key: string) => ({
      ...sim.serverEnv,
      PVE_READONLY: "false",
      MCP_AUTH_TOKEN: TOKEN,
      MCP_STATE_KEY: key
    })
    replicas = await Promise.all([
      startHttpServerProcess(env("a".repeat(64))),
      startHttpServerProcess(env(shared ? "a".repeat(64) : "b".repeat(64)))
    ])
    proxy = await roundRobin(replicas.map((r) => r.url))
  })
  afterAll(async () => {
    await proxy?.close()
    await Promise.all((replicas ?? []).map((r) => r.stop()))
    await sim?.close()
  })

  it(shared ? "runs a confirmed destructive call across them" : "refuses the answer on the other replica", async () => {
    const client = await connectHttp("v2", proxy.url, {
      token: TOKEN,
      onElicit: () => ({ action: "accept", content: { confirm: true } })
    })
    try {
      const running = (await client.callTool("pve_list_guests", { status: "running", type: "qemu" }))
        .structuredContent as { guests: Array<{ vmid: number }> }
      const vmid = running.guests[0]!.vmid
      sim.sim.clearRequests()
      const result = await client.callTool("pve_guest_stop", { vmid }).then(
        (r) => ({ isError: r.isError === true, text: textOf(r) }),
        (error: unknown) => ({ isError: true, text: String(error) })
      )
      const writes = sim.sim.requests.filter((r) => r.method !== "GET")
      if (shared) {
        expect(result.isError, result.text).toBe(false)
        expect(writes.map((w) => w.path)).toEqual([expect.stringMatching(new RegExp(`/qemu/${vmid}/status/stop$`))])
      } else {
        // the state the first replica signed does not verify on the second: the call and its retry were split
        expect(result).toMatchObject({ isError: true, text: expect.stringMatching(/state|confirm/i) })
        expect(writes).toEqual([])
      }
      expect(proxy.served.every((n) => n > 0)).toBe(true)
    } finally {
      await client.client.close()
    }
  })
})
