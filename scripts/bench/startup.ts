// Start-up: spawn -> initialize answered and spawn -> tools/list answered, read-only and full, bare and with flags.
import type { JsonRpcChild } from "../jsonRpcChild.js"
import { initialize, type Launch, spawnFloor, spawnServer, unreachableEnv } from "./servers.js"
import { median, p90, type Row, row } from "./stats.js"

interface StartupSamples {
  readonly initialize: Array<number>
  readonly toolsList: Array<number>
}

const sample = async (spawn: () => JsonRpcChild, runs: number): Promise<StartupSamples> => {
  const samples: StartupSamples = { initialize: [], toolsList: [] }
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const session = spawn()
    await initialize(session)
    samples.initialize.push(performance.now() - t0)
    await session.request("tools/list")
    samples.toolsList.push(performance.now() - t0)
    await session.close()
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
  const floor = await sample(spawnFloor, runs)
  const rows: Array<Row> = [
    row({
      section: "start-up",
      figure: `floor: spawn -> tools/list, median of ${runs}`,
      value: median(floor.toolsList),
      unit: "ms"
    })
  ]
  for (const [label, launch, env] of configs) {
    const s = await sample(() => spawnServer(launch, { ...unreachableEnv, ...env }), runs)
    for (const [what, times, floorTimes] of [
      ["initialize", s.initialize, floor.initialize],
      ["tools/list", s.toolsList, floor.toolsList]
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
