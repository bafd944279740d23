/**
 * Benchmark of the large simulated cluster (50 nodes x 10,000 guests): generation time and the median latency
 * of `GET /cluster/resources`, in-process and over loopback HTTP. Target: < 100 ms.
 *
 * Run: npx tsx scripts/bench-sim.ts [--runs 20]
 */
import { request } from "node:http"
import { parseArgs } from "node:util"
import { makeSimulator, SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../sim/Simulator.js"
import { startSimServer } from "../sim/server.js"

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" } } })
const runs = Number(values.runs)
const authorization = `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}`

const median = (samples: ReadonlyArray<number>): number => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const generationStart = performance.now()
const sim = makeSimulator({ size: "large" })
const generationMs = performance.now() - generationStart

const inProcess: Array<number> = []
let entries = 0
for (let i = 0; i < runs; i++) {
  const start = performance.now()
  const response = sim.handle({
    method: "GET",
    url: "https://127.0.0.1:8006/api2/json/cluster/resources",
    headers: { authorization }
  })
  inProcess.push(performance.now() - start)
  if (response.status !== 200) throw new Error(`cluster/resources answered ${response.status}`)
  entries = (JSON.parse(response.body) as { data: Array<unknown> }).data.length
}

const server = await startSimServer({ simulator: { size: "large" } })
const overHttp: Array<number> = []
for (let i = 0; i < runs; i++) {
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    const req = request(`${server.url}/api2/json/cluster/resources`, { headers: { authorization } }, (response) => {
      response.resume()
      response.on("end", () =>
        response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))
      )
    })
    req.on("error", reject)
    req.end()
  })
  overHttp.push(performance.now() - start)
}
await server.close()

const line = (label: string, value: string) => process.stdout.write(`${label.padEnd(44)} ${value}\n`)
line("large cluster (nodes / guests)", `${sim.model.nodes.size} / ${sim.model.guests.size}`)
line("generation", `${generationMs.toFixed(0)} ms`)
line("/cluster/resources entries", String(entries))
line(`/cluster/resources in-process median (${runs})`, `${median(inProcess).toFixed(1)} ms`)
line(`/cluster/resources over HTTP median (${runs})`, `${median(overHttp).toFixed(1)} ms`)
line("target", "< 100 ms")
