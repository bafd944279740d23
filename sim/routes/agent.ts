/**
 * The QEMU guest agent as qemu-server passes it through (`/nodes/{node}/qemu/{vmid}/agent/…`, answers wrapped as
 * `{result: …}`) and a container's interfaces from pve-container. An agent answers only when the config enables it
 * (`agent: 1` or `enabled=1`), the VM runs and is not paused; otherwise PVE's own texts
 * (qemu-server assert_agent_available).
 */
import { type Guest, propertyOf } from "../model.js"
import { die, guestAt, type Route } from "../routing.js"
import { uptimeOf } from "./guestViews.js"

/** The agent key of a config: `1`, `enabled=1`, `1,fstrim_cloned_disks=1`; its default key is `enabled`. */
export const agentEnabled = (guest: Guest): boolean => {
  const value = String(guest.config.agent ?? "0")
  const first = value.split(",")[0] ?? ""
  return (first.includes("=") ? propertyOf(value, "enabled") : first) === "1"
}

/** qemu-server assert_agent_available: configured, VM running, agent answering guest-ping. */
const assertAgentAvailable = (guest: Guest): void => {
  if (!agentEnabled(guest)) die("No QEMU guest agent configured")
  if (guest.status !== "running") die(`VM ${guest.vmid} is not running`)
  // a paused VM runs no guest code: guest-ping times out
  if (guest.paused) die("QEMU guest agent is not running")
}

/** The MAC address of a netN property string (`virtio=BC:24:11:…,bridge=…` or lxc's `hwaddr=…`). */
const macOf = (value: string): string => {
  const first = value.split(",")[0] ?? ""
  const model = /^[a-z0-9]+=([0-9A-Fa-f:]{17})$/.exec(first)?.[1]
  return (model ?? propertyOf(value, "hwaddr") ?? "00:00:00:00:00:00").toLowerCase()
}

const netKeys = (guest: Guest): ReadonlyArray<string> =>
  Object.keys(guest.config)
    .filter((key) => /^net\d+$/.test(key))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))

/** Plausible addresses derived from the vmid and the NIC index: 10.(20+index).x.y/24 and an fd00:: ULA. */
const addressesFor = (vmid: number, index: number) => {
  const third = Math.floor(vmid / 250) % 256
  const fourth = (vmid % 250) + 2
  return {
    ipv4: { address: `10.${20 + index}.${third}.${fourth}`, prefix: 24 },
    ipv6: { address: `fd00:${20 + index}::${vmid.toString(16)}`, prefix: 64 },
    linkLocal: { address: `fe80::${(vmid * 7 + index).toString(16)}:ff:fe00:${index + 1}`, prefix: 64 }
  }
}

const agentAddress = (type: "ipv4" | "ipv6", a: { address: string; prefix: number }) => ({
  "ip-address-type": type,
  "ip-address": a.address,
  prefix: a.prefix
})

const statistics = (guest: Guest, now: number, share: number) => {
  const uptime = uptimeOf(guest, now)
  const rx = Math.floor((guest.netBase + uptime * 1500) * share)
  const tx = Math.floor((guest.netBase / 2 + uptime * 700) * share)
  return {
    "rx-bytes": rx,
    "rx-dropped": 0,
    "rx-errs": 0,
    "rx-packets": Math.floor(rx / 900),
    "tx-bytes": tx,
    "tx-dropped": 0,
    "tx-errs": 0,
    "tx-packets": Math.floor(tx / 900)
  }
}

/** `guest-network-get-interfaces`: loopback, then one `ens18`, `ens19`, … per netN of the config. */
const networkGetInterfaces: Route = (ctx) => {
  const guest = guestAt(ctx, "qemu")
  assertAgentAvailable(guest)
  const interfaces = [
    {
      name: "lo",
      "hardware-address": "00:00:00:00:00:00",
      "ip-addresses": [
        agentAddress("ipv4", { address: "127.0.0.1", prefix: 8 }),
        agentAddress("ipv6", { address: "::1", prefix: 128 })
      ],
      statistics: statistics(guest, ctx.now, 0.01)
    },
    ...netKeys(guest).map((key, index) => {
      const addresses = addressesFor(guest.vmid, index)
      return {
        name: `ens${18 + index}`,
        "hardware-address": macOf(String(guest.config[key])),
        "ip-addresses": [
          agentAddress("ipv4", addresses.ipv4),
          agentAddress("ipv6", addresses.ipv6),
          agentAddress("ipv6", addresses.linkLocal)
        ],
        statistics: statistics(guest, ctx.now, index === 0 ? 1 : 0.1)
      }
    })
  ]
  return { data: { result: interfaces } }
}

const ping: Route = (ctx) => {
  assertAgentAvailable(guestAt(ctx, "qemu"))
  return { data: { result: {} } }
}

const agentCommands = [
  "guest-info",
  "guest-ping",
  "guest-network-get-interfaces",
  "guest-get-osinfo",
  "guest-get-fsinfo",
  "guest-fsfreeze-freeze",
  "guest-fsfreeze-thaw",
  "guest-shutdown",
  "guest-exec",
  "guest-exec-status"
]

const info: Route = (ctx) => {
  assertAgentAvailable(guestAt(ctx, "qemu"))
  return {
    data: {
      result: {
        version: "9.2.0",
        supported_commands: agentCommands.map((name) => ({ name, enabled: true, "success-response": true }))
      }
    }
  }
}

/**
 * pve-container's `interfaces`: `ip addr` of the running container (lo and one ethN per netN, named by the
 * config's `name=`); null while it is not running (get_interfaces returns nothing when no pid is found).
 */
const lxcInterfaces: Route = (ctx) => {
  const guest = guestAt(ctx, "lxc")
  if (guest.status !== "running") return { data: null }
  const row = (
    name: string,
    mac: string,
    v4: { address: string; prefix: number },
    v6: { address: string; prefix: number }
  ) => ({
    name,
    hwaddr: mac,
    "hardware-address": mac,
    inet: `${v4.address}/${v4.prefix}`,
    inet6: `${v6.address}/${v6.prefix}`,
    "ip-addresses": [
      { "ip-address-type": "inet", "ip-address": v4.address, prefix: v4.prefix },
      { "ip-address-type": "inet6", "ip-address": v6.address, prefix: v6.prefix }
    ]
  })
  const data = [
    row("lo", "00:00:00:00:00:00", { address: "127.0.0.1", prefix: 8 }, { address: "::1", prefix: 128 }),
    ...netKeys(guest).map((key, index) => {
      const value = String(guest.config[key])
      const addresses = addressesFor(guest.vmid, index)
      // a static `ip=` of the config is what the container has; dhcp gets the derived address
      const fixed = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(propertyOf(value, "ip") ?? "")
      const v4 = fixed === null ? addresses.ipv4 : { address: fixed[1]!, prefix: Number(fixed[2]) }
      return row(propertyOf(value, "name") ?? `eth${index}`, macOf(value), v4, addresses.ipv6)
    })
  ]
  return { data }
}

export const agentRoutes: Record<string, Route> = {
  "GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": networkGetInterfaces,
  "POST /nodes/{node}/qemu/{vmid}/agent/ping": ping,
  "GET /nodes/{node}/qemu/{vmid}/agent/info": info,
  "GET /nodes/{node}/lxc/{vmid}/interfaces": lxcInterfaces
}
