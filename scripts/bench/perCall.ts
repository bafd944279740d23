// Per-call cost: pve_guest_status through MCP, a direct GET of the same path from this process, the floor's own
// MCP round trip and the floor relaying one GET, in blocks taken in turn in the same run.
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../../sim/Simulator.js"
import type { JsonRpcChild } from "../jsonRpcChild.js"
import { floorCall, initialize, isFailure, type Launch, serverOnSimulator, spawnFloor, spawnRelay } from "./servers.js"
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

/**
 * The series in blocks taken in turn (five rounds of one block each): a block keeps its process warm, as a client's
 * calls do, and the rounds spread the load of this shared machine over every series (series measured one after
 * another differed by 2x when the load changed between them; one call of each in turn wakes every process cold).
 */
const ROUNDS = 5
const timeInTurn = async (calls: number, series: ReadonlyArray<() => Promise<unknown>>) => {
  const results = series.map(() => ({ times: [] as Array<number>, failures: 0 }))
  for (const call of series) for (let i = 0; i < warmUp; i++) await call()
  const block = Math.ceil(calls / ROUNDS)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, call] of series.entries()) {
      const measured = await timeCalls(block, call)
      results[k]!.times.push(...measured.times)
      results[k]!.failures += measured.failures
    }
  }
  return results
}

export const perCallRows = async (calls: number, launch: Launch = "bare"): Promise<ReadonlyArray<Row>> => {
  const floorServer: JsonRpcChild = spawnFloor()
  await initialize(floorServer)
  const server = await serverOnSimulator(launch)
  const guest = [...server.sim.sim.model.guests.values()].find((g) => g.config.template === undefined)!
  const headers = { authorization: `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}` }
  const url = `${server.sim.url}/api2/json/nodes/${guest.node}/${guest.type}/${guest.vmid}/status/current`
  // the least a server that reads Proxmox can cost: the floor's SDK server relaying one GET of the same path
  const relay = spawnRelay(url, headers.authorization)
  await initialize(relay)
  const [floorSeries, mcp, byVmid, direct, relayed] = await timeInTurn(calls, [
    () => floorCall(floorServer),
    () =>
      server.session.request("tools/call", {
        name: "pve_guest_status",
        arguments: { vmid: guest.vmid, node: guest.node }
      }),
    () => server.session.request("tools/call", { name: "pve_guest_status", arguments: { vmid: guest.vmid } }),
    () => fetch(url, { headers }).then((r) => r.text()),
    () => relay.request("tools/call", { name: "get", arguments: {} })
  ])
  const floor = floorSeries!.times
  await relay.close()
  await floorServer.close()
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
    const overhead = f(mcp!.times) - f(direct!.times)
    const figures: ReadonlyArray<readonly [string, number]> = [
      ["pve_guest_status (node given) through MCP", f(mcp!.times)],
      ["pve_guest_status by vmid alone through MCP", f(byVmid!.times)],
      ["direct GET of the same path", f(direct!.times)],
      ["one-GET relay (SDK only) - direct GET", f(relayed!.times) - f(direct!.times)]
    ]
    for (const [figure, value] of figures) {
      rows.push(row({ section, figure: `${figure}, ${stat}`, value, unit: "ms", floor: f(floor) }))
    }
    rows.push(
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
  const failures = mcp!.failures + byVmid!.failures + relayed!.failures
  rows.push(
    row({
      section,
      figure: "failed calls",
      value: failures,
      unit: "",
      target: "0",
      met: failures === 0
    })
  )
  return rows
}
