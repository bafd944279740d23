/** Calling the simulator the way a client does, for the simulator's own tests. */
import {
  makeSimulator,
  SIM_TOKEN_ID,
  SIM_TOKEN_SECRET,
  type Simulator,
  type SimulatorOptions
} from "../../sim/Simulator.js"

export interface Answer {
  readonly status: number
  readonly statusText: string
  readonly body: string
  readonly json: { data?: unknown; message?: string; errors?: Record<string, string>; total?: number } | undefined
}

export const tokenHeader = (tokenid = SIM_TOKEN_ID, secret = SIM_TOKEN_SECRET) => ({
  authorization: `PVEAPIToken=${tokenid}=${secret}`
})

/** A controllable clock, so task progress is exact. */
export const steppedClock = (start = Date.UTC(2026, 0, 15, 12, 0, 0)) => {
  let time = start
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms
    }
  }
}

export const call = (
  sim: Simulator,
  method: string,
  path: string,
  options: { params?: Record<string, string | number>; headers?: Record<string, string>; json?: unknown } = {}
): Answer => {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(options.params ?? {})) form.append(key, String(value))
  const inQuery = method === "GET" || method === "DELETE"
  const query = inQuery && form.size > 0 ? `?${form.toString()}` : ""
  const body =
    options.json !== undefined ? JSON.stringify(options.json) : !inQuery && form.size > 0 ? form.toString() : undefined
  const headers: Record<string, string> = { ...tokenHeader(), ...options.headers }
  if (body !== undefined) {
    headers["content-type"] = options.json !== undefined ? "application/json" : "application/x-www-form-urlencoded"
  }
  const response = sim.handle({ method, url: `https://127.0.0.1:8006/api2/json${path}${query}`, headers, body })
  const final = response.deferred ? response.deferred() : response
  let json: Answer["json"]
  try {
    json = final.body === "" ? undefined : JSON.parse(final.body)
  } catch {
    json = undefined
  }
  return { status: final.status, statusText: final.statusText, body: final.body, json }
}

export const simulator = (options: SimulatorOptions = {}) => makeSimulator({ verifyResults: true, ...options })

export const upidPath = (node: string, upid: string, suffix: string) =>
  `/nodes/${node}/tasks/${encodeURIComponent(upid)}/${suffix}`
