/**
 * Request faults for tests: by method and path pattern, answer with a status (500/502/503/595/596), delay,
 * or drop the connection, for a number of times or until cleared. Deterministic: matched in the order added.
 */

export interface RequestFault {
  readonly method?: string
  /** Exact API path (`/nodes/pve1/qemu/100/status/start`), a glob (`*` one segment, `**` anything) or a RegExp. */
  readonly path: string | RegExp
  readonly status?: number
  readonly message?: string
  readonly delayMs?: number
  readonly drop?: boolean
  /** How many requests the fault applies to; unlimited when absent. */
  readonly times?: number
}

interface ActiveFault<F extends RequestFault> {
  readonly fault: F
  readonly matches: (path: string) => boolean
  remaining: number
}

const globToRegExp = (glob: string): RegExp => {
  const source = glob
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*")
    )
    .join(".*")
  return new RegExp(`^${source}$`)
}

/** Reason phrases of the statuses tests inject, as PVE / AnyEvent::HTTP / a reverse proxy send them. */
export const defaultReason = (status: number): string =>
  ({
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    595: "Connection refused",
    596: "Connection timed out"
  })[status] ?? "Error"

/** Faults matched by method and path; `F` lets a server-level fault (sim/server.ts) carry its own fields. */
export const makeRequestFaults = <F extends RequestFault = RequestFault>() => {
  const active: Array<ActiveFault<F>> = []
  return {
    add: (fault: F): void => {
      const pattern = typeof fault.path === "string" ? globToRegExp(fault.path) : fault.path
      active.push({
        fault,
        matches: (path) => {
          pattern.lastIndex = 0
          return pattern.test(path)
        },
        remaining: fault.times ?? Number.POSITIVE_INFINITY
      })
    },
    /** The first fault matching the request, consuming one of its `times`. */
    take: (method: string, path: string): F | undefined => {
      const index = active.findIndex(
        (entry) =>
          entry.remaining > 0 &&
          (entry.fault.method === undefined || entry.fault.method.toUpperCase() === method) &&
          entry.matches(path)
      )
      if (index < 0) return undefined
      const entry = active[index]!
      entry.remaining--
      if (entry.remaining <= 0) active.splice(index, 1)
      return entry.fault
    },
    clear: (): void => {
      active.length = 0
    }
  }
}

export type RequestFaults = ReturnType<typeof makeRequestFaults>
