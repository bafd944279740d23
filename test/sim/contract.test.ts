/**
 * Contract: every endpoint the simulator implements exists in apidata.json, is exercised here, and answers
 * with data that passes PVE's own result verification against the endpoint's `returns` schema.
 */
import { describe, expect, it } from "vitest"
import { simulatedRoutes } from "../../sim/Simulator.js"
import { validateResult } from "../../src/proxmox/ApiSchema.js"
import { endpointKey } from "../../src/proxmox/Endpoint.js"
import { declaredEndpoints } from "../../src/proxmox/Tool.js"
import { allTools } from "../../src/tools/index.js"
import { call, simulator, steppedClock, upidPath } from "../support/rawSimulator.js"

type Case = readonly [method: string, path: string, params?: Record<string, string | number>]

/** The firewall of one scope (cluster, node, VM, container), on what the simulated cluster is seeded with. */
const firewallCases = (template: string, concrete: string, withSets: boolean): Record<string, Case> => ({
  [`GET ${template}/rules`]: ["GET", `${concrete}/rules`],
  [`POST ${template}/rules`]: [
    "POST",
    `${concrete}/rules`,
    { type: "in", action: "ACCEPT", proto: "tcp", dport: "80" }
  ],
  [`GET ${template}/rules/{pos}`]: ["GET", `${concrete}/rules/0`],
  [`PUT ${template}/rules/{pos}`]: ["PUT", `${concrete}/rules/0`, { comment: "changed", enable: 0 }],
  [`DELETE ${template}/rules/{pos}`]: ["DELETE", `${concrete}/rules/0`],
  [`GET ${template}/options`]: ["GET", `${concrete}/options`],
  [`PUT ${template}/options`]: ["PUT", `${concrete}/options`, { enable: 1 }],
  ...(withSets
    ? {
        [`GET ${template}/aliases`]: ["GET", `${concrete}/aliases`],
        [`POST ${template}/aliases`]: ["POST", `${concrete}/aliases`, { name: "dns1", cidr: "10.0.0.53" }],
        [`GET ${template}/aliases/{name}`]: ["GET", `${concrete}/aliases/ALIAS`],
        [`PUT ${template}/aliases/{name}`]: ["PUT", `${concrete}/aliases/ALIAS`, { cidr: "10.0.0.21" }],
        [`DELETE ${template}/aliases/{name}`]: ["DELETE", `${concrete}/aliases/ALIAS`],
        [`GET ${template}/ipset`]: ["GET", `${concrete}/ipset`],
        [`POST ${template}/ipset`]: ["POST", `${concrete}/ipset`, { name: "blocked", comment: "c" }],
        [`GET ${template}/ipset/{name}`]: ["GET", `${concrete}/ipset/IPSET`],
        [`POST ${template}/ipset/{name}`]: ["POST", `${concrete}/ipset/IPSET`, { cidr: "10.9.9.9" }],
        [`DELETE ${template}/ipset/{name}`]: ["DELETE", `${concrete}/ipset/IPSET`, { force: 1 }],
        [`GET ${template}/ipset/{name}/{cidr}`]: ["GET", `${concrete}/ipset/IPSET/CIDR`],
        [`PUT ${template}/ipset/{name}/{cidr}`]: ["PUT", `${concrete}/ipset/IPSET/CIDR`, { comment: "c" }],
        [`DELETE ${template}/ipset/{name}/{cidr}`]: ["DELETE", `${concrete}/ipset/IPSET/CIDR`]
      }
    : {})
})

/** The seeded alias, IP set and entry of each scope filled in. */
const seededFirewall = (cases: Record<string, Case>, alias: string, ipset: string, cidr: string) =>
  Object.fromEntries(
    Object.entries(cases).map(([key, [method, path, params]]) => [
      key,
      [
        method,
        path.replace("ALIAS", alias).replace("IPSET", ipset).replace("CIDR", encodeURIComponent(cidr)),
        ...(params === undefined ? [] : [params])
      ] as unknown as Case
    ])
  )

