/** `/nodes/{node}` index and status. */
import type { Route } from "../routing.js"
import { nodeMemUsed, nodeUptime } from "./cluster.js"

const nodeIndex: Route = () => ({
  data: [
    "apt",
    "capabilities",
    "ceph",
    "config",
    "disks",
    "dns",
    "firewall",
    "hardware",
    "hosts",
    "lxc",
    "network",
    "qemu",
    "replication",
    "rrd",
    "rrddata",
    "scan",
    "services",
    "status",
    "storage",
    "subscription",
    "syslog",
    "tasks",
    "time",
    "version",
    "vzdump"
  ].map((name) => ({ name }))
})

const nodeStatus: Route = (ctx) => {
  const node = ctx.model.nodes.get(ctx.str("node"))!
  const memUsed = nodeMemUsed(ctx.model, node)
  const load = node.cpuLoad * node.cores * 2
  return {
    data: {
      uptime: nodeUptime(node, ctx.now),
      idle: 0,
      cpu: node.cpuLoad,
      wait: 0.0012,
      loadavg: [load.toFixed(2), (load * 0.9).toFixed(2), (load * 0.8).toFixed(2)],
      kversion: "Linux 6.14.8-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)",
      pveversion: `pve-manager/${ctx.model.version.version}/${ctx.model.version.repoid}`,
      "current-kernel": {
        sysname: "Linux",
        release: "6.14.8-2-pve",
        version: "#1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)",
        machine: "x86_64"
      },
      "boot-info": { mode: "efi", secureboot: 0 },
      cpuinfo: {
        model: node.cpuModel,
        sockets: node.sockets,
        cores: node.cores,
        cpus: node.cores * node.sockets * 2,
        mhz: "3400.000",
        hvm: "1",
        user_hz: 100,
        flags:
          "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc pni vmx ssse3 fma cx16 sse4_1 sse4_2 x2apic popcnt aes xsave avx f16c rdrand hypervisor avx2"
      },
      memory: { total: node.maxmem, used: memUsed, free: node.maxmem - memUsed, available: node.maxmem - memUsed },
      swap: { total: 8 * 1024 ** 3, used: 0, free: 8 * 1024 ** 3 },
      rootfs: {
        total: node.rootfsTotal,
        used: node.rootfsUsed,
        free: node.rootfsTotal - node.rootfsUsed,
        avail: node.rootfsTotal - node.rootfsUsed
      },
      ksm: { shared: 0 }
    }
  }
}

const nodeVersion: Route = (ctx) => ({ data: { ...ctx.model.version } })

export const nodeRoutes: Record<string, Route> = {
  "GET /nodes/{node}": nodeIndex,
  "GET /nodes/{node}/status": nodeStatus,
  "GET /nodes/{node}/version": nodeVersion
}
