/**
 * How guests look on the wire: list entries, status/current, cluster/resources entries and config, with the
 * field names and value encodings of PVE 9 (numbers for metrics, 0/1 booleans, `template` only when set).
 */
import {
  type ClusterModel,
  type ConfigValue,
  type Guest,
  guestCpus,
  guestMaxdisk,
  guestMaxmem,
  guestName,
  isTemplate
} from "../model.js"

export const uptimeOf = (guest: Guest, now: number): number =>
  guest.status === "running" ? Math.max(0, Math.floor((now - guest.startedAt) / 1000)) : 0

/** Metrics common to lists, status and resources. */
export const guestMetrics = (guest: Guest, now: number) => {
  const running = guest.status === "running"
  const uptime = uptimeOf(guest, now)
  const maxmem = guestMaxmem(guest)
  const maxdisk = guestMaxdisk(guest)
  return {
    cpu: running ? guest.cpuLoad : 0,
    cpus: guestCpus(guest),
    mem: running ? Math.floor(maxmem * guest.memFraction) : 0,
    maxmem,
    disk: guest.type === "lxc" && running ? Math.floor(maxdisk * guest.diskFraction) : 0,
    maxdisk,
    diskread: running ? Math.floor(guest.netBase / 3 + uptime * 4096) : 0,
    diskwrite: running ? Math.floor(guest.netBase / 5 + uptime * 2048) : 0,
    netin: running ? Math.floor(guest.netBase + uptime * 1500) : 0,
    netout: running ? Math.floor(guest.netBase / 2 + uptime * 700) : 0,
    uptime
  }
}

const optionalFields = (guest: Guest): Record<string, ConfigValue> => {
  const fields: Record<string, ConfigValue> = {}
  if (guest.config.tags !== undefined) fields.tags = guest.config.tags
  if (guest.config.lock !== undefined) fields.lock = guest.config.lock
  return fields
}

/** An entry of `GET /nodes/{node}/qemu` or `/lxc`. */
export const guestListEntry = (guest: Guest, now: number): Record<string, unknown> => {
  const metrics = guestMetrics(guest, now)
  const entry: Record<string, unknown> = {
    vmid: guest.vmid,
    name: guestName(guest),
    status: guest.status,
    ...metrics,
    ...optionalFields(guest)
  }
  if (guest.type === "lxc") {
    entry.type = "lxc"
    entry.maxswap = Number(guest.config.swap ?? 512) * 1024 * 1024
    entry.swap = 0
  } else if (guest.status === "running") {
    entry.qmpstatus = guest.paused ? "paused" : "running"
  }
  if (guest.status === "running") entry.pid = guest.pid
  // qemu-server's vmstatus sets `template` only for templates.
  if (isTemplate(guest)) entry.template = 1
  return entry
}

/** `GET /nodes/{node}/{qemu|lxc}/{vmid}/status/current`. */
export const guestCurrentStatus = (guest: Guest, now: number): Record<string, unknown> => {
  const entry = guestListEntry(guest, now)
  entry.ha = guest.haManaged ? { managed: 1, state: "started", group: "", request_state: "started" } : { managed: 0 }
  if (guest.type === "qemu") {
    entry.qmpstatus = guest.status === "running" ? (guest.paused ? "paused" : "running") : "stopped"
    entry.agent = /^(1|enabled=1)/.test(String(guest.config.agent ?? "0")) ? 1 : 0
    if (guest.status === "running") {
      entry["running-machine"] = String(guest.config.machine ?? "pc-i440fx-9.2+pve1")
      entry["running-qemu"] = "9.2.0"
      const maxmem = Number(entry.maxmem)
      const mem = Number(entry.mem)
      entry.balloon = maxmem
      entry.balloon_min = maxmem
      entry.freemem = maxmem - mem
      entry.shares = 1000
      entry.spice = 0
      entry.ballooninfo = {
        actual: maxmem,
        max_mem: maxmem,
        total_mem: maxmem - 64 * 1024 ** 2,
        free_mem: maxmem - mem,
        major_page_faults: 1811,
        minor_page_faults: 3_803_793,
        mem_swapped_in: 0,
        mem_swapped_out: 0,
        last_update: Math.floor(now / 1000)
      }
      entry.nics = { [`tap${guest.vmid}i0`]: { netin: entry.netin, netout: entry.netout } }
      entry.blockstat = Object.fromEntries(
        ["scsi0", "ide2"].map((drive) => [
          drive,
          {
            rd_bytes: drive === "scsi0" ? entry.diskread : 0,
            wr_bytes: drive === "scsi0" ? entry.diskwrite : 0,
            rd_operations: 0,
            wr_operations: 0,
            flush_operations: 0,
            failed_rd_operations: 0,
            failed_wr_operations: 0,
            account_failed: true,
            account_invalid: true,
            timed_stats: []
          }
        ])
      )
      // Pass-through from QMP: real JSON booleans here, unlike PVE's own 0/1.
      entry["proxmox-support"] = {
        "pbs-dirty-bitmap": true,
        "pbs-dirty-bitmap-migration": true,
        "pbs-dirty-bitmap-savevm": true,
        "pbs-masterkey": true,
        "query-bitmap-info": true,
        "backup-max-workers": true,
        "pbs-library-version": "1.5.2 (UNKNOWN)"
      }
    }
  }
  return entry
}

/** An entry of `GET /cluster/resources` for a guest (built field by field: it runs 10,000 times a call). */
export const guestResource = (model: ClusterModel, guest: Guest, now: number): Record<string, unknown> => {
  const online = model.nodes.get(guest.node)?.online ?? false
  const entry: Record<string, unknown> = {
    id: `${guest.type}/${guest.vmid}`,
    type: guest.type,
    vmid: guest.vmid,
    name: guestName(guest),
    node: guest.node,
    template: isTemplate(guest) ? 1 : 0
  }
  if (guest.config.tags !== undefined) entry.tags = guest.config.tags
  if (guest.config.lock !== undefined) entry.lock = guest.config.lock
  if (guest.pool !== undefined) entry.pool = guest.pool
  if (guest.haManaged) entry.hastate = "started"
  if (!online) {
    // pmxcfs still knows the guest, but nobody reports its state.
    entry.status = "unknown"
    return entry
  }
  const metrics = guestMetrics(guest, now)
  entry.status = guest.status
  entry.cpu = metrics.cpu
  entry.maxcpu = metrics.cpus
  entry.mem = metrics.mem
  entry.maxmem = metrics.maxmem
  entry.disk = metrics.disk
  entry.maxdisk = metrics.maxdisk
  entry.diskread = metrics.diskread
  entry.diskwrite = metrics.diskwrite
  entry.netin = metrics.netin
  entry.netout = metrics.netout
  entry.uptime = metrics.uptime
  return entry
}
