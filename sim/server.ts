/**
 * The simulator over real HTTP or HTTPS, on loopback only unless told otherwise, for curl, the MCP server and
 * the benchmarks.
 *
 *   npm run sim -- --port 8006 [--tls] [--size tiny|small|large] [--seed N] [--offline pve2,…]
 *                  [--host 127.0.0.1 [--allow-remote]]
 *
 * The first stdout line is the environment for the MCP server (token, host, and the CA file or the insecure-HTTP
 * opt-in). With --tls a self-signed certificate for 127.0.0.1/localhost is generated at start with openssl.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { isIP } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { makeRequestFaults, type RequestFault } from "./faults.js"
import { makeSimulator, SIM_TOKEN_ID, SIM_TOKEN_SECRET, type Simulator, type SimulatorOptions } from "./Simulator.js"

export interface SimServerOptions {
  readonly port?: number
  readonly host?: string
  readonly tls?: boolean
  /** Needed to bind anything but a loopback address. */
  readonly allowRemote?: boolean
  readonly simulator?: SimulatorOptions
}

/** An answer of `bytes` bytes, streamed as fast as the client reads it: a huge or (practically) endless body. */
export interface HugeBodyFault extends Pick<RequestFault, "method" | "path" | "times"> {
  readonly bytes: number
  /** send Content-Length (otherwise the body is chunked, its size unannounced) */
  readonly declareLength?: boolean
}

/** What the server wrote of one huge body before the client stopped reading or it was complete. */
export interface StreamedBody {
  readonly path: string
  bytesSent: number
  complete: boolean
}

export interface RunningSimServer {
  readonly sim: Simulator
  /** Huge bodies are an HTTP matter, so they are served here rather than by the simulated API. */
  readonly hugeBodies: {
    add(fault: HugeBodyFault): void
    /** every huge body served so far, settled once its connection closed or it was complete */
    readonly served: ReadonlyArray<Promise<StreamedBody>>
  }
  /** connections accepted so far */
  readonly connections: () => number
  readonly url: string
  readonly port: number
  /** The certificate to trust (PROXMOX_CA_FILE), with --tls. */
  readonly caFile: string | undefined
  /** the environment that points the server at this simulator, with its token (and its CA when on TLS) */
  readonly serverEnv: Readonly<Record<string, string>>
  /** the same as the line to paste into the MCP server's environment, as `npm run sim` prints it */
  readonly envLine: string
  close(): Promise<void>
}

