/**
 * Property: for random allowlists and random requests to random endpoints of the real schema (placeholders and
 * parameters filled with nodes, guests, storages, volumes, host paths and bulk selectors of the simulated
 * cluster), a request either reaches the simulator with everything it names inside the allowlists, or is
 * refused with nothing but proving reads sent; and no answer shows a hidden node, guest or storage. The oracle
 * is what the generator put in and what the simulator received, not the policy's own target extraction.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { endpointScope } from "../../src/policy/Allowlist.js"
import type { Allowlists } from "../../src/policy/PolicyConfig.js"
import type { EndpointDef } from "../../src/proxmox/ApiSchema.js"
import { apiSchemaData } from "../../src/proxmox/generated/apiSchemaData.js"
import type { PveRequest } from "../../src/proxmox/ProxmoxClient.js"
import { makeScopeClient, requestFor, type ScopeClient } from "../support/scopeClient.js"

const NODES = ["pve1", "pve2", "pve3"] as const
const VMIDS = [100, 101, 102, 103, 104, 105, 106, 107, 108, 9000] as const
const STORAGES = ["local", "local-lvm", "nfs-shared"] as const

/** Something a request names: what the generator put in, checked against the allowlists by the oracle. */
type Mention =
  | { readonly kind: "node"; readonly value: string }
  | { readonly kind: "vmid"; readonly value: number }
  | { readonly kind: "storage"; readonly value: string }
  | { readonly kind: "host" }
  | { readonly kind: "every-guest" }

const subset = <A>(items: ReadonlyArray<A>) =>
  fc.option(fc.subarray([...items], { minLength: 1 }), { nil: undefined, freq: 3 })

const allowlistsArb: fc.Arbitrary<Allowlists> = fc.record({
  nodes: subset(NODES),
  vmids: subset(VMIDS).map((v) => v?.map((n) => ({ from: n, to: n }))),
  storages: subset(STORAGES)
})

interface Pick {
  readonly node: string
  readonly vmid: number
  readonly vmid2: number
  readonly storage: string
  readonly variant: number
}

const pickArb: fc.Arbitrary<Pick> = fc.record({
  node: fc.constantFrom(...NODES),
  vmid: fc.constantFrom(...VMIDS),
  vmid2: fc.constantFrom(...VMIDS),
  storage: fc.constantFrom(...STORAGES),
  variant: fc.nat(3)
})

/** A value for a parameter (or placeholder) by its name, and what it names. */
const valueFor = (
  name: string,
  p: Pick,
  isArray: boolean,
  guestSelector = false
): { value: unknown; mentions: Mention[] } | undefined => {
  const vm: Mention = { kind: "vmid", value: p.vmid }
  const st: Mention = { kind: "storage", value: p.storage }
  const nd: Mention = { kind: "node", value: p.node }
  if (name === "vmid" || name === "newid" || name === "guest") return { value: String(p.vmid), mentions: [vm] }
  if (name === "vms") {
    const both: Mention[] = [vm, { kind: "vmid", value: p.vmid2 }]
    return { value: isArray ? [p.vmid, p.vmid2] : `${p.vmid},${p.vmid2}`, mentions: both }
  }
  if (/^(storage|target-storage|statestorage|vmstatestorage)$/.test(name)) return { value: p.storage, mentions: [st] }
  if (/^(target|source|nodes)$/.test(name)) return { value: p.node, mentions: [nd] }
  if (/^(archive|volume|ostemplate|volid)$/.test(name)) {
    const volumes = [
      `${p.storage}:vm-${p.vmid}-disk-0`,
      `${p.storage}:backup/vm/${p.vmid}/2025-01-01T02:00:00Z`,
      `${p.storage}:backup/vzdump-qemu-${p.vmid}-2025_01_01-02_00_00.vma.zst`,
      `${p.storage}:iso/debian-12.iso`
    ]
    return { value: volumes[p.variant]!, mentions: p.variant === 3 ? [st] : [st, vm] }
  }
  if (/^(scsi|virtio|sata|ide)\[n\]$/.test(name)) {
    const disks: Array<[string, Mention[]]> = [
      [`${p.storage}:8`, [st]],
      ["/dev/sdb", [{ kind: "host" }]],
      [`${p.storage}:0,import-from=/dev/mapper/pve-vm--${p.vmid}--disk--0`, [st, { kind: "host" }]],
      [`${p.storage}:vm-${p.vmid}-disk-1`, [st, vm]]
    ]
    return { value: disks[p.variant]![0], mentions: disks[p.variant]![1] }
  }
  if (name === "mp[n]" || name === "rootfs") {
    return p.variant % 2 === 0
      ? { value: `${p.storage}:8,mp=/srv`, mentions: [st] }
      : { value: `/mnt/pve/${p.storage}/images/${p.vmid},mp=/srv`, mentions: [{ kind: "host" }] }
  }
  if (name === "dev[n]") return { value: "path=/dev/sda", mentions: [{ kind: "host" }] }
  if (name === "args") return { value: "-drive file=/dev/sda", mentions: [{ kind: "host" }] }
  if (name === "all") return { value: 1, mentions: [{ kind: "every-guest" }] }
  // a resource pool selects guests; elsewhere (storage options) `pool` is a Ceph or ZFS pool name
  if (name === "pool") return { value: "production", mentions: guestSelector ? [{ kind: "every-guest" }] : [] }
  if (name === "sid" || name === "resources") return { value: `vm:${p.vmid}`, mentions: [vm] }
  return undefined
}

