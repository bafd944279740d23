/**
 * A node's system log as pve-manager's Nodes.pm serves it: `syslog` (journalctl lines numbered from `start`,
 * `limit`, a `since`/`until` window as "YYYY-MM-DD HH:MM:SS" and a `service` unit, with `total`) and `journal`
 * (mini-journalreader: a cursor line first and last, epoch `since`/`until` or the `lastentries`). The entries are
 * a deterministic function of the node and the time: one every ten minutes or so over the last week.
 */
import { seededRandom } from "../generate.js"
import { paramError, type Route, type RouteContext } from "../routing.js"

interface Entry {
  readonly time: number
  readonly unit: string
  readonly text: string
}

const SLOT_SECONDS = 600
const WEEK = 7 * 86_400

const hashOf = (text: string): number => {
  let hash = 2_166_136_261
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16_777_619)
  return hash >>> 0
}

/** unit, process name, messages */
const SOURCES: ReadonlyArray<readonly [string, string, ReadonlyArray<string>]> = [
  [
    "pvedaemon",
    "pvedaemon",
    ["<root@pam> successful auth for user 'root@pam'", "<root@pam> starting task UPID", "worker exit"]
  ],
  [
    "pveproxy",
    "pveproxy",
    ["worker 2193 finished", "starting 1 worker(s)", "worker 2211 started", "proxy detected vanished client connection"]
  ],
  ["pve-cluster", "pmxcfs", ["[status] notice: received log", "[dcdb] notice: data verification successful"]],
  [
    "corosync",
    "corosync",
    [
      "[KNET  ] link: host: 2 link: 0 is down",
      "[KNET  ] host: host: 2 (passive) best link: 0 (pri: 1)",
      "[TOTEM ] Retransmit List: 1b2"
    ]
  ],
  ["pvestatd", "pvestatd", ["auth key pair too old, rotating..", "status update time (5.102 seconds)"]],
  ["cron", "CRON", ["pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"]],
  [
    "pve-firewall",
    "pve-firewall",
    ["status update error: iptables_restore_cmdlist: Try `iptables-restore -h' for more information."]
  ],
  [
    "systemd",
    "systemd",
    [
      "Starting pve-daily-update.service - Daily PVE download activities...",
      "Finished pve-daily-update.service - Daily PVE download activities."
    ]
  ],
  ["smartd", "smartd", ["Device: /dev/sda [SAT], SMART Usage Attribute: 194 Temperature_Celsius changed from 66 to 65"]]
]

const entryAt = (node: string, slot: number): Entry => {
  const random = seededRandom(hashOf(`${node}:${slot}`))
  const [unit, process, messages] = random.pick(SOURCES)
  const pid = 1000 + (hashOf(`${node}:${unit}`) % 60_000)
  return {
    time: slot * SLOT_SECONDS + random.int(0, SLOT_SECONDS - 1),
    unit,
    text: `${node} ${process}[${pid}]: ${random.pick(messages)}`
  }
}

/** The node's entries in [from, to] (epoch seconds), oldest first; nothing older than a week. */
const entries = (ctx: RouteContext, from: number, to: number): Array<Entry> => {
  const node = ctx.str("node")
  const now = Math.floor(ctx.now / 1000)
  const first = Math.floor(Math.max(from, now - WEEK) / SLOT_SECONDS)
  const last = Math.floor(Math.min(to, now) / SLOT_SECONDS)
  const out: Array<Entry> = []
  for (let slot = first; slot <= last; slot++) {
    const entry = entryAt(node, slot)
    if (entry.time >= from && entry.time <= Math.min(to, now)) out.push(entry)
  }
  return out
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const pad = (n: number) => String(n).padStart(2, "0")

/** journalctl's short format (the node's clock is UTC here). */
const shortLine = (entry: Entry): string => {
  const d = new Date(entry.time * 1000)
  return `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${entry.text}`
}

/** short-iso, as mini-journalreader prints. */
const isoLine = (entry: Entry): string => `${new Date(entry.time * 1000).toISOString().slice(0, 19)}+0000 ${entry.text}`

/** "YYYY-MM-DD[ HH:MM[:SS]]" (the schema's pattern) as epoch seconds. */
const dateTime = (text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback
  const [date = "", time = "00:00:00"] = text.split(" ")
  const full = time.length === 5 ? `${time}:00` : time
  return Math.floor(Date.parse(`${date}T${full}Z`) / 1000)
}

const syslog: Route = (ctx) => {
  const service = ctx.optStr("service")
  const from = dateTime(ctx.optStr("since"), 0)
  const to = dateTime(ctx.optStr("until"), Number.MAX_SAFE_INTEGER)
  const lines = entries(ctx, from, to)
    .filter((entry) => service === undefined || entry.unit === service || `${entry.unit}.service` === service)
    .map(shortLine)
  const start = ctx.optInt("start") ?? 0
  const limit = ctx.optInt("limit") ?? 50
  if (lines.length === 0) return { data: [{ n: 1, t: "no content" }], total: 1 }
  const data = lines.slice(start, start + limit).map((t, index) => ({ n: start + index + 1, t }))
  return { data, total: lines.length }
}

const cursor = (node: string, entry: Entry | undefined): string =>
  `s=${hashOf(node).toString(16)};i=${(entry?.time ?? 0).toString(16)};t=${entry?.time ?? 0}000000`

const journal: Route = (ctx) => {
  const since = ctx.optInt("since")
  const until = ctx.optInt("until")
  const last = ctx.optInt("lastentries")
  if (last !== undefined && (since !== undefined || until !== undefined)) {
    paramError({ lastentries: "lastentries conflicts with a range (since/until)" })
  }
  let list = entries(ctx, since ?? 0, until ?? Number.MAX_SAFE_INTEGER)
  // without a range, mini-journalreader prints the last 50 entries
  if (since === undefined && until === undefined) list = list.slice(-(last ?? 50))
  const node = ctx.str("node")
  return { data: [cursor(node, list[0]), ...list.map(isoLine), cursor(node, list.at(-1))] }
}

export const logRoutes: Record<string, Route> = {
  "GET /nodes/{node}/syslog": syslog,
  "GET /nodes/{node}/journal": journal
}
