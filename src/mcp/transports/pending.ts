import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/server"

/**
 * A transport that counts the client's requests not answered yet, so that a server told to stop (stdin closed,
 * SIGTERM) can first let them finish. Everything else passes through unchanged.
 */
export interface TrackedTransport {
  readonly transport: Transport
  readonly pending: () => number
  /** resolves once every request received so far is answered */
  readonly idle: () => Promise<void>
}

const isRequest = (m: JSONRPCMessage): m is JSONRPCMessage & { id: string | number; method: string } =>
  "method" in m && "id" in m && m.id !== undefined
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: string | number } =>
  !("method" in m) && "id" in m && m.id != null

export const trackRequests = (inner: Transport): TrackedTransport => {
  const pending = new Set<string | number>()
  let waiters: Array<() => void> = []
  const settle = () => {
    if (pending.size > 0) return
    for (const wake of waiters) wake()
    waiters = []
  }
  const outer: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (message, options) =>
      inner.send(message, options).finally(() => {
        if (isResponse(message) && pending.delete(message.id)) settle()
      }),
    setProtocolVersion: (version) => inner.setProtocolVersion?.(version)
  }
  inner.onmessage = (message, extra) => {
    if (isRequest(message)) pending.add(message.id)
    outer.onmessage?.(message, extra)
  }
  inner.onclose = () => {
    pending.clear()
    settle()
    outer.onclose?.()
  }
  inner.onerror = (error) => outer.onerror?.(error)
  return {
    transport: outer,
    pending: () => pending.size,
    idle: () => (pending.size === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)))
  }
}