/** The values for a template's placeholders, and what they name. */
const placeholders = (template: string, p: Pick) => {
  const values: Record<string, string> = {}
  const mentions: Mention[] = []
  for (const [, name] of template.matchAll(/\{([\w-]+)\}/g)) {
    if (name === "node") {
      values.node = p.node
      mentions.push({ kind: "node", value: p.node })
    } else if (name === "vmid") {
      values.vmid = String(p.vmid)
      mentions.push({ kind: "vmid", value: p.vmid })
    } else if (name === "storage") {
      values.storage = p.storage
      mentions.push({ kind: "storage", value: p.storage })
    } else if (name === "volume") {
      const v = valueFor("volume", p, false)!
      values.volume = v.value as string
      mentions.push(...v.mentions)
    } else if (name === "upid") {
      values.upid = `UPID:${p.node}:0006D77B:00548A83:6A4E2CB0:qmstart:${p.vmid}:root@pam:`
      mentions.push({ kind: "node", value: p.node }, { kind: "vmid", value: p.vmid })
    } else if (name === "id" && template.includes("/replication/")) {
      values.id = `${p.vmid}-0`
      mentions.push({ kind: "vmid", value: p.vmid })
    } else if (name === "sid") {
      values.sid = `vm:${p.vmid}`
      mentions.push({ kind: "vmid", value: p.vmid })
    }
  }
  return { values, mentions }
}

const inside = (allowlists: Allowlists, m: Mention) => {
  if (m.kind === "node") return allowlists.nodes === undefined || allowlists.nodes.includes(m.value)
  if (m.kind === "storage") return allowlists.storages === undefined || allowlists.storages.includes(m.value)
  if (m.kind === "vmid") return allowlists.vmids === undefined || allowlists.vmids.some((r) => r.from === m.value)
  if (m.kind === "every-guest") return allowlists.vmids === undefined
  return allowlists.nodes === undefined && allowlists.vmids === undefined && allowlists.storages === undefined
}

const requestArb = fc
  .record({
    endpoint: fc.constantFrom(...apiSchemaData.endpoints),
    pick: pickArb,
    paramPick: pickArb,
    chosen: fc.array(fc.nat(), { maxLength: 4 })
  })
  .map(({ endpoint, pick, paramPick, chosen }) => buildRequest(endpoint, pick, paramPick, chosen))

const buildRequest = (endpoint: EndpointDef, pick: Pick, paramPick: Pick, chosen: ReadonlyArray<number>) => {
  const { values, mentions } = placeholders(endpoint.path, pick)
  const pathNames = new Set(Object.keys(values))
  const candidates = Object.keys(endpoint.parameters.properties ?? {}).filter(
    (name) =>
      !pathNames.has(name) &&
      name !== "node" &&
      valueFor(name, paramPick, false) !== undefined &&
      // `target` is an iSCSI target or a path elsewhere: a node only where the schema says so
      (!/^(target|source|nodes)$/.test(name) || /node/.test(String(endpoint.parameters.properties![name]!.format)))
  )
  const params: Record<string, unknown> = {}
  for (const index of chosen) {
    if (candidates.length === 0) break
    const name = candidates[index % candidates.length]!
    const schema = endpoint.parameters.properties![name]!
    const selectsGuests = Object.hasOwn(endpoint.parameters.properties ?? {}, "vmid")
    const value = valueFor(name, paramPick, schema.type === "array", selectsGuests)!
    // indexed keys (scsi[n]) are sent as their first instance
    params[name.replace("[n]", name.startsWith("mp") || name.startsWith("dev") ? "0" : "1")] = value.value
    mentions.push(...value.mentions)
  }
  const request = requestFor(endpoint.method, endpoint.path, values, params as PveRequest["params"])
  return { key: `${endpoint.method} ${endpoint.path}`, request, mentions }
}

