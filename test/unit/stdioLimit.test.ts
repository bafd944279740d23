/** The stdio line limit on its own, fed the way a pipe delivers bytes: in arbitrary pieces. */
import { describe, expect, it } from "vitest"
import { limitMessageSize, type OversizeMessage } from "../../src/mcp/stdioLimit.js"

const LIMIT = 100

/** Feeds `input` in pieces of `pieceSize` bytes; returns the lines passed through and the messages dropped. */
const run = async (input: string, pieceSize: number) => {
  const dropped: Array<OversizeMessage> = []
  const filter = limitMessageSize(LIMIT, (message) => dropped.push(message))
  const passed: Array<string> = []
  filter.on("data", (chunk: Buffer) => passed.push(chunk.toString("utf8")))
  const bytes = Buffer.from(input)
  for (let i = 0; i < bytes.length; i += pieceSize) filter.write(bytes.subarray(i, i + pieceSize))
  await new Promise<void>((resolve) => filter.end(resolve))
  return { passed, dropped }
}

const big = "x".repeat(LIMIT * 3)
const line = (message: unknown) => `${JSON.stringify(message)}\n`

describe("limitMessageSize", () => {
  it.each([1, 7, 64, 4096])(
    "passes short lines whole, one per chunk, and drops long ones (pieces of %i bytes)",
    async (pieceSize) => {
      const short = line({ jsonrpc: "2.0", id: 1, method: "ping" })
      const long = line({ jsonrpc: "2.0", method: "tools/call", params: { x: big }, id: 2 })
      const { passed, dropped } = await run(short + long + short, pieceSize)
      expect(passed).toEqual([short, short])
      expect(dropped).toEqual([{ bytes: long.length - 1, requestId: 2 }])
    }
  )

  it.each([
    ["an id before the params", { jsonrpc: "2.0", id: 7, method: "tools/call", params: { x: big } }, 7],
    ["a string id with escapes", { jsonrpc: "2.0", id: 'a"b\\c', method: "x", params: { x: big } }, 'a"b\\c'],
    ["ids and methods nested in params only", { jsonrpc: "2.0", params: { id: 9, method: "m", x: big } }, undefined],
    ["a notification", { jsonrpc: "2.0", method: "notifications/message", params: { data: big } }, undefined],
    ["a response (an id, no method)", { jsonrpc: "2.0", id: 4, result: { data: big } }, undefined],
    ["a value with braces and quotes", { method: "m", params: { x: `{"id":5}[${big}` }, id: 6 }, 6]
  ] as const)("finds the request id of %s", async (_, message, requestId) => {
    const { passed, dropped } = await run(line(message), 13)
    expect(passed).toEqual([])
    expect(dropped.map((d) => d.requestId)).toEqual([requestId])
  })

  it("holds nothing of a line without its end, and accepts a line of exactly the limit", async () => {
    const exact = `${"y".repeat(LIMIT)}\n`
    const { passed, dropped } = await run(`${exact}${big}`, 10)
    expect(passed).toEqual([exact])
    expect(dropped).toEqual([])
  })
})
