// Context cost: what tools/list puts in a model's context, per preset and per toolset.
import { knownServerTools } from "../../src/server.js"
import { initialize, spawnFloor, spawnServer, unreachableEnv } from "./servers.js"
import { type Row, row } from "./stats.js"

interface ListedTool {
  readonly name: string
  readonly description?: string
  readonly inputSchema?: unknown
}

const listBytes = async (session: ReturnType<typeof spawnFloor>) => {
  await initialize(session)
  const { tools } = (await session.request("tools/list")) as { tools: ReadonlyArray<ListedTool> }
  await session.close()
  const core = tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }))
  return { count: tools.length, bytes: JSON.stringify(tools).length, coreBytes: JSON.stringify(core).length }
}

/** `perToolset`: also each toolset alone (--quick leaves them out). */
export const contextRows = async (perToolset = true): Promise<ReadonlyArray<Row>> => {
  const floor = await listBytes(spawnFloor())
  const presets: Array<readonly [string, Record<string, string>]> = [
    ["read-only (default)", {}],
    ["all (PVE_READONLY=false)", { PVE_READONLY: "false" }],
    ["dynamic at start", { PVE_TOOLSETS: "dynamic", PVE_READONLY: "false" }],
    // only toolsets that hold tools: naming another stops the server
    ...(perToolset ? knownServerTools.toolsets : []).map(
      (set) => [`toolset ${set}`, { PVE_TOOLSETS: set, PVE_READONLY: "false" }] as const
    )
  ]
  const rows: Array<Row> = []
  for (const [label, env] of presets) {
    const f = await listBytes(spawnServer("bare", { ...unreachableEnv, ...env }))
    rows.push(
      row({
        section: "context",
        figure: `${label}: ${f.count} tools, tools/list bytes`,
        value: f.bytes,
        unit: "B",
        floor: floor.bytes
      }),
      row({
        section: "context",
        figure: `${label}: name + description + inputSchema`,
        value: f.coreBytes,
        unit: "B",
        floor: floor.coreBytes
      })
    )
  }
  return rows
}
