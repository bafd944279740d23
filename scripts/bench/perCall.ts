// Per-call cost: pve_guest_status through MCP, a direct GET of the same path from this process, and the floor's
// own MCP round trip, all in the same run.
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../../sim/Simulator.js"
import type { JsonRpcChild } from "../jsonRpcChild.js"
import { floorCall, initialize, isFailure, type Launch, serverOnSimulator, spawnFloor } from "./servers.js"
import { median, p90, type Row, row } from "./stats.js"

export const timeCalls = async (calls: number, call: () => Promise<unknown>) => {
  const times: Array<number> = []
  let failures = 0
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now()
    if (isFailure(await call())) failures++
    times.push(performance.now() - t0)
  }
  return { times, failures }
}

const warmUp = 30

export const floorRoundTrips = async (calls: number) => {
  const floor: JsonRpcChild = spawnFloor()
  await initialize(floor)
  await timeCalls(warmUp, () => floorCall(floor))
  const { times } = await timeCalls(calls, () => floorCall(floor))
  await floor.close()
  return times
}

export const perCallRows = async (calls: number, launch: Launch = "bare"): Promise<ReadonlyArray<Row>> => {
  const floor = await floorRoundTrips(calls)
  const server = await serverOnSimulator(launch)
  const guest = [...server.sim.sim.model.guests.values()].find((g) => g.config.template === undefined)!
  const args = { vmid: guest.vmid, node: guest.node }
  const call = () => server.session.request("tools/call", { name: "pve_guest_status", arguments: args })
  await timeCalls(warmUp, call)
  const mcp = await timeCalls(calls, call)
  const byVmid = await timeCalls(calls, () =>
    server.session.request("tools/call", { name: "pve_guest_status", arguments: { vmid: guest.vmid } })
  )
  const headers = { authorization: `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}` }
  const url = `${server.sim.url}/api2/json/nodes/${guest.node}/${guest.type}/${guest.vmid}/status/current`
  const get = () => fetch(url, { headers }).then((r) => r.text())
  await timeCalls(warmUp, get)
  const direct = await timeCalls(calls, get)
  await server.close()
  const section = `per-call (${launch})`
  const rows: Array<Row> = [
    row({ section, figure: `floor: its own MCP round trip, median of ${calls}`, value: median(floor), unit: "ms" }),
    row({ section, figure: `floor: its own MCP round trip, p90`, value: p90(floor), unit: "ms" })
  ]
  for (const [stat, f] of [
    ["median", median],
    ["p90", p90]
  ] as const) {
    const overhead = f(mcp.times) - f(direct.times)
    rows.push(
      row({
        section,
        figure: `pve_guest_status (node given) through MCP, ${stat}`,
        value: f(mcp.times),
        unit: "ms",
        floor: f(floor)
      }),
      row({
        section,
        figure: `pve_guest_status by vmid alone through MCP, ${stat}`,
        value: f(byVmid.times),
        unit: "ms",
        floor: f(floor)
      }),
      row({
        section,
        figure: `direct GET of the same path, ${stat}`,
        value: f(direct.times),
        unit: "ms",
        floor: f(floor)
      }),
      row({
        section,
        figure: `MCP call - direct GET, ${stat}`,
        value: overhead,
        unit: "ms",
        floor: f(floor),
        ...(stat === "median" ? { target: "<= 2x floor", met: overhead <= 2 * f(floor) } : {})
      })
    )
  }
  rows.push(
    row({
      section,
      figure: "failed calls",
      value: mcp.failures + byVmid.failures,
      unit: "",
      target: "0",
      met: mcp.failures + byVmid.failures === 0
    })
  )
  return rows
}
