// Memory: peak RSS after 1,000 mixed calls, bare and with flags, beside the floor after as many calls; and the
// growth of resident memory from call 1,000 to call 10,000 (a leak check), beside the floor's over as many.
import type { JsonRpcChild } from "../jsonRpcChild.js"
import { floorCall, initialize, isFailure, type Launch, rssMiB, serverOnSimulator, spawnFloor } from "./servers.js"
import { type Row, row } from "./stats.js"

const mix = (vmid: number, node: string) =>
  [
    ["pve_list_guests", {}],
    ["pve_cluster_resources", {}],
    ["pve_guest_status", { vmid, node }],
    ["pve_guest_status", { vmid }],
    ["pve_node_status", { node }],
    ["pve_cluster_status", {}]
  ] as const

interface MemoryFigures {
  readonly peakAfterFirst: number
  readonly currentAfterFirst: number
  readonly currentAfterAll: number
  readonly failures: number
}

/** `first` calls, the peak then; then up to `all` calls, the resident memory at both points. */
const drive = async (
  session: JsonRpcChild,
  call: (i: number) => Promise<unknown>,
  first: number,
  all: number
): Promise<MemoryFigures> => {
  let failures = 0
  for (let i = 0; i < first; i++) if (isFailure(await call(i))) failures++
  const atFirst = rssMiB(session.pid)
  for (let i = first; i < all; i++) if (isFailure(await call(i))) failures++
  return {
    peakAfterFirst: atFirst.peak,
    currentAfterFirst: atFirst.current,
    currentAfterAll: rssMiB(session.pid).current,
    failures
  }
}

const ofServer = async (launch: Launch, first: number, all: number) => {
  const server = await serverOnSimulator(launch)
  const guest = [...server.sim.sim.model.guests.values()].find((g) => g.config.template === undefined)!
  const calls = mix(guest.vmid, guest.node)
  const figures = await drive(
    server.session,
    (i) => {
      const [name, args] = calls[i % calls.length]!
      return server.session.request("tools/call", { name, arguments: args })
    },
    first,
    all
  )
  await server.close()
  return figures
}

const ofFloor = async (first: number, all: number) => {
  const floor = spawnFloor()
  await initialize(floor)
  const figures = await drive(floor, () => floorCall(floor), first, all)
  await floor.close()
  return figures
}

export const memoryRows = async (first: number, all: number): Promise<ReadonlyArray<Row>> => {
  const floor = await ofFloor(first, all)
  const bare = await ofServer("bare", first, all)
  const flags = await ofServer("flags", first, first)
  const growth = bare.currentAfterAll - bare.currentAfterFirst
  const floorGrowth = floor.currentAfterAll - floor.currentAfterFirst
  const section = "memory"
  return [
    row({ section, figure: `floor: peak RSS after ${first} calls`, value: floor.peakAfterFirst, unit: "MiB" }),
    row({
      section,
      figure: `bare: peak RSS after ${first} mixed calls`,
      value: bare.peakAfterFirst,
      unit: "MiB",
      floor: floor.peakAfterFirst,
      target: "<= 1.2x floor",
      met: bare.peakAfterFirst <= 1.2 * floor.peakAfterFirst
    }),
    row({
      section,
      figure: `flags: peak RSS after ${first} mixed calls`,
      value: flags.peakAfterFirst,
      unit: "MiB",
      floor: floor.peakAfterFirst
    }),
    row({
      section,
      figure: `bare: RSS growth, call ${first} -> ${all}`,
      value: growth,
      unit: "MiB",
      floor: floorGrowth,
      // resident memory moves by a MiB or two with GC timing alone: "no growth" is within 2 MiB of the floor's
      ratio: growth / Math.max(floor.currentAfterFirst, 1),
      target: "no growth (<= floor's + 2 MiB)",
      met: growth <= floorGrowth + 2
    }),
    row({
      section,
      figure: "failed calls",
      value: bare.failures + flags.failures,
      unit: "",
      target: "0",
      met: bare.failures + flags.failures === 0
    })
  ]
}
