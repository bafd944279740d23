/**
 * A container's addresses in both shapes pve-container has answered with: PVE 7's one `inet`/`inet6` per interface
 * (get_interfaces before `ip-addresses`), and PVE 8/9's `ip-addresses` list. The PVE side is a fixed answer.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { getGuestInterfaces } from "../../src/proxmox/guests.js"
import { ProxmoxClient } from "../../src/proxmox/ProxmoxClient.js"

const answering = (data: unknown) =>
  Layer.succeed(ProxmoxClient, { execute: () => Effect.succeed({ data, total: undefined }) })

const ct = { vmid: 105, node: "pve1", type: "lxc", name: "dns-01" } as const

describe("container interfaces", () => {
  it.effect("PVE 7: inet and inet6 of each interface", () =>
    Effect.gen(function* () {
      const found = yield* getGuestInterfaces(ct)
      expect(found).toEqual([
        { name: "lo", mac: "00:00:00:00:00:00", ipv4: ["127.0.0.1/8"], ipv6: ["::1/128"] },
        { name: "eth0", mac: "bc:24:11:aa:bb:cc", ipv4: ["192.168.1.20/24"], ipv6: [] }
      ])
    }).pipe(
      Effect.provide(
        answering([
          { name: "lo", hwaddr: "00:00:00:00:00:00", inet: "127.0.0.1/8", inet6: "::1/128" },
          { name: "eth0", hwaddr: "bc:24:11:aa:bb:cc", inet: "192.168.1.20/24" }
        ])
      )
    )
  )

  it.effect("PVE 8/9: every address of the ip-addresses list, by family", () =>
    Effect.gen(function* () {
      const found = yield* getGuestInterfaces(ct)
      expect(found).toEqual([
        { name: "eth0", mac: "bc:24:11:aa:bb:cc", ipv4: ["10.0.0.5/24", "10.0.0.6/24"], ipv6: ["fd00::5/64"] }
      ])
    }).pipe(
      Effect.provide(
        answering([
          {
            name: "eth0",
            hwaddr: "bc:24:11:aa:bb:cc",
            "hardware-address": "bc:24:11:aa:bb:cc",
            inet: "10.0.0.5/24",
            "ip-addresses": [
              { "ip-address-type": "inet", "ip-address": "10.0.0.5", prefix: 24 },
              { "ip-address-type": "inet", "ip-address": "10.0.0.6", prefix: "24" },
              { "ip-address-type": "inet6", "ip-address": "fd00::5", prefix: 64 }
            ]
          }
        ])
      )
    )
  )

  it.effect("a stopped container: PVE answers null, so there are none", () =>
    Effect.map(getGuestInterfaces(ct), (found) => expect(found).toBeUndefined()).pipe(Effect.provide(answering(null)))
  )
})
