/**
 * The built server (dist/proxmox-mcp.js) spawned as an HTTP service on a free loopback port, and real MCP clients
 * of both generations connected to it over streamable HTTP (v2: 2026-07-28, stateless; v1: 2025-11-25, a session)
 * or over the legacy HTTP+SSE transport (the v1 SSE client).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { StreamableHTTPClientTransport as HttpTransportV2 } from "@modelcontextprotocol/client"
import { SSEClientTransport as SseTransportV1 } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport as HttpTransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import {
  type ClientGeneration,
  type ConnectedClient,
  connectClient,
  type ElicitationAnswer,
  SERVER_BIN
} from "./mcpClient.js"

export interface HttpServerProcess {
  /** the MCP endpoint, e.g. http://127.0.0.1:41234/mcp */
  readonly url: string
  readonly child: ChildProcess
  readonly stderr: () => string
  /** resolves with the exit code once the process is gone */
  readonly exited: Promise<number | null>
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const key of ["PATH", "HOME", "SYSTEMROOT"]) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  return env
}

/** Spawns the server and waits for its start line (which names the URL); rejects with its stderr when it exits. */
export const startHttpServerProcess = (
  env: Record<string, string>,
  args: ReadonlyArray<string> = ["--transport", "streamable-http"]
): Promise<HttpServerProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_BIN, ...args], {
      env: { ...baseEnv(), MCP_PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
    let started = false
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      const match = /over [a-z-]+ at (http:\/\/\S+?)[ ,"]/.exec(stderr)
      if (!started && match) {
        started = true
        resolve({
          url: match[1]!,
          child,
          stderr: () => stderr,
          exited,
          stop: async (signal = "SIGTERM") => {
            if (child.exitCode === null) child.kill(signal)
            return exited
          }
        })
      }
    })
    void exited.then((code) => {
      if (!started) reject(new Error(`the server exited (${code}) before listening:\n${stderr}`))
    })
  })

/** The exit code and stderr of a server that is expected not to start. */
export const runToExit = async (env: Record<string, string>, args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    env: { ...baseEnv(), MCP_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)))
  return { code, stderr }
}

export type HttpFlavour = "streamable-http" | "sse"

export interface HttpConnectOptions {
  readonly token?: string
  readonly onElicit?: (request: { readonly message: string; readonly requestedSchema: unknown }) => ElicitationAnswer
  readonly flavour?: HttpFlavour
}

/** A real SDK client of the given generation, over HTTP, with `Authorization: Bearer <token>` when given. */
export const connectHttp = (
  generation: ClientGeneration,
  url: string,
  options: HttpConnectOptions = {}
): Promise<ConnectedClient> => {
  const headers: Record<string, string> =
    options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }
  const requestInit = { headers }
  const flavour = options.flavour ?? "streamable-http"
  const transport =
    flavour === "sse"
      ? new SseTransportV1(new URL(url), {
          requestInit,
          eventSourceInit: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...headers } })
          }
        })
      : generation === "v2"
        ? new HttpTransportV2(new URL(url), { requestInit })
        : new HttpTransportV1(new URL(url), { requestInit })
  return connectClient(generation, transport, { name: `http-${generation}`, onElicit: options.onElicit })
}
