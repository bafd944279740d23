// Start-up: spawn -> initialize answered and spawn -> tools/list answered, read-only and full, bare and with flags.
import type { JsonRpcChild } from "../jsonRpcChild.js"
import { initialize, type Launch, spawnFloor, spawnServer, unreachableEnv } from "./servers.js"
import { median, p90, type Row, row } from "./stats.js"

interface StartupSamples {
  readonly initialize: Array<number>
  readonly toolsList: Array<number>
}

const sampleOnce = async (spawn: () => JsonRpcChild, into: StartupSamples) => {
  const t0 = performance.now()
  const session = spawn()
  await initialize(session)
  into.initialize.push(performance.now() - t0)
  await session.request("tools/list")
  into.toolsList.push(performance.now() - t0)
  await session.close()
}

/**
 * One start of each (the floor, then every configuration) per round, `runs` rounds: a change of load on this
 * shared machine then falls on every series alike (measured a series after another, read-only came out slower
 * than full because it ran first).
 */
const sampleInTurn = async (spawns: ReadonlyArray<() => JsonRpcChild>, runs: number) => {
  const samples = spawns.map((): StartupSamples => ({ initialize: [], toolsList: [] }))
  for (let i = 0; i < runs; i++) {
    for (const [k, spawn] of spawns.entries()) await sampleOnce(spawn, samples[k]!)
  }
  return samples
}

const configs: ReadonlyArray<readonly [string, Launch, Record<string, string>]> = [
  ["read-only, bare", "bare", {}],
  ["read-only, flags", "flags", {}],
  ["full, bare", "bare", { PVE_READONLY: "false" }],
  ["full, flags", "flags", { PVE_READONLY: "false" }]
]

export const startupRows = async (runs: number): Promise<ReadonlyArray<Row>> => {
  const [floor, ...measured] = await sampleInTurn(
    [
      spawnFloor,
      ...configs.map(
        ([, launch, env]) =>
          () =>
            spawnServer(launch, { ...unreachableEnv, ...env })
      )
    ],
    runs
  )
  const rows: Array<Row> = [
    row({
      section: "start-up",
      figure: `floor: spawn -> tools/list, median of ${runs}`,
      value: median(floor!.toolsList),
      unit: "ms"
    })
  ]
  for (const [k, [label]] of configs.entries()) {
    const s = measured[k]!
    for (const [what, times, floorTimes] of [
      ["initialize", s.initialize, floor!.initialize],
      ["tools/list", s.toolsList, floor!.toolsList]
    ] as const) {
      const full = label.startsWith("full") && what === "tools/list"
      for (const [stat, f] of [
        ["median", median],
        ["p90", p90]
      ] as const) {
        const value = f(times)
        const floorValue = f(floorTimes)
        rows.push(
          row({
            section: "start-up",
            figure: `${label}: spawn -> ${what}, ${stat} of ${runs}`,
            value,
            unit: "ms",
            floor: floorValue,
            ...(full && stat === "median" ? { target: "<= 1.3x floor", met: value <= 1.3 * floorValue } : {})
          })
        )
      }
    }
  }
  return rows
}
