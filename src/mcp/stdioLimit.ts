import { Transform } from "node:stream"
import { type JSONRPCErrorResponse, ProtocolErrorCode } from "@modelcontextprotocol/server"

/**
 * 32 MiB per stdio message. The largest legitimate one is a `pve_api_call` whose params fill its input schema:
 * a list of 256 items of 64 KiB is 16 MiB of text, and JSON escapes (`\n`, `\"`) or two-byte UTF-8 can double it.
 */
export const STDIO_MESSAGE_LIMIT_BYTES = 32 * 1024 * 1024

/** A message that was dropped for its size, and what could be learnt of it while it streamed past. */
export interface OversizeMessage {
  readonly bytes: number
  /** the id of a request (a top-level `method` and `id`), to answer; undefined for notifications and responses */
  readonly requestId: string | number | undefined
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const NEWLINE = Buffer.from("\n")

/**
 * Finds the top-level `id` and `method` of a JSON object fed to it in pieces, holding only a few bytes: the id may
 * come last (`{"method":…,"params":…,"jsonrpc":"2.0","id":7}`), after megabytes of params.
 */
class TopLevelIdScanner {
  private depth = 0
  private inString = false
  private escaped = false
  private expectingKey = false
  private key = ""
  /** the depth-1 key whose value is being read */
  private valueKey: string | undefined
  /** the bytes of the depth-1 key or id being read; undefined when they are not worth keeping */
  private captured: Array<number> | undefined
  private idText = ""
  private sawMethod = false
  private sawId = false

  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (b === BACKSLASH) this.escaped = true
        else if (b === QUOTE) {
          this.inString = false
          this.endString()
          continue
        }
        this.capture(b, 64)
        continue
      }
      if (b === QUOTE) {
        this.inString = true
        const atKey = this.depth === 1 && this.expectingKey
        if (atKey) this.key = ""
        this.captured = atKey || (this.depth === 1 && this.valueKey === "id") ? [] : undefined
        if (!atKey && this.captured !== undefined) this.captured.push(QUOTE)
      } else if (b === 0x7b || b === 0x5b) {
        this.depth++
        if (this.depth === 1) this.expectingKey = b === 0x7b
      } else if (b === 0x7d || b === 0x5d) {
        this.depth--
      } else if (this.depth === 1 && b === 0x3a) {
        this.valueKey = this.key
        this.expectingKey = false
        if (this.key === "id") {
          this.sawId = true
          this.idText = ""
        }
        if (this.key === "method") this.sawMethod = true
      } else if (this.depth === 1 && b === 0x2c) {
        this.valueKey = undefined
        this.expectingKey = true
      } else if (this.depth === 1 && this.valueKey === "id" && b > 0x20 && this.idText.length < 64) {
        this.idText += String.fromCharCode(b)
      }
    }
  }

  private capture(b: number, max: number) {
    if (this.captured === undefined) return
    if (this.captured.length < max) this.captured.push(b)
    else this.captured = undefined
  }

  private endString() {
    if (this.captured === undefined) return
    const text = Buffer.from(this.captured).toString("utf8")
    if (this.expectingKey) this.key = text
    else this.idText = `${text}"`
    this.captured = undefined
  }

  get requestId(): string | number | undefined {
    if (!this.sawMethod || !this.sawId) return undefined
    try {
      const id: unknown = JSON.parse(this.idText)
      return typeof id === "string" || typeof id === "number" ? id : undefined
    } catch {
      return undefined
    }
  }
}

/**
 * Passes stdin through line by line, but drops a line longer than `limitBytes` as it streams in, never holding
 * more than the limit; `onOversize` hears of each dropped line once its end has arrived.
 * The SDK's own buffer limit would instead close the transport on the first such message.
 */
export const limitMessageSize = (limitBytes: number, onOversize: (message: OversizeMessage) => void): Transform => {
  let pending: Array<Uint8Array> = []
  let pendingBytes = 0
  let oversize: { scanner: TopLevelIdScanner; bytes: number } | undefined
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let start = 0
      while (start < chunk.length) {
        const newline = chunk.indexOf(0x0a, start)
        const piece = chunk.subarray(start, newline === -1 ? chunk.length : newline)
        if (oversize !== undefined) {
          oversize.scanner.feed(piece)
          oversize.bytes += piece.length
        } else if (pendingBytes + piece.length <= limitBytes) {
          pending.push(piece)
          pendingBytes += piece.length
        } else {
          oversize = { scanner: new TopLevelIdScanner(), bytes: pendingBytes + piece.length }
          for (const held of pending) oversize.scanner.feed(held)
          oversize.scanner.feed(piece)
          pending = []
          pendingBytes = 0
        }
        if (newline === -1) break
        if (oversize !== undefined) {
          onOversize({ bytes: oversize.bytes, requestId: oversize.scanner.requestId })
          oversize = undefined
        } else {
          // one whole line per chunk, so the SDK's read buffer never holds more than one message
          this.push(Buffer.concat([...pending, NEWLINE]))
          pending = []
          pendingBytes = 0
        }
        start = newline + 1
      }
      done()
    }
  })
}

/** The JSON-RPC answer to a request that was too large to read. */
export const tooLargeError = (
  id: string | number,
  message: OversizeMessage,
  limitBytes: number
): JSONRPCErrorResponse => ({
  jsonrpc: "2.0",
  id,
  error: {
    code: ProtocolErrorCode.InvalidRequest,
    message: `Request too large: ${message.bytes} bytes, over this server's limit of ${limitBytes} bytes per message; it was discarded without being processed`,
    data: { bytes: message.bytes, limitBytes }
  }
})
