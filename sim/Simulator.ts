/**
 * A simulated Proxmox VE 9 cluster behind one synchronous `handle(request)`: the in-process wire
 * and the HTTP(S) server both sit on it. Deterministic for a seed; tasks progress with the (injectable) clock.
 */
import { type ApiSchema, makeApiSchema } from "../src/proxmox/ApiSchema.js"
import { apiSchemaData } from "../src/proxmox/generated/apiSchemaData.js"
import { type AclEntry, makeAuth } from "./auth.js"
import { makeRequestFaults, type RequestFault } from "./faults.js"
import { generateCluster } from "./generate.js"
import { makeHandler, type RecordedRequest, type SimRequest, type SimResponse } from "./handler.js"
import type { ClusterModel, Guest, Task } from "./model.js"
import { accessRoutes } from "./routes/access.js"
import { agentRoutes } from "./routes/agent.js"
import { applianceRoutes } from "./routes/appliances.js"
import { backupRoutes } from "./routes/backup.js"
import { clusterRoutes } from "./routes/cluster.js"
import { firewallRoutes } from "./routes/firewall.js"
import { guestRoutes } from "./routes/guests.js"
import { haRoutes } from "./routes/ha.js"
import { lifecycleRoutes } from "./routes/lifecycle.js"
import { logRoutes } from "./routes/logs.js"
import { metricsRoutes } from "./routes/metrics.js"
import { networkRoutes } from "./routes/network.js"
import { nodeRoutes } from "./routes/nodes.js"
import { poolRoutes } from "./routes/pools.js"
import { powerRoutes } from "./routes/power.js"
import { replicationRoutes } from "./routes/replication.js"
import { snapshotRoutes } from "./routes/snapshots.js"
import { storageRoutes } from "./routes/storage.js"
import { taskRoutes } from "./routes/tasks.js"
import type { Route, SimState } from "./routing.js"
import { makeTaskEngine } from "./tasks.js"

export type { AclEntry } from "./auth.js"
export type { RequestFault } from "./faults.js"
export type { RecordedRequest, SimRequest, SimResponse } from "./handler.js"

export const SIM_TOKEN_ID = "root@pam!mcp"
export const SIM_TOKEN_SECRET = "5f1d2a0e-6c3b-4f7a-9d8e-0b1c2d3e4f50"
export const SIM_USER = "root@pam"
export const SIM_PASSWORD = "simulator"

export interface SimulatorOptions {
  /** Seed of the generated cluster (default 1). */
  readonly seed?: number
  /** tiny = 1 node; small = 3 nodes (default); large = 50 nodes x 10,000 guests. */
  readonly size?: "tiny" | "small" | "large"
  readonly nodes?: number
  /** Default running time of a task (default 300 ms). */
  readonly taskDurationMs?: number
  /** Per worker type (`qmstart`, `vzdump`, …). */
  readonly taskDurations?: Readonly<Record<string, number>>
  /** Ticket and CSRF token lifetime (default 2 h, as PVE). */
  readonly ticketLifetimeMs?: number
  /** Clock (epoch ms); defaults to Date.now. Tests can step it. */
  readonly now?: () => number
  /** Check every answer against apidata.json `returns` (500 "Result verification failed" on mismatch). */
  readonly verifyResults?: boolean
  /**
   * Nodes that start offline (and are again after `faults.clear()`): /cluster/resources lists their guests as
   * "unknown", calls proxied to them answer 595. The node the client talks to offline drops every connection.
   */
  readonly offlineNodes?: ReadonlyArray<string>
}

export interface SimulatorFaults {
  add(fault: RequestFault): void
  /** The next task (of this worker type, if given) stops with this exit status instead of its own. */
  failNextTask(fault: { readonly type?: string; readonly exitStatus: string }): void
  /** The next task (of this worker type, if given) runs until stopped by request. */
  hangNextTask(fault?: { readonly type?: string }): void
  /** Every ticket issued so far stops working (the next request with one gets 401). */
  expireTickets(): void
  setNodeOnline(node: string, online: boolean): void
  clear(): void
}

export interface SimModel extends ClusterModel {
  /** The guest with this VMID (throws when absent: a test bug). */
  guest(vmid: number): Guest
  task(upid: string): Task | undefined
  /** Brings every task whose time has come to its end (reads do this by themselves). */
  advance(): void
}

