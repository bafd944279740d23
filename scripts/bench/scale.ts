// Scale: on the 10,000-guest simulated cluster, the first page and the full walk of pve_list_guests, and
// pve_cluster_resources filtered: latency (beside the floor's MCP round trip) and answer size.

import { floorRoundTrips, timeCalls } from "./perCall.js"
import { isFailure, serverOnSimulator } from "./servers.js"
import { median, type Row, row } from "./stats.js"

interface Answer {
  readonly structuredContent?: { nextCursor?: string; total?: number; count?: number }
}

const bytes = (answer: unknown) => Buffer.byteLength(JSON.stringify(answer))

/** `maxPages`: the walk stops after so many pages (--quick); the figure says how many it walked. */
export const scaleRows = async (runs: number, maxPages = Number.POSITIVE_INFINITY): Promise<ReadonlyArray<Row>> => {
  const floor = median(await floorRoundTrips(100))
  const server = await serverOnSimulator("bare", "large")
  const call = (name: string, args: object) => server.session.request("tools/call", { name, arguments: args })
  const node = [...server.sim.sim.model.nodes.keys()][7]!
  const section = "scale (10,000 guests)"
  const rows: Array<Row> = [
    row({ section, figure: "guests in the cluster", value: server.sim.sim.model.guests.size, unit: "" })
  ]
  let failures = 0
  const measure = async (figure: string, name: string, args: object) => {
    await call(name, args)
    let size = 0
    const { times, failures: failed } = await timeCalls(runs, async () => {
      const answer = await call(name, args)
      size = bytes(answer)
      return answer
    })
    failures += failed
    rows.push(
      row({ section, figure: `${figure}, median of ${runs}`, value: median(times), unit: "ms", floor }),
      row({ section, figure: `${figure}, answer size`, value: size, unit: "B" })
    )
  }
  await measure("pve_list_guests first page", "pve_list_guests", {})
  await measure("pve_cluster_resources type=vm node status=running", "pve_cluster_resources", {
    type: "vm",
    node,
    status: "running"
  })
  // the full walk: every page of 500 until there is no nextCursor
  const walks: Array<number> = []
  let pages = 0
  let walkBytes = 0
  let rowsSeen = 0
  let cursor: string | undefined
  for (let r = 0; r < Math.max(1, Math.floor(runs / 5)); r++) {
    const t0 = performance.now()
    cursor = undefined
    pages = 0
    walkBytes = 0
    rowsSeen = 0
    do {
      const answer = (await call("pve_list_guests", { limit: 500, ...(cursor ? { cursor } : {}) })) as Answer
      if (isFailure(answer)) {
        failures++
        break
      }
      pages++
      walkBytes += bytes(answer)
      rowsSeen += answer.structuredContent?.count ?? 0
      cursor = answer.structuredContent?.nextCursor
    } while (cursor !== undefined && pages < maxPages)
    walks.push(performance.now() - t0)
  }
  await server.close()
  rows.push(
    row({
      section,
      figure: `pve_list_guests ${cursor === undefined ? "full walk" : "walk, first"} (${pages} pages, ${rowsSeen} rows)`,
      value: median(walks),
      unit: "ms",
      floor
    }),
    row({ section, figure: "pve_list_guests walk, answer bytes in all", value: walkBytes, unit: "B" }),
    row({ section, figure: "failed calls", value: failures, unit: "", target: "0", met: failures === 0 })
  )
  return rows
}
