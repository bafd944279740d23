/** `/version`, `/cluster/status`, `/cluster/resources`, `/cluster/nextid`, `/cluster/tasks`, `/nodes`. */
import { type ClusterModel, type SimNode, storageAvailableOn, storageUsed } from "../model.js"
import { paramError, type Route, type RouteContext } from "../routing.js"
import { guestResource } from "./guestViews.js"
import { taskListEntry } from "./tasks.js"

export const nodeUptime = (node: SimNode, now: number): number => Math.floor((now - node.bootedAt) / 1000)

/** Memory in use on a node: its base load plus its running guests (capped below the total). */
export const nodeMemUsed = (model: ClusterModel, node: SimNode): number => {
  let used = 2 * 1024 ** 3
  for (const guest of model.guests.values()) {
    if (guest.node === node.name && guest.status === "running")
      used += Math.floor(Number(guest.config.memory ?? 512) * 0.6 * 1024 ** 2)
  }
  return Math.min(used, Math.floor(node.maxmem * 0.95))
}

const nodeResource = (ctx: RouteContext, node: SimNode): Record<string, unknown> => {
  const base = { id: `node/${node.name}`, type: "node", node: node.name, level: "" }
  if (!node.online) return { ...base, status: "offline" }
  return {
    ...base,
    status: "online",
    "cgroup-mode": 2,
    cpu: node.cpuLoad,
    maxcpu: node.cores * node.sockets * 2,
    mem: nodeMemUsed(ctx.model, node),
    maxmem: node.maxmem,
    disk: node.rootfsUsed,
    maxdisk: node.rootfsTotal,
    uptime: nodeUptime(node, ctx.now)
  }
}

const storageResources = (ctx: RouteContext): Array<Record<string, unknown>> => {
  const out: Array<Record<string, unknown>> = []
  for (const node of ctx.model.nodes.values()) {
    if (!node.online) continue
    for (const storage of ctx.model.storages.values()) {
      if (!storageAvailableOn(storage, node.name)) continue
      if (!ctx.can(`/storage/${storage.storage}`, ["Datastore.Audit", "Datastore.AllocateSpace"], true)) continue
      out.push({
        id: `storage/${node.name}/${storage.storage}`,
        type: "storage",
        storage: storage.storage,
        node: node.name,
        status: "available",
        plugintype: storage.type,
        content: [...storage.content].sort().join(","),
        shared: storage.shared ? 1 : 0,
        disk: storageUsed(storage, node.name),
        maxdisk: storage.total
      })
    }
  }
  return out
}

const resources: Route = (ctx) => {
  const type = ctx.optStr("type")
  const out: Array<Record<string, unknown>> = []
  if (type === undefined || type === "vm") {
    for (const guest of ctx.model.guests.values()) {
      if (ctx.can(`/vms/${guest.vmid}`, ["VM.Audit"])) out.push(guestResource(ctx.model, guest, ctx.now))
    }
  }
  if (type === undefined || type === "node") {
    for (const node of ctx.model.nodes.values()) {
      if (ctx.can(`/nodes/${node.name}`, ["Sys.Audit"])) out.push(nodeResource(ctx, node))
    }
  }
  if (type === undefined || type === "storage") out.push(...storageResources(ctx))
  if (type === undefined || type === "sdn") {
    for (const node of ctx.model.nodes.values()) {
      if (node.online && ctx.can(`/sdn/zones/localnetwork`, ["SDN.Audit"])) {
        out.push({
          id: `sdn/${node.name}/localnetwork`,
          type: "sdn",
          sdn: "localnetwork",
          node: node.name,
          status: "ok"
        })
      }
    }
  }
  if (type === undefined) {
    for (const pool of ctx.model.pools.values()) {
      if (ctx.can(`/pool/${pool.poolid}`, ["Pool.Audit"]))
        out.push({ id: `/pool/${pool.poolid}`, type: "pool", pool: pool.poolid })
    }
  }
  return { data: out }
}

const clusterStatus: Route = (ctx) => {
  const nodes = [...ctx.model.nodes.values()]
  const online = nodes.filter((node) => node.online).length
  const quorate = online * 2 > nodes.length ? 1 : 0
  return {
    data: [
      {
        type: "cluster",
        id: "cluster",
        name: ctx.model.clusterName,
        nodes: nodes.length,
        quorate,
        version: nodes.length + 2
      },
      ...nodes.map((node) => ({
        type: "node",
        id: `node/${node.name}`,
        name: node.name,
        nodeid: node.nodeid,
        ip: node.ip,
        local: node.name === ctx.model.localNode ? 1 : 0,
        online: node.online ? 1 : 0,
        level: ""
      }))
    ]
  }
}

const nodesList: Route = (ctx) => ({
  data: [...ctx.model.nodes.values()].map((node) => {
    if (!node.online) return { node: node.name, id: `node/${node.name}`, type: "node", status: "offline", level: "" }
    const resource = nodeResource(ctx, node)
    return { ...resource, ssl_fingerprint: node.sslFingerprint }
  })
})

/** pve-manager API2/Cluster.pm nextid: the first free VMID, or a 400 when the given one is taken. */
const nextid: Route = (ctx) => {
  const wanted = ctx.optInt("vmid")
  if (wanted !== undefined) {
    if (ctx.model.guests.has(wanted)) paramError({ vmid: `VM ${wanted} already exists` })
    return { data: String(wanted) }
  }
  let vmid = 100
  while (ctx.model.guests.has(vmid)) vmid++
  return { data: String(vmid) }
}

const clusterTasks: Route = (ctx) => {
  const tasks = [...ctx.model.taskOrder].reverse()
  return {
    data: tasks
      .slice(0, 1000)
      .map((task) => ({ ...taskListEntry(task), ...(task.finished ? {} : { status: "RUNNING" }) }))
  }
}

const version: Route = (ctx) => ({ data: { ...ctx.model.version, console: "html5" } })

export const clusterRoutes: Record<string, Route> = {
  "GET /version": version,
  "GET /cluster/status": clusterStatus,
  "GET /cluster/resources": resources,
  "GET /cluster/nextid": nextid,
  "GET /cluster/tasks": clusterTasks,
  "GET /nodes": nodesList
}