export interface Simulator {
  handle(request: SimRequest): SimResponse
  readonly requests: ReadonlyArray<RecordedRequest>
  clearRequests(): void
  readonly model: SimModel
  readonly faults: SimulatorFaults
  readonly schema: ApiSchema
  addToken(token: { readonly tokenid: string; readonly secret: string; readonly acl: ReadonlyArray<AclEntry> }): void
  addUser(user: { readonly userid: string; readonly password: string; readonly acl: ReadonlyArray<AclEntry> }): void
}

/** Endpoints the simulator implements, keyed `METHOD /template`. */
export const simulatedRoutes: Readonly<Record<string, Route>> = {
  ...clusterRoutes,
  ...nodeRoutes,
  ...guestRoutes,
  ...powerRoutes,
  ...taskRoutes,
  ...accessRoutes,
  ...snapshotRoutes,
  ...lifecycleRoutes,
  ...storageRoutes,
  ...backupRoutes,
  ...networkRoutes,
  ...poolRoutes,
  ...haRoutes,
  ...replicationRoutes,
  ...agentRoutes,
  ...metricsRoutes,
  ...logRoutes,
  ...applianceRoutes,
  ...firewallRoutes
}

let sharedSchema: ApiSchema | undefined

export const makeSimulator = (options: SimulatorOptions = {}): Simulator => {
  const now = options.now ?? Date.now
  const seed = options.seed ?? 1
  sharedSchema ??= makeApiSchema(apiSchemaData)
  const schema = sharedSchema
  const cluster = generateCluster({ seed, size: options.size ?? "small", nodes: options.nodes, now: now() })
  const startsOffline = new Set(options.offlineNodes ?? [])
  for (const name of startsOffline) {
    const node = cluster.nodes.get(name)
    if (node === undefined) throw new Error(`offlineNodes: the simulated cluster has no node ${name}`)
    node.online = false
  }
  const timing = { defaultDurationMs: options.taskDurationMs ?? 300, durations: options.taskDurations ?? {} }
  const tasks = makeTaskEngine(cluster, timing, now)
  const auth = makeAuth({ seed, ticketLifetimeMs: options.ticketLifetimeMs ?? 2 * 3600 * 1000, now })
  auth.addToken(SIM_TOKEN_ID, SIM_TOKEN_SECRET, [{ path: "/", privs: ["Administrator"], propagate: true }])
  auth.addUser(SIM_USER, SIM_PASSWORD, [{ path: "/", privs: ["Administrator"], propagate: true }])

  const state: SimState = {
    model: cluster,
    tasks,
    auth,
    schema,
    now,
    taskDuration: (type) => timing.durations[type] ?? timing.defaultDurationMs
  }
  const requestFaults = makeRequestFaults()
  const recorded: Array<RecordedRequest> = []
  const handle = makeHandler(state, simulatedRoutes, requestFaults, recorded, {
    verifyResults: options.verifyResults ?? false
  })

  const model: SimModel = Object.assign(cluster, {
    guest: (vmid: number): Guest => {
      const guest = cluster.guests.get(vmid)
      if (guest === undefined) throw new Error(`simulator has no guest ${vmid}`)
      return guest
    },
    task: (upid: string) => cluster.tasks.get(upid),
    advance: () => tasks.advance()
  })

  return {
    handle,
    requests: recorded,
    clearRequests: () => {
      recorded.length = 0
    },
    model,
    schema,
    faults: {
      add: (fault) => requestFaults.add(fault),
      failNextTask: (fault) => tasks.failNext(fault.type, fault.exitStatus),
      hangNextTask: (fault) => tasks.hangNext(fault?.type),
      expireTickets: () => auth.expireTickets(),
      setNodeOnline: (name, online) => {
        const node = cluster.nodes.get(name)
        if (node === undefined) throw new Error(`simulator has no node ${name}`)
        node.online = online
      },
      clear: () => {
        requestFaults.clear()
        tasks.clearFaults()
        for (const node of cluster.nodes.values()) node.online = !startsOffline.has(node.name)
      }
    },
    addToken: (token) => auth.addToken(token.tokenid, token.secret, token.acl),
    addUser: (user) => auth.addUser(user.userid, user.password, user.acl)
  }
}