/** `value` as one shell word: bare when it is plainly safe, else in single quotes (which bash leaves as they are). */
export const shellQuote = (value: string): string =>
  /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`

export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."))

/** A throwaway self-signed certificate (EC P-256, fast to make) valid for 127.0.0.1, ::1 and localhost. */
const selfSignedCertificate = () => {
  const dir = mkdtempSync(join(tmpdir(), "pve-sim-"))
  const keyFile = join(dir, "key.pem")
  const certFile = join(dir, "cert.pem")
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "7",
      "-subj",
      "/CN=pve-simulator",
      "-addext",
      "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
      "-addext",
      "basicConstraints=critical,CA:TRUE"
    ],
    { stdio: "ignore" }
  )
  return { dir, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) }
}

const readBody = (request: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const headerRecord = (request: http.IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return headers
}

const HUGE_BODY_CHUNK = Buffer.alloc(64 * 1024, "x")

/** Writes `{"data":"xxx…` up to `bytes`, chunk by chunk, waiting for the client to read; stops when it goes away. */
const streamHugeBody = (response: http.ServerResponse, path: string, fault: HugeBodyFault): Promise<StreamedBody> =>
  new Promise((resolve) => {
    const streamed: StreamedBody = { path, bytesSent: 0, complete: false }
    const head = Buffer.from('{"data":"')
    response.writeHead(200, "OK", {
      "content-type": "application/json;charset=UTF-8",
      ...(fault.declareLength ? { "content-length": fault.bytes } : {})
    })
    let closed = false
    response.on("close", () => {
      closed = true
      resolve(streamed)
    })
    const writeMore = () => {
      while (!closed && streamed.bytesSent < fault.bytes) {
        const first = streamed.bytesSent === 0 ? head : HUGE_BODY_CHUNK
        const chunk = first.subarray(0, Math.min(first.length, fault.bytes - streamed.bytesSent))
        streamed.bytesSent += chunk.length
        if (!response.write(chunk)) return void response.once("drain", writeMore)
      }
      if (!closed) {
        streamed.complete = true
        response.end()
      }
    }
    writeMore()
  })

export const startSimServer = async (options: SimServerOptions = {}): Promise<RunningSimServer> => {
  const host = options.host ?? "127.0.0.1"
  if (!isLoopback(host) && !options.allowRemote) {
    throw new Error(`refusing to bind ${host}: the simulator serves loopback only unless --allow-remote is given`)
  }
  const sim = makeSimulator(options.simulator)
  const certificate = options.tls ? selfSignedCertificate() : undefined
  const sockets = new Set<import("node:net").Socket>()
  let connections = 0
  const hugeBodyFaults = makeRequestFaults<HugeBodyFault>()
  const served: Array<Promise<StreamedBody>> = []

  const listener: http.RequestListener = (request, response) => {
    void (async () => {
      const body = await readBody(request)
      const path = new URL(request.url ?? "/", "http://sim").pathname.replace(/^\/api2\/json/, "")
      const huge = hugeBodyFaults.take(request.method ?? "GET", path)
      if (huge !== undefined) {
        served.push(streamHugeBody(response, path, huge))
        return
      }
      let aborted = false
      response.on("close", () => {
        aborted = !response.writableFinished
      })
      let answer = sim.handle({
        method: request.method ?? "GET",
        url: `http://${host}${request.url ?? "/"}`,
        headers: headerRecord(request),
        body: body === "" ? undefined : body
      })
      if (answer.delayMs !== undefined && answer.delayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, answer.delayMs))
      }
      if (aborted) return
      if (answer.deferred !== undefined) answer = answer.deferred()
      if (answer.drop) {
        request.socket.destroy()
        return
      }
      response.writeHead(answer.status, answer.statusText, {
        ...answer.headers,
        ...(answer.body === "" ? {} : { "content-length": Buffer.byteLength(answer.body) })
      })
      response.end(answer.body)
    })().catch((error: unknown) => {
      response.writeHead(500, "simulator failure")
      response.end(String(error))
    })
  }

  const server = certificate
    ? https.createServer({ key: certificate.key, cert: certificate.cert }, listener)
    : http.createServer(listener)
  server.on("connection", (socket) => {
    connections++
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0)
  const shownHost = host.includes(":") ? `[${host}]` : host
  const url = `${certificate ? "https" : "http"}://${shownHost}:${port}`
  const serverEnv: Record<string, string> = {
    PROXMOX_HOST: url,
    PROXMOX_TOKEN_ID: SIM_TOKEN_ID,
    PROXMOX_TOKEN_SECRET: SIM_TOKEN_SECRET,
    ...(certificate ? { PROXMOX_CA_FILE: certificate.certFile } : { PVE_ALLOW_INSECURE_HTTP: "true" })
  }
  // single-quoted for the shell: the token id's `!` would otherwise be bash history expansion ("event not found")
  const envLine = Object.entries(serverEnv)
    .map(([name, value]) => `${name}=${shellQuote(value)}`)
    .join(" ")
  return {
    sim,
    hugeBodies: { add: hugeBodyFaults.add, served },
    connections: () => connections,
    url,
    port,
    caFile: certificate?.certFile,
    serverEnv,
    envLine,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => {
          if (certificate) rmSync(certificate.dir, { recursive: true, force: true })
          resolve()
        })
      })
  }
}

const main = async () => {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8006" },
      host: { type: "string", default: "127.0.0.1" },
      tls: { type: "boolean", default: false },
      "allow-remote": { type: "boolean", default: false },
      size: { type: "string", default: "small" },
      seed: { type: "string", default: "1" },
      "task-duration-ms": { type: "string" },
      offline: { type: "string" }
    }
  })
  const size = values.size
  if (size !== "tiny" && size !== "small" && size !== "large") throw new Error(`--size must be tiny, small or large`)
  const running = await startSimServer({
    port: Number(values.port),
    host: values.host,
    tls: values.tls,
    allowRemote: values["allow-remote"],
    simulator: {
      size,
      seed: Number(values.seed),
      ...(values.offline === undefined ? {} : { offlineNodes: values.offline.split(",").filter((n) => n !== "") }),
      ...(values["task-duration-ms"] === undefined ? {} : { taskDurationMs: Number(values["task-duration-ms"]) })
    }
  })
  process.stdout.write(`${running.envLine}\n`)
  process.stderr.write(
    `Proxmox VE simulator (${size}, ${running.sim.model.nodes.size} nodes, ${running.sim.model.guests.size} guests) on ${running.url}/api2/json\n`
  )
  const stop = () => {
    void running.close().then(() => process.exit(0))
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  })
}