const endpointOf = (key: string) => apiSchemaData.endpoints.find((e) => `${e.method} ${e.path}` === key)!

/** What reaching the whole node or an object by id adds to the mentions, from the simulator's state. */
const implied = (client: ScopeClient, endpoint: EndpointDef, request: PveRequest): Mention[] => {
  const scope = endpointScope(endpoint.method, endpoint.path)
  const model = client.sim.model
  if (scope.scope === "node-guests" && request.params?.vms === undefined) {
    return [...model.guests.values()]
      .filter((g) => g.node === request.path.params.node)
      .map((g) => ({ kind: "vmid", value: g.vmid }))
  }
  if (scope.scope === "by-id" && endpoint.method !== "GET") {
    const job = model.backupJobs.get(request.path.params.id ?? "")
    if (job !== undefined && job.all === 1) return [{ kind: "every-guest" }]
    const rule = model.haRules.get(request.path.params.rule ?? "")
    const replication = model.replicationJobs.get(request.path.params.id ?? "")
    return [
      ...(job?.vmid?.split(",").map((v): Mention => ({ kind: "vmid", value: Number(v) })) ?? []),
      ...(job === undefined ? [] : [{ kind: "storage" as const, value: job.storage }]),
      ...(rule?.resources.split(",").map((r): Mention => ({ kind: "vmid", value: Number(r.split(":")[1]) })) ?? []),
      ...(replication === undefined ? [] : [{ kind: "node" as const, value: replication.target }])
    ]
  }
  return []
}

const hiddenInAnswer = (allowlists: Allowlists, data: unknown): string | undefined => {
  const json = JSON.stringify(data) ?? ""
  for (const node of NODES) {
    if (allowlists.nodes !== undefined && !allowlists.nodes.includes(node) && json.includes(`"node":"${node}"`))
      return node
  }
  for (const vmid of VMIDS) {
    const hidden = allowlists.vmids !== undefined && !allowlists.vmids.some((r) => r.from === vmid)
    if (hidden && (json.includes(`"vmid":${vmid},`) || json.includes(`"vmid":${vmid}}`))) return String(vmid)
  }
  for (const storage of STORAGES) {
    if (allowlists.storages !== undefined && !allowlists.storages.includes(storage)) {
      if (json.includes(`"storage":"${storage}"`)) return storage
    }
  }
  return undefined
}

describe("random allowlists, random requests to random endpoints", () => {
  let client: ScopeClient
  beforeAll(async () => {
    client = await makeScopeClient()
  })
  afterAll(() => client.close())

  it("each request is proven inside the allowlists or refused unsent, and no answer shows what is hidden", async () => {
    await fc.assert(
      fc.asyncProperty(allowlistsArb, requestArb, async (allowlists, { key, request, mentions }) => {
        const endpoint = endpointOf(key)
        const reached = [...mentions, ...implied(client, endpoint, request)]
        client.sim.clearRequests()
        const result = await client.send(allowlists, request)
        const itself = `${request.method} ${request.path.path}`
        const wire = client.sim.requests.map((r) => `${r.method} ${r.path}`)
        // nothing but the request itself and reads ever reaches the simulator
        for (const w of wire) expect(w === itself || w.startsWith("GET "), w).toBe(true)
        if (Either.isLeft(result) && result.left._tag === "PolicyDenied") {
          if (request.method !== "GET") expect(wire, itself).not.toContain(itself)
          else expect(wire.filter((w) => w === itself).length).toBeLessThanOrEqual(1)
          return
        }
        if (wire.includes(itself) && request.method !== "GET") {
          for (const m of reached) expect(inside(allowlists, m), `${itself} reached ${JSON.stringify(m)}`).toBe(true)
        }
        if (request.method === "GET" && wire.includes(itself)) {
          for (const m of mentions) expect(inside(allowlists, m), `${itself} reached ${JSON.stringify(m)}`).toBe(true)
        }
        if (Either.isRight(result)) {
          expect(hiddenInAnswer(allowlists, result.right.data), `${itself} answered`).toBeUndefined()
        }
      }),
      { numRuns: 600 }
    )
  })

  it("the property has teeth: some requests are sent and some refused", async () => {
    const samples = fc.sample(fc.tuple(allowlistsArb, requestArb), { numRuns: 200, seed: 8 })
    let sent = 0
    let refused = 0
    for (const [allowlists, { request }] of samples) {
      client.sim.clearRequests()
      const result = await client.send(allowlists, request)
      if (Either.isLeft(result) && result.left._tag === "PolicyDenied") refused++
      else if (client.sim.requests.some((r) => r.path === request.path.path)) sent++
    }
    expect(sent).toBeGreaterThan(20)
    expect(refused).toBeGreaterThan(20)
  })
})