/** One representative successful request per implemented endpoint (template → concrete request). */
const cases = (upid: string): Record<string, Case> => ({
  "GET /version": ["GET", "/version"],
  "GET /cluster/status": ["GET", "/cluster/status"],
  "GET /cluster/resources": ["GET", "/cluster/resources"],
  "GET /cluster/nextid": ["GET", "/cluster/nextid"],
  "GET /cluster/tasks": ["GET", "/cluster/tasks"],
  "GET /nodes": ["GET", "/nodes"],
  "GET /nodes/{node}": ["GET", "/nodes/pve1"],
  "GET /nodes/{node}/status": ["GET", "/nodes/pve1/status"],
  "GET /nodes/{node}/version": ["GET", "/nodes/pve1/version"],
  "GET /nodes/{node}/qemu": ["GET", "/nodes/pve1/qemu"],
  "GET /nodes/{node}/lxc": ["GET", "/nodes/pve1/lxc"],
  "GET /nodes/{node}/qemu/{vmid}": ["GET", "/nodes/pve1/qemu/100"],
  "GET /nodes/{node}/lxc/{vmid}": ["GET", "/nodes/pve1/lxc/105"],
  "GET /nodes/{node}/qemu/{vmid}/status/current": ["GET", "/nodes/pve1/qemu/100/status/current"],
  "GET /nodes/{node}/lxc/{vmid}/status/current": ["GET", "/nodes/pve1/lxc/105/status/current"],
  "GET /nodes/{node}/qemu/{vmid}/config": ["GET", "/nodes/pve1/qemu/101/config"],
  "GET /nodes/{node}/lxc/{vmid}/config": ["GET", "/nodes/pve1/lxc/105/config"],
  "GET /nodes/{node}/qemu/{vmid}/pending": ["GET", "/nodes/pve1/qemu/100/pending"],
  "GET /nodes/{node}/lxc/{vmid}/pending": ["GET", "/nodes/pve1/lxc/105/pending"],
  "PUT /nodes/{node}/qemu/{vmid}/config": ["PUT", "/nodes/pve1/qemu/100/config", { cores: 4, tags: "web;prod" }],
  "POST /nodes/{node}/qemu/{vmid}/config": ["POST", "/nodes/pve1/qemu/100/config", { description: "hello" }],
  "PUT /nodes/{node}/lxc/{vmid}/config": ["PUT", "/nodes/pve1/lxc/105/config", { memory: 1024 }],
  "GET /nodes/{node}/qemu/{vmid}/status": ["GET", "/nodes/pve1/qemu/100/status"],
  "GET /nodes/{node}/lxc/{vmid}/status": ["GET", "/nodes/pve1/lxc/105/status"],
  "POST /nodes/{node}/qemu/{vmid}/status/start": ["POST", "/nodes/pve3/qemu/104/status/start"],
  "POST /nodes/{node}/qemu/{vmid}/status/stop": ["POST", "/nodes/pve2/qemu/102/status/stop"],
  "POST /nodes/{node}/qemu/{vmid}/status/shutdown": ["POST", "/nodes/pve1/qemu/100/status/shutdown"],
  "POST /nodes/{node}/qemu/{vmid}/status/reboot": ["POST", "/nodes/pve1/qemu/101/status/reboot"],
  "POST /nodes/{node}/qemu/{vmid}/status/reset": ["POST", "/nodes/pve1/qemu/101/status/reset"],
  "POST /nodes/{node}/qemu/{vmid}/status/suspend": ["POST", "/nodes/pve2/qemu/103/status/suspend"],
  "POST /nodes/{node}/qemu/{vmid}/status/resume": ["POST", "/nodes/pve2/qemu/103/status/resume"],
  "POST /nodes/{node}/lxc/{vmid}/status/start": ["POST", "/nodes/pve3/lxc/107/status/start"],
  "POST /nodes/{node}/lxc/{vmid}/status/stop": ["POST", "/nodes/pve2/lxc/106/status/stop"],
  "POST /nodes/{node}/lxc/{vmid}/status/shutdown": ["POST", "/nodes/pve1/lxc/105/status/shutdown"],
  "POST /nodes/{node}/lxc/{vmid}/status/reboot": ["POST", "/nodes/pve1/lxc/105/status/reboot"],
  "POST /nodes/{node}/lxc/{vmid}/status/suspend": ["POST", "/nodes/pve1/lxc/105/status/suspend"],
  "POST /nodes/{node}/lxc/{vmid}/status/resume": ["POST", "/nodes/pve1/lxc/105/status/resume"],
  "GET /nodes/{node}/tasks": ["GET", "/nodes/pve1/tasks", { source: "all" }],
  "GET /nodes/{node}/tasks/{upid}": ["GET", upidPath("pve1", upid, "").slice(0, -1)],
  "GET /nodes/{node}/tasks/{upid}/status": ["GET", upidPath("pve1", upid, "status")],
  "GET /nodes/{node}/tasks/{upid}/log": ["GET", upidPath("pve1", upid, "log")],
  "DELETE /nodes/{node}/tasks/{upid}": ["DELETE", upidPath("pve1", upid, "").slice(0, -1)],
  "POST /access/ticket": ["POST", "/access/ticket", { username: "root@pam", password: "simulator" }],
  "GET /access/permissions": ["GET", "/access/permissions"],
  "GET /nodes/{node}/qemu/{vmid}/snapshot": ["GET", "/nodes/pve1/qemu/101/snapshot"],
  "POST /nodes/{node}/qemu/{vmid}/snapshot": [
    "POST",
    "/nodes/pve1/qemu/100/snapshot",
    { snapname: "s1", description: "x" }
  ],
  "GET /nodes/{node}/qemu/{vmid}/snapshot/{snapname}": ["GET", "/nodes/pve1/qemu/101/snapshot/pre-upgrade"],
  "DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}": ["DELETE", "/nodes/pve1/qemu/101/snapshot/pre-upgrade"],
  "POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback": [
    "POST",
    "/nodes/pve1/qemu/101/snapshot/after-upgrade/rollback"
  ],
  "GET /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config": [
    "GET",
    "/nodes/pve1/qemu/101/snapshot/after-upgrade/config"
  ],
  "PUT /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config": [
    "PUT",
    "/nodes/pve1/qemu/101/snapshot/after-upgrade/config",
    { description: "y" }
  ],
  "GET /nodes/{node}/lxc/{vmid}/snapshot": ["GET", "/nodes/pve3/lxc/107/snapshot"],
  "POST /nodes/{node}/lxc/{vmid}/snapshot": ["POST", "/nodes/pve1/lxc/105/snapshot", { snapname: "s1" }],
  "GET /nodes/{node}/lxc/{vmid}/snapshot/{snapname}": ["GET", "/nodes/pve3/lxc/107/snapshot/clean"],
  "DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}": ["DELETE", "/nodes/pve3/lxc/107/snapshot/clean"],
  "POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback": ["POST", "/nodes/pve3/lxc/107/snapshot/clean/rollback"],
  "GET /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config": ["GET", "/nodes/pve3/lxc/107/snapshot/clean/config"],
  "PUT /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config": [
    "PUT",
    "/nodes/pve3/lxc/107/snapshot/clean/config",
    { description: "z" }
  ],
  "POST /nodes/{node}/qemu": [
    "POST",
    "/nodes/pve1/qemu",
    { vmid: 200, name: "new-vm", memory: 1024, scsi0: "local-lvm:8", net0: "virtio,bridge=vmbr0" }
  ],
  "POST /nodes/{node}/lxc": [
    "POST",
    "/nodes/pve1/lxc",
    {
      vmid: 201,
      hostname: "new-ct",
      ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      rootfs: "local-lvm:4"
    }
  ],
  "DELETE /nodes/{node}/qemu/{vmid}": ["DELETE", "/nodes/pve3/qemu/108"],
  "DELETE /nodes/{node}/lxc/{vmid}": ["DELETE", "/nodes/pve3/lxc/107"],
  "POST /nodes/{node}/qemu/{vmid}/clone": [
    "POST",
    "/nodes/pve1/qemu/9000/clone",
    { newid: 300, name: "from-template" }
  ],
  "POST /nodes/{node}/lxc/{vmid}/clone": ["POST", "/nodes/pve3/lxc/107/clone", { newid: 301 }],
  "POST /nodes/{node}/qemu/{vmid}/migrate": ["POST", "/nodes/pve3/qemu/104/migrate", { target: "pve2" }],
  "POST /nodes/{node}/lxc/{vmid}/migrate": ["POST", "/nodes/pve3/lxc/107/migrate", { target: "pve1" }],
  "POST /nodes/{node}/qemu/{vmid}/template": ["POST", "/nodes/pve3/qemu/104/template"],
  "POST /nodes/{node}/lxc/{vmid}/template": ["POST", "/nodes/pve3/lxc/107/template"],
  "PUT /nodes/{node}/qemu/{vmid}/resize": ["PUT", "/nodes/pve1/qemu/100/resize", { disk: "scsi0", size: "+8G" }],
  "PUT /nodes/{node}/lxc/{vmid}/resize": ["PUT", "/nodes/pve1/lxc/105/resize", { disk: "rootfs", size: "16G" }],
  "GET /storage": ["GET", "/storage"],
  "GET /storage/{storage}": ["GET", "/storage/local"],
  "GET /nodes/{node}/storage": ["GET", "/nodes/pve1/storage"],
  "GET /nodes/{node}/storage/{storage}": ["GET", "/nodes/pve1/storage/local"],
  "GET /nodes/{node}/storage/{storage}/status": ["GET", "/nodes/pve1/storage/local-lvm/status"],
  "GET /nodes/{node}/storage/{storage}/content": ["GET", "/nodes/pve1/storage/nfs-shared/content"],
  "GET /nodes/{node}/storage/{storage}/content/{volume}": [
    "GET",
    `/nodes/pve1/storage/local/content/${encodeURIComponent("local:iso/debian-12.9.0-amd64-netinst.iso")}`
  ],
  "PUT /nodes/{node}/storage/{storage}/content/{volume}": [
    "PUT",
    `/nodes/pve1/storage/local/content/${encodeURIComponent("local:iso/debian-12.9.0-amd64-netinst.iso")}`,
    { notes: "netinst" }
  ],
  "DELETE /nodes/{node}/storage/{storage}/content/{volume}": [
    "DELETE",
    `/nodes/pve1/storage/local/content/${encodeURIComponent("local:iso/debian-12.9.0-amd64-netinst.iso")}`
  ],
  "POST /nodes/{node}/vzdump": ["POST", "/nodes/pve1/vzdump", { vmid: "100", storage: "nfs-shared", mode: "snapshot" }],
  "GET /cluster/backup": ["GET", "/cluster/backup"],
  "POST /cluster/backup": ["POST", "/cluster/backup", { schedule: "daily", storage: "nfs-shared", vmid: "105" }],
  "GET /cluster/backup/{id}": ["GET", "/cluster/backup/backup-7a1c2e3f-01"],
  "PUT /cluster/backup/{id}": ["PUT", "/cluster/backup/backup-7a1c2e3f-01", { enabled: 0 }],
  "DELETE /cluster/backup/{id}": ["DELETE", "/cluster/backup/backup-7a1c2e3f-02"],
  "GET /nodes/{node}/network": ["GET", "/nodes/pve1/network"],
  "POST /nodes/{node}/network": ["POST", "/nodes/pve1/network", { iface: "vmbr1", type: "bridge", autostart: 1 }],
  "PUT /nodes/{node}/network": ["PUT", "/nodes/pve1/network"],
  "DELETE /nodes/{node}/network": ["DELETE", "/nodes/pve2/network"],
  "GET /nodes/{node}/network/{iface}": ["GET", "/nodes/pve1/network/vmbr0"],
  "PUT /nodes/{node}/network/{iface}": ["PUT", "/nodes/pve2/network/vmbr0", { type: "bridge", comments: "uplink" }],
  "DELETE /nodes/{node}/network/{iface}": ["DELETE", "/nodes/pve3/network/eno2"],
  "GET /pools": ["GET", "/pools"],
  "POST /pools": ["POST", "/pools", { poolid: "newpool", comment: "c" }],
  "PUT /pools": ["PUT", "/pools", { poolid: "lab", vms: "103" }],
  "DELETE /pools": ["DELETE", "/pools", { poolid: "staging" }],
  "GET /pools/{poolid}": ["GET", "/pools/production"],
  "PUT /pools/{poolid}": ["PUT", "/pools/lab", { comment: "Lab" }],
  "DELETE /pools/{poolid}": ["DELETE", "/pools/staging"],
  "GET /nodes/{node}/qemu/{vmid}/migrate": ["GET", "/nodes/pve1/qemu/100/migrate"],
  "GET /cluster/ha/rules": ["GET", "/cluster/ha/rules"],
  "POST /cluster/ha/rules": [
    "POST",
    "/cluster/ha/rules",
    { rule: "dns-on-pve1", type: "node-affinity", resources: "ct:105", nodes: "pve1" }
  ],
  "GET /cluster/ha/rules/{rule}": ["GET", "/cluster/ha/rules/db-on-pve1"],
  "PUT /cluster/ha/rules/{rule}": ["PUT", "/cluster/ha/rules/db-on-pve1", { type: "node-affinity", comment: "db" }],
  "DELETE /cluster/ha/rules/{rule}": ["DELETE", "/cluster/ha/rules/web-with-db"],
  "GET /cluster/replication": ["GET", "/cluster/replication"],
  "POST /cluster/replication": ["POST", "/cluster/replication", { id: "105-0", target: "pve2", type: "local" }],
  "GET /cluster/replication/{id}": ["GET", "/cluster/replication/100-0"],
  "PUT /cluster/replication/{id}": ["PUT", "/cluster/replication/100-0", { rate: 10 }],
  "DELETE /cluster/replication/{id}": ["DELETE", "/cluster/replication/101-0"],
  "GET /nodes/{node}/replication": ["GET", "/nodes/pve1/replication"],
  "GET /nodes/{node}/replication/{id}/status": ["GET", "/nodes/pve1/replication/100-0/status"],
  "POST /nodes/{node}/replication/{id}/schedule_now": ["POST", "/nodes/pve1/replication/100-0/schedule_now"],
  "GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": [
    "GET",
    "/nodes/pve1/qemu/100/agent/network-get-interfaces"
  ],
  "POST /nodes/{node}/qemu/{vmid}/agent/ping": ["POST", "/nodes/pve1/qemu/100/agent/ping"],
  "GET /nodes/{node}/qemu/{vmid}/agent/info": ["GET", "/nodes/pve1/qemu/101/agent/info"],
  "GET /nodes/{node}/lxc/{vmid}/interfaces": ["GET", "/nodes/pve1/lxc/105/interfaces"],
  "GET /nodes/{node}/rrddata": ["GET", "/nodes/pve1/rrddata", { timeframe: "hour", cf: "AVERAGE" }],
  "GET /nodes/{node}/qemu/{vmid}/rrddata": ["GET", "/nodes/pve1/qemu/100/rrddata", { timeframe: "day" }],
  "GET /nodes/{node}/lxc/{vmid}/rrddata": ["GET", "/nodes/pve1/lxc/105/rrddata", { timeframe: "week", cf: "MAX" }],
  "GET /nodes/{node}/syslog": ["GET", "/nodes/pve1/syslog", { service: "pveproxy", start: 0, limit: 10 }],
  "GET /nodes/{node}/journal": ["GET", "/nodes/pve1/journal", { lastentries: 20 }],
  "GET /nodes/{node}/aplinfo": ["GET", "/nodes/pve1/aplinfo"],
  "POST /nodes/{node}/storage/{storage}/download-url": [
    "POST",
    "/nodes/pve1/storage/local/download-url",
    { url: "https://example.org/alpine.iso", filename: "alpine.iso", content: "iso" }
  ],
  ...seededFirewall(
    firewallCases("/cluster/firewall", "/cluster/firewall", true),
    "gateway",
    "management",
    "192.168.10.0/24"
  ),
  ...firewallCases("/nodes/{node}/firewall", "/nodes/pve1/firewall", false),
  ...seededFirewall(
    firewallCases("/nodes/{node}/qemu/{vmid}/firewall", "/nodes/pve1/qemu/100/firewall", true),
    "backend",
    "clients",
    "10.0.0.0/24"
  ),
  ...seededFirewall(
    firewallCases("/nodes/{node}/lxc/{vmid}/firewall", "/nodes/pve1/lxc/105/firewall", true),
    "backend",
    "clients",
    "10.0.0.0/24"
  )
})

