/**
 * `rrddata` of nodes and guests: 70 points per timeframe at PVE's RRD resolutions (hour 1 min, day 30 min,
 * week 3 h, month 12 h, year 1 week), a smooth deterministic series per node or vmid. As in PVE, the newest point
 * carries only `time` (its step is not consolidated yet), and a stopped guest reports no cpu, memory or io.
 */
import { seededRandom } from "../generate.js"
import { GIB, type Guest, guestCpus, guestMaxdisk, guestMaxmem, type SimNode } from "../model.js"
import { guestAt, type Route, type RouteContext } from "../routing.js"

const STEP_SECONDS: Readonly<Record<string, number>> = {
  hour: 60,
  day: 1800,
  week: 10_800,
  month: 43_200,
  year: 604_800,
  decade: 604_800 * 4
}
const POINTS = 70

const hashOf = (text: string): number => {
  let hash = 2_166_136_261
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16_777_619)
  return hash >>> 0
}

/** A value in [0, 1] that varies smoothly with time: a daily wave, a slower drift and a little noise. */
const wave = (key: string) => {
  const random = seededRandom(hashOf(key))
  const phase = random.next() * Math.PI * 2
  const level = 0.15 + random.next() * 0.5
  return (time: number, cfMax: boolean): number => {
    const daily = Math.sin((time / 86_400) * Math.PI * 2 + phase) * 0.15
    const drift = Math.sin((time / 604_800) * Math.PI * 2 + phase * 3) * 0.08
    const noise = seededRandom(hashOf(`${key}:${time}`)).next() * 0.06
    const value = level + daily + drift + noise + (cfMax ? 0.08 : 0)
    return Math.min(1, Math.max(0, value))
  }
}

const times = (ctx: RouteContext): Array<number> => {
  const step = STEP_SECONDS[ctx.str("timeframe")] ?? 60
  const last = Math.floor(ctx.now / 1000 / step) * step
  return Array.from({ length: POINTS }, (_, i) => last - (POINTS - 1 - i) * step)
}

const round = (value: number, digits = 6) => Number(value.toFixed(digits))

const nodeSeries: Route = (ctx) => {
  const node = ctx.model.nodes.get(ctx.str("node")) as SimNode
  const max = ctx.optStr("cf") === "MAX"
  const cpu = wave(`${node.name}:cpu`)
  const mem = wave(`${node.name}:mem`)
  const net = wave(`${node.name}:net`)
  const io = wave(`${node.name}:io`)
  const cpus = node.cores * node.sockets * 2
  const list = times(ctx)
  const data = list.map((time, index) => {
    if (index === list.length - 1) return { time }
    const load = cpu(time, max)
    return {
      time,
      cpu: round(load * 0.6),
      maxcpu: cpus,
      iowait: round(io(time, max) * 0.02),
      loadavg: round(load * 0.6 * cpus, 2),
      memtotal: node.maxmem,
      memused: Math.floor(node.maxmem * (0.2 + mem(time, max) * 0.5)),
      swaptotal: 8 * GIB,
      swapused: Math.floor(GIB * 0.1 * mem(time, max)),
      roottotal: node.rootfsTotal,
      rootused: node.rootfsUsed,
      netin: round(net(time, max) * 12_000_000, 2),
      netout: round(net(time + 600, max) * 9_000_000, 2)
    }
  })
  return { data }
}

const guestSeries =
  (type: "qemu" | "lxc"): Route =>
  (ctx) => {
    const guest: Guest = guestAt(ctx, type)
    const max = ctx.optStr("cf") === "MAX"
    const key = String(guest.vmid)
    const cpu = wave(`${key}:cpu`)
    const mem = wave(`${key}:mem`)
    const net = wave(`${key}:net`)
    const io = wave(`${key}:io`)
    const maxmem = guestMaxmem(guest)
    const maxdisk = guestMaxdisk(guest)
    const running = guest.status === "running"
    const startedAt = running ? guest.startedAt / 1000 : Number.POSITIVE_INFINITY
    const list = times(ctx)
    const data = list.map((time, index) => {
      const fixed = { time, maxcpu: guestCpus(guest), maxmem, maxdisk }
      if (index === list.length - 1) return { time }
      if (time < startedAt) return fixed
      return {
        ...fixed,
        cpu: round(cpu(time, max) * guest.cpuLoad * 3),
        mem: Math.floor(maxmem * (0.3 + mem(time, max) * 0.5)),
        disk: type === "lxc" ? Math.floor(maxdisk * guest.diskFraction) : 0,
        netin: round(net(time, max) * 2_000_000, 2),
        netout: round(net(time + 900, max) * 1_500_000, 2),
        diskread: round(io(time, max) * 5_000_000, 2),
        diskwrite: round(io(time + 300, max) * 3_000_000, 2)
      }
    })
    return { data }
  }

export const metricsRoutes: Record<string, Route> = {
  "GET /nodes/{node}/rrddata": nodeSeries,
  "GET /nodes/{node}/qemu/{vmid}/rrddata": guestSeries("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/rrddata": guestSeries("lxc")
}
