import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Ref, Schema } from "effect"
import type { PveConfig } from "../../src/config/PveConfig.js"
import { requestFingerprint, WriteGate } from "../../src/policy/WriteGate.js"
import { getClusterResources, getClusterStatus } from "../../src/proxmox/cluster.js"
import { call, endpoint } from "../../src/proxmox/Endpoint.js"
import { listGuests, powerEndpoints } from "../../src/proxmox/guests.js"
import { listNodes } from "../../src/proxmox/nodes.js"
import type { PvePath } from "../../src/proxmox/Path.js"
import { pathProblem } from "../../src/proxmox/Path.js"
import { type Params, ProxmoxClient, type PveRequest } from "../../src/proxmox/ProxmoxClient.js"
import { withPolicies } from "../support/policyLayer.js"

const run = <A, E>(env: Record<string, string>, effect: Effect.Effect<A, E, ProxmoxClient | PveConfig>) => {
  const setup = withPolicies(env)
  return Effect.runPromise(Effect.exit(Effect.provide(effect, setup.layer))).then((exit) => ({ ...setup, exit }))
}

const failureOf = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${exit.cause._tag}`)
  // a plain copy: vitest cannot print Effect's error objects when an assertion on them fails
  const { _tag, message, policy } = failure as {
    readonly _tag: string
    readonly message: string
    readonly policy?: string
  }
  return { _tag, message, ...(policy === undefined ? {} : { policy }) }
}

const execute = (request: PveRequest) => Effect.flatMap(ProxmoxClient, (c) => c.execute(request))

const writes = (sim: { readonly requests: ReadonlyArray<{ readonly method: string }> }) =>
  sim.requests.filter((r) => r.method !== "GET")

const path = (template: string, params: Record<string, string>): PvePath => ({
  template,
  params,
  path: template.replace(/\{([\w-]+)\}/g, (_, name: string) => encodeURIComponent(params[name]!))
})

const post = (template: string, params: Record<string, string>, body: Params = {}): PveRequest => ({
  method: "POST",
  path: path(template, params),
  params: body
})

const writable = { PVE_READONLY: "false" }

describe("policy client: read-only", () => {
  it("refuses every non-GET request, whichever code built it, and sends nothing", async () => {
    for (const request of [
      post("/nodes/{node}/qemu/{vmid}/status/start", { node: "pve1", vmid: "104" }),
      { ...post("/nodes/{node}/qemu/{vmid}", { node: "pve1", vmid: "104" }), method: "DELETE" as const },
      {
        ...post("/nodes/{node}/qemu/{vmid}/config", { node: "pve1", vmid: "100" }, { memory: 4096 }),
        method: "PUT" as const
      }
    ]) {
      const { exit, sim, auditEntries } = await run({}, execute(request))
      expect(failureOf(exit)).toMatchObject({ _tag: "PolicyDenied", policy: "read-only" })
      expect(sim.requests).toHaveLength(0)
      expect(auditEntries()).toMatchObject([{ method: request.method, outcome: "denied", tool: null }])
    }
  })

  it("refuses a write made with the typed helper too", async () => {
    const { exit, sim } = await run({}, call(powerEndpoints.stop.qemu, { node: "pve1", vmid: 100 }))
    expect(failureOf(exit).message).toContain("read-only")
    expect(sim.requests).toHaveLength(0)
  })

  it("lets reads through", async () => {
    const { exit } = await run({}, listNodes)
    expect(Exit.isSuccess(exit)).toBe(true)
  })
})

describe("policy client: request shape at the door", () => {
  it.each<[string, PvePath]>([
    [
      "a value with a slash",
      {
        template: "/nodes/{node}/status",
        params: { node: "pve1/../../access" },
        path: "/nodes/pve1%2F..%2F..%2Faccess/status"
      }
    ],
    [
      "a path that is not the template filled in",
      { template: "/nodes/{node}/status", params: { node: "pve1" }, path: "/access/users" }
    ],
    [
      "a raw dot segment in the path",
      { template: "/nodes/{node}/status", params: { node: "pve1" }, path: "/nodes/pve1/../status" }
    ],
    ["a dot-dot template", { template: "/nodes/../access/users", params: {}, path: "/nodes/../access/users" }],
    ["a missing value", { template: "/nodes/{node}/status", params: {}, path: "/nodes//status" }],
    ["an extra value", { template: "/version", params: { node: "pve1" }, path: "/version" }],
    [
      "a control character",
      { template: "/nodes/{node}/status", params: { node: "pve1\r\n" }, path: "/nodes/pve1%0D%0A/status" }
    ],
    [
      "a non-ASCII look-alike slash",
      { template: "/nodes/{node}/status", params: { node: "pve1\u2215x" }, path: "/nodes/pve1%E2%88%95x/status" }
    ],
    ["a query in the template", { template: "/version?x=1", params: {}, path: "/version?x=1" }],
    [
      "a node that is not a node name",
      { template: "/nodes/{node}/status", params: { node: "-pve1" }, path: "/nodes/-pve1/status" }
    ],
    [
      "a volume walking up",
      {
        template: "/nodes/{node}/storage/{storage}/content/{volume}",
        params: { node: "pve1", storage: "local", volume: "local:iso/../../x" },
        path: "/nodes/pve1/storage/local/content/local%3Aiso%2F..%2F..%2Fx"
      }
    ]
  ])("refuses %s, sending nothing", async (_, badPath) => {
    expect(pathProblem(badPath)).toBeDefined()
    const { exit, sim } = await run(writable, execute({ method: "GET", path: badPath }))
    expect(failureOf(exit)._tag).toBe("InvalidInput")
    expect(sim.requests).toHaveLength(0)
  })

  it("refuses a template that is not an endpoint of the real API", async () => {
    const { exit, sim } = await run(
      writable,
      execute({ method: "POST", path: path("/nodes/{node}/bogus", { node: "pve1" }) })
    )
    expect(failureOf(exit)).toMatchObject({ _tag: "PolicyDenied", policy: "api-schema" })
    expect(sim.requests).toHaveLength(0)
  })

  it("accepts a well-formed volume path", () => {
    expect(
      pathProblem(
        path("/nodes/{node}/storage/{storage}/content/{volume}", {
          node: "pve1",
          storage: "local",
          volume: "local:iso/debian-12.iso"
        })
      )
    ).toBeUndefined()
  })
})

describe("policy client: allowlists on requests", () => {
  const denied = async (env: Record<string, string>, request: PveRequest, mentions: string) => {
    const { exit, sim, auditEntries } = await run({ ...writable, ...env }, execute(request))
    const failure = failureOf(exit)
    expect(failure).toMatchObject({ _tag: "PolicyDenied", policy: "allowlist" })
    expect(failure.message).toContain(mentions)
    expect(sim.requests).toHaveLength(0)
    if (request.method !== "GET") expect(auditEntries().at(-1)).toMatchObject({ outcome: "denied" })
  }
  const nodes = { PVE_NODE_ALLOWLIST: "pve1,pve2" }
  const vmids = { PVE_VMID_ALLOWLIST: "100-103" }
  const storages = { PVE_STORAGE_ALLOWLIST: "local-lvm" }

  it("node in the path", () =>
    denied(nodes, { method: "GET", path: path("/nodes/{node}/status", { node: "pve3" }) }, "pve3"))
  it("guest in the path", () =>
    denied(
      vmids,
      { method: "GET", path: path("/nodes/{node}/qemu/{vmid}/config", { node: "pve3", vmid: "104" }) },
      "104"
    ))
  it("storage in the path", () =>
    denied(
      storages,
      { method: "GET", path: path("/nodes/{node}/storage/{storage}/content", { node: "pve1", storage: "local" }) },
      "local"
    ))
  it("storage of a volume in the path", () =>
    denied(
      storages,
      {
        method: "GET",
        path: path("/nodes/{node}/storage/{storage}/content/{volume}", {
          node: "pve1",
          storage: "local-lvm",
          volume: "local:iso/x.iso"
        })
      },
      "local"
    ))
  it("node and guest of a task id", () =>
    denied(
      nodes,
      {
        method: "GET",
        path: path("/nodes/{node}/tasks/{upid}/status", {
          node: "pve1",
          upid: "UPID:pve3:0000A1B2:00C3D4E5:6A4E2CB0:qmstart:104:root@pam:"
        })
      },
      "pve3"
    ))
  it("migration target node", () =>
    denied(
      nodes,
      post("/nodes/{node}/qemu/{vmid}/migrate", { node: "pve1", vmid: "100" }, { target: "pve3", online: true }),
      "pve3"
    ))
  it("clone target id", () =>
    denied(vmids, post("/nodes/{node}/qemu/{vmid}/clone", { node: "pve1", vmid: "100" }, { newid: 200 }), "200"))
  it("clone target storage", () =>
    denied(
      storages,
      post("/nodes/{node}/qemu/{vmid}/clone", { node: "pve1", vmid: "100" }, { newid: 120, storage: "nfs-shared" }),
      "nfs-shared"
    ))
  it("restore into a guest id", () =>
    denied(
      vmids,
      post(
        "/nodes/{node}/qemu",
        { node: "pve1" },
        { vmid: 150, archive: "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst" }
      ),
      "150"
    ))
  it("restore from another guest's backup", () =>
    denied(
      vmids,
      post(
        "/nodes/{node}/qemu",
        { node: "pve1" },
        { vmid: 101, archive: "local:backup/vzdump-qemu-104-2026_01_01-00_00_00.vma.zst" }
      ),
      "104"
    ))
  it("disk on a storage outside the list, in a property string", () =>
    denied(
      storages,
      {
        method: "PUT",
        path: path("/nodes/{node}/qemu/{vmid}/config", { node: "pve1", vmid: "100" }),
        params: { scsi1: "nfs-shared:32,iothread=1" }
      },
      "nfs-shared"
    ))
  it("another guest's disk attached through a property string", () =>
    denied(
      vmids,
      {
        method: "PUT",
        path: path("/nodes/{node}/qemu/{vmid}/config", { node: "pve1", vmid: "100" }),
        params: { scsi1: "local-lvm:vm-104-disk-0" }
      },
      "104"
    ))
  it("a host path as disk under a storage allowlist", () =>
    denied(
      storages,
      {
        method: "PUT",
        path: path("/nodes/{node}/qemu/{vmid}/config", { node: "pve1", vmid: "100" }),
        params: { scsi1: "/dev/sda" }
      },
      "host path"
    ))
  it("a backup of every guest", () =>
    denied(vmids, post("/nodes/{node}/vzdump", { node: "pve1" }, { all: 1, storage: "local" }), "every guest"))
  it("a backup job without a guest list", () =>
    denied(vmids, post("/cluster/backup", {}, { schedule: "daily", storage: "local" }), "every guest"))
  it("a backup with a guest range that leaves the list", () =>
    denied(vmids, post("/nodes/{node}/vzdump", { node: "pve1" }, { vmid: "101,103-105" }), "104"))

  it("HA resource in the parameters", () => denied(vmids, post("/cluster/ha/resources", {}, { sid: "vm:104" }), "104"))
  it("HA resource in the path", () =>
    denied(vmids, { method: "GET", path: path("/cluster/ha/resources/{sid}", { sid: "ct:105" }) }, "105"))

  it("lets allowed targets through and records the UPID", async () => {
    const setup = withPolicies({ ...writable, ...nodes, ...vmids, ...storages })
    const exit = await Effect.runPromise(
      Effect.exit(
        Effect.provide(
          execute(post("/nodes/{node}/qemu/{vmid}/status/suspend", { node: "pve1", vmid: "100" })),
          setup.layer
        )
      )
    )
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(writes(setup.sim)).toHaveLength(1)
    const [entry] = setup.auditEntries()
    expect(entry).toMatchObject({ method: "POST", path: "/nodes/pve1/qemu/100/status/suspend", outcome: "ok" })
    expect(entry!.upid).toMatch(/^UPID:pve1:/)
  })
})

describe("policy client: allowlists on answers", () => {
  const answer = async <A>(env: Record<string, string>, effect: Effect.Effect<A, unknown, ProxmoxClient>) => {
    const { exit } = await run(env, effect)
    if (!Exit.isSuccess(exit)) throw new Error("expected success")
    return exit.value
  }

  it("filters /cluster/resources by node, guest and storage", async () => {
    const all = await answer({}, getClusterResources())
    expect(all.some((r) => r.node === "pve3")).toBe(true)
    const filtered = await answer(
      { PVE_NODE_ALLOWLIST: "pve1", PVE_VMID_ALLOWLIST: "100,105", PVE_STORAGE_ALLOWLIST: "local" },
      getClusterResources()
    )
    expect(filtered.length).toBeGreaterThan(0)
    for (const r of filtered) {
      if (r.node !== undefined) expect(r.node).toBe("pve1")
      if (r.vmid !== undefined) expect([100, 105]).toContain(r.vmid)
      if (r.type === "storage") expect(r.storage).toBe("local")
    }
    expect(
      filtered
        .filter((r) => r.vmid !== undefined)
        .map((r) => r.vmid)
        .sort()
    ).toEqual([100, 105])
  })

  it("filters guest lists, node lists and cluster status", async () => {
    expect((await answer({ PVE_VMID_ALLOWLIST: "101-102" }, listGuests())).map((g) => g.vmid)).toEqual([101, 102])
    expect((await answer({ PVE_NODE_ALLOWLIST: "pve2" }, listNodes)).map((n) => n.node)).toEqual(["pve2"])
    const status = await answer({ PVE_NODE_ALLOWLIST: "pve2" }, getClusterStatus)
    expect(status.filter((e) => e.type === "node").map((e) => e.name)).toEqual(["pve2"])
    expect(status.some((e) => e.type === "cluster")).toBe(true)
  })

  it("filters a node's guest list and storage content by guest", async () => {
    const Rows = Schema.Array(Schema.Struct({ vmid: Schema.optional(Schema.Union(Schema.Number, Schema.String)) }))
    const guests = await answer(
      { PVE_VMID_ALLOWLIST: "100" },
      call(endpoint("GET", "/nodes/{node}/qemu", Rows), { node: "pve1" })
    )
    expect(guests.map((g) => Number(g.vmid))).toEqual([100])
    const content = await answer(
      { PVE_VMID_ALLOWLIST: "100" },
      call(endpoint("GET", "/nodes/{node}/storage/{storage}/content", Rows), { node: "pve1", storage: "local-lvm" })
    )
    for (const row of content) if (row.vmid !== undefined) expect(Number(row.vmid)).toBe(100)
  })
})

describe("policy client: write gate", () => {
  const stop100 = post("/nodes/{node}/qemu/{vmid}/status/stop", { node: "pve1", vmid: "100" })
  const stop101 = post("/nodes/{node}/qemu/{vmid}/status/stop", { node: "pve1", vmid: "101" })

  it("lets only the confirmed request through, once", async () => {
    const approved = { _tag: "Approved" as const, fingerprints: [requestFingerprint(stop100)], sent: Ref.unsafeMake(0) }
    const { exit, sim } = await run(
      writable,
      Effect.gen(function* () {
        const other = yield* Effect.exit(execute(stop101))
        return other
      }).pipe(Effect.provideService(WriteGate, approved))
    )
    expect(Exit.isSuccess(exit)).toBe(true)
    if (Exit.isSuccess(exit)) expect(failureOf(exit.value)).toMatchObject({ _tag: "PolicyDenied", policy: "plan" })
    expect(writes(sim)).toHaveLength(0)

    const fresh = { _tag: "Approved" as const, fingerprints: [requestFingerprint(stop100)], sent: Ref.unsafeMake(0) }
    const twice = await run(
      writable,
      Effect.gen(function* () {
        yield* execute(stop100)
        return yield* Effect.exit(execute(stop100))
      }).pipe(Effect.provideService(WriteGate, fresh))
    )
    expect(Exit.isSuccess(twice.exit)).toBe(true)
    if (Exit.isSuccess(twice.exit)) expect(failureOf(twice.exit.value)._tag).toBe("PolicyDenied")
    expect(writes(twice.sim)).toHaveLength(1)
  })

  it("previews writes after the policies: each is audited as shown and none is sent", async () => {
    const { exit, sim, auditEntries } = await run(
      writable,
      Effect.all([execute(stop100), execute(stop101)]).pipe(
        Effect.provideService(WriteGate, { _tag: "Preview", purpose: "dry-run" })
      )
    )
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(writes(sim)).toHaveLength(0)
    expect(auditEntries().map((e) => [e.outcome, e.path])).toEqual([
      ["dry-run", "/nodes/pve1/qemu/100/status/stop"],
      ["dry-run", "/nodes/pve1/qemu/101/status/stop"]
    ])
  })

  it("refuses every write while a tool is planning, with an audit line, and sends nothing", async () => {
    const { exit, sim, auditEntries } = await run(
      writable,
      execute(stop100).pipe(Effect.provideService(WriteGate, { _tag: "Planning" }))
    )
    expect(failureOf(exit)).toMatchObject({ _tag: "PolicyDenied", policy: "plan" })
    expect(writes(sim)).toHaveLength(0)
    expect(auditEntries().map((e) => e.outcome)).toEqual(["denied"])
  })
})
