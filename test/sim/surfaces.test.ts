/** Faults, the in-process wire and the HTTP(S) server. */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either } from "effect"
import { SIM_TOKEN_ID, SIM_TOKEN_SECRET } from "../../sim/Simulator.js"
import { SimulatorWire } from "../../sim/SimulatorWire.js"
import { startSimServer } from "../../sim/server.js"
import { PveWire, type WireRequest } from "../../src/proxmox/Wire.js"
import { call, simulator, tokenHeader } from "../support/rawSimulator.js"

const authorization = `PVEAPIToken=${SIM_TOKEN_ID}=${SIM_TOKEN_SECRET}`

describe("faults", () => {
  it("answers injected statuses a given number of times, then normally", () => {
    const sim = simulator()
    sim.faults.add({ method: "GET", path: "/nodes/*/status", status: 503, times: 1 })
    expect(call(sim, "GET", "/nodes/pve1/status")).toMatchObject({
      status: 503,
      statusText: "Service Unavailable",
      body: ""
    })
    expect(call(sim, "GET", "/nodes/pve1/status").status).toBe(200)
    sim.faults.add({ path: /^\/cluster\//, status: 596, message: "Connection timed out" })
    expect(call(sim, "GET", "/cluster/status")).toMatchObject({ status: 596, statusText: "Connection timed out" })
    sim.faults.clear()
    expect(call(sim, "GET", "/cluster/status").status).toBe(200)
  })

  it("takes a node offline: 595 for requests proxied to it, online 0 in cluster status", () => {
    const sim = simulator()
    sim.faults.setNodeOnline("pve3", false)
    expect(call(sim, "GET", "/nodes/pve3/qemu")).toMatchObject({
      status: 595,
      statusText: "No route to host",
      body: ""
    })
    const status = call(sim, "GET", "/cluster/status").json?.data as Array<Record<string, unknown>>
    expect(status.find((entry) => entry.name === "pve3")?.online).toBe(0)
    const resources = call(sim, "GET", "/cluster/resources", { params: { type: "vm" } }).json?.data as Array<
      Record<string, unknown>
    >
    expect(resources.find((entry) => entry.vmid === 104)?.status).toBe("unknown")
  })
})

describe("SimulatorWire", () => {
  const limits = { maxBytes: 1_000_000, timeoutMs: 30_000 }
  const send = (
    request: Omit<WireRequest, "headers"> & { readonly headers?: Record<string, string> },
    within = limits
  ) => Effect.flatMap(PveWire, (wire) => wire.send({ headers: {}, ...request }, within))
  const get = (path: string) =>
    send({ method: "GET", url: `https://pve.example:8006/api2/json${path}`, headers: { authorization } })

  it.effect("serves requests in-process with PVE's status and body", () => {
    const sim = simulator()
    return Effect.gen(function* () {
      const response = yield* get("/version")
      expect(response.status).toBe(200)
      expect(JSON.parse(response.body)).toMatchObject({ data: { release: "9.1" } })
      const denied = yield* send({ method: "GET", url: "https://pve.example:8006/api2/json/version" })
      expect(denied).toEqual({ status: 401, body: "" })
    }).pipe(Effect.provide(SimulatorWire(sim)))
  })

  it.effect("sends form-encoded writes, and fails a dropped connection and a body over the limit", () => {
    const sim = simulator()
    return Effect.gen(function* () {
      const response = yield* send({
        method: "POST",
        url: "https://pve.example:8006/api2/json/nodes/pve1/qemu/100/snapshot",
        headers: { authorization },
        body: "snapname=via-wire"
      })
      expect(response.status).toBe(200)
      expect(sim.requests.at(-1)?.params).toMatchObject({ snapname: "via-wire" })
      sim.faults.add({ path: "/version", drop: true, times: 1 })
      const dropped = yield* Effect.flip(get("/version"))
      expect(dropped).toMatchObject({ _tag: "ConnectionFailed", cause: { code: "ECONNRESET" } })
      const cut = yield* Effect.flip(
        send(
          { method: "GET", url: "https://pve.example:8006/api2/json/version", headers: { authorization } },
          {
            ...limits,
            maxBytes: 10
          }
        )
      )
      expect(cut._tag).toBe("TooLarge")
    }).pipe(Effect.provide(SimulatorWire(sim)))
  })

  it.live("a delay past the time limit is no answer, and the deferred request never reaches the model", () => {
    const sim = simulator()
    const tasksBefore = sim.model.tasks.size
    sim.faults.add({ path: "/nodes/*/qemu/*/status/start", delayMs: 5_000, times: 1 })
    return Effect.gen(function* () {
      const failure = yield* Effect.flip(
        send(
          {
            method: "POST",
            url: "https://pve.example:8006/api2/json/nodes/pve3/qemu/104/status/start",
            headers: { authorization },
            body: ""
          },
          { ...limits, timeoutMs: 50 }
        )
      )
      expect(failure._tag).toBe("NoAnswer")
      expect(sim.requests.filter((r) => r.path.endsWith("/status/start"))).toHaveLength(1)
      expect(sim.model.tasks.size).toBe(tasksBefore)
    }).pipe(Effect.provide(SimulatorWire(sim)))
  })

  it.live("an interrupted delayed request is recorded once and never reaches the model", () => {
    const sim = simulator()
    // the seeded task history is there before: the interrupted start adds no task
    const tasksBefore = sim.model.tasks.size
    sim.faults.add({ path: "/nodes/*/qemu/*/status/start", delayMs: 5_000, times: 1 })
    return Effect.gen(function* () {
      const result = yield* Effect.either(
        send({
          method: "POST",
          url: "https://pve.example:8006/api2/json/nodes/pve3/qemu/104/status/start",
          headers: { authorization },
          body: ""
        }).pipe(Effect.timeout(Duration.millis(50)))
      )
      expect(Either.isLeft(result)).toBe(true)
      expect(sim.requests.filter((r) => r.path.endsWith("/status/start"))).toHaveLength(1)
      expect(sim.model.tasks.size).toBe(tasksBefore)
    }).pipe(Effect.provide(SimulatorWire(sim)))
  })
})

describe("server", () => {
  it("serves real HTTP on loopback and prints the env line", async () => {
    const server = await startSimServer({ simulator: { size: "tiny" } })
    try {
      expect(server.envLine).toBe(
        `PROXMOX_HOST=${server.url} PROXMOX_TOKEN_ID='${SIM_TOKEN_ID}' PROXMOX_TOKEN_SECRET=${SIM_TOKEN_SECRET} PVE_ALLOW_INSECURE_HTTP=true`
      )
      // pasted into bash as it is printed, the line gives the server exactly these values (the token id's `!` quoted)
      const { execFileSync } = await import("node:child_process")
      const seen = execFileSync("bash", ["-c", `${server.envLine} env`], { encoding: "utf8" }).split("\n")
      expect(seen).toEqual(expect.arrayContaining(Object.entries(server.serverEnv).map(([k, v]) => `${k}=${v}`)))
      const response = await fetch(`${server.url}/api2/json/nodes`, { headers: tokenHeader() })
      expect(response.status).toBe(200)
      expect(((await response.json()) as { data: Array<unknown> }).data).toHaveLength(1)
      const unauthorized = await fetch(`${server.url}/api2/json/nodes`)
      expect([unauthorized.status, unauthorized.statusText, await unauthorized.text()]).toEqual([401, "No ticket", ""])
    } finally {
      await server.close()
    }
  })

  it("serves HTTPS with a generated certificate and names it for PROXMOX_CA_FILE", async () => {
    const server = await startSimServer({ tls: true, simulator: { size: "tiny" } })
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(server.envLine).toContain(`PROXMOX_CA_FILE=${server.caFile}`)
      const { readFileSync } = await import("node:fs")
      const https = await import("node:https")
      const body = await new Promise<string>((resolve, reject) => {
        const req = https.request(
          `${server.url}/api2/json/version`,
          { headers: tokenHeader(), ca: readFileSync(server.caFile!) },
          (res) => {
            let text = ""
            res.on("data", (chunk: Buffer) => (text += chunk.toString()))
            res.on("end", () => resolve(text))
          }
        )
        req.on("error", reject)
        req.end()
      })
      expect(JSON.parse(body)).toMatchObject({ data: { release: "9.1" } })
    } finally {
      await server.close()
    }
  })

  it("refuses to bind a non-loopback address unless allowed", async () => {
    await expect(startSimServer({ host: "0.0.0.0" })).rejects.toThrow(/refusing to bind 0\.0\.0\.0/)
  })
})