/**
 * Every endpoint a tool declares (and what waiting for its tasks reads), derived from the tool list, plus the
 * ticket login of the client itself: each must be simulated and have a contract case.
 */
const toolEndpoints = [
  ...new Set([...allTools.flatMap((tool) => (declaredEndpoints(tool) ?? []).map(endpointKey)), "POST /access/ticket"])
]

describe("simulator contract against apidata.json", () => {
  it("implements only endpoints that exist in the real API", () => {
    const sim = simulator()
    const unknown = Object.keys(simulatedRoutes).filter((key) => {
      const [method = "", template = ""] = key.split(" ")
      return sim.schema.endpoint(method, template) === undefined
    })
    expect(unknown).toEqual([])
  })

  it("implements every endpoint the tools use, each with a contract case", () => {
    expect(toolEndpoints.length).toBeGreaterThan(10)
    expect(toolEndpoints.filter((key) => simulatedRoutes[key] === undefined)).toEqual([])
    const table = cases("UPID:pve1:00000001:00000001:00000001:x::x:")
    expect(toolEndpoints.filter((key) => table[key] === undefined)).toEqual([])
  })

  it("answers every implemented endpoint with data matching its returns schema", () => {
    const table = cases("UPID:pve1:00000001:00000001:00000001:x::x:")
    expect(Object.keys(simulatedRoutes).filter((key) => table[key] === undefined)).toEqual([])
    const failures: Array<string> = []
    for (const key of Object.keys(table)) {
      // A fresh cluster per endpoint, with one finished task to address.
      const clock = steppedClock()
      const sim = simulator({ now: clock.now, verifyResults: false, taskDurationMs: 100 })
      const upid = call(sim, "POST", "/nodes/pve1/qemu/9000/config", { params: { description: "t" } }).json
        ?.data as string
      clock.advance(1000)
      const [method, path, params] = cases(upid)[key]!
      const answer = call(sim, method, path, params === undefined ? {} : { params })
      if (answer.status !== 200) {
        failures.push(`${key}: HTTP ${answer.status} ${answer.body}`)
        continue
      }
      const [m = "", template = ""] = key.split(" ")
      const endpoint = sim.schema.endpoint(m, template)!
      const errors = validateResult(endpoint, answer.json?.data)
      if (Object.keys(errors).length > 0) failures.push(`${key}: ${JSON.stringify(errors)}`)
      if (endpoint.returnsUpid === "yes") {
        expect(answer.json?.data, key).toMatch(/^UPID:/)
      }
    }
    expect(failures).toEqual([])
  })
})
