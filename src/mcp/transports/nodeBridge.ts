import type { IncomingMessage, ServerResponse } from "node:http"
import { Readable } from "node:stream"

/**
 * Node's http server speaks IncomingMessage/ServerResponse; the SDK's HTTP entry points speak web Request/Response.
 * This is only that conversion (what `toNodeHandler` of `@modelcontextprotocol/node` does), no protocol.
 */

/** The web Request for a Node request; `signal` aborts when the client goes away (the SDK then cancels the call). */
export const toWebRequest = (req: IncomingMessage, base: string, signal: AbortSignal): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  const method = req.method ?? "GET"
  const hasBody = method !== "GET" && method !== "HEAD"
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal }
  if (hasBody) {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>
    init.duplex = "half"
  }
  return new Request(new URL(req.url ?? "/", base), init)
}

/** Writes a web Response to Node, streaming its body (SSE) as it comes; resolves when the body is done. */
export const writeWebResponse = async (res: ServerResponse, response: Response): Promise<void> => {
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    res.setHeader(name, value)
  })
  if (response.body === null) {
    res.end()
    return
  }
  res.flushHeaders()
  const reader = response.body.getReader()
  const stop = () => {
    reader.cancel().catch(() => {})
  }
  res.once("close", stop)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      res.write(value)
    }
  } catch {
    // the stream failed or the client left: end what can be ended
  } finally {
    res.off("close", stop)
    res.end()
  }
}
