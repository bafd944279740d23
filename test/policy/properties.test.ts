/**
 * Property-based: random valid arguments from every tool's input Schema (as the client sees it, with the
 * policy arguments), and mutations of them (a field replaced by a hostile or random value, a field dropped, an
 * unknown field added, arbitrary objects). The server must answer every call with a result or an isError
 * result: no protocol error, no crash, no unhandled rejection, and it must still answer afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect, FastCheck as fc } from "effect"
import type { Simulator } from "../../sim/Simulator.js"
import { effectiveInputSchema } from "../../src/policy/Confirmation.js"
import { allTools } from "../../src/tools/index.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import type { ClientGeneration } from "../support/mcpClient.js"

const hostileValues = fc.constantFrom<unknown>(
  "../..",
  "pve1/../access",
  "%2e%2e%2f",
  "\u0000",
  "\r\nX: y",
  "\u2215",
  "a".repeat(5000),
  "",
  -1,
  0,
  1e308,
  Number.MAX_SAFE_INTEGER,
  null,
  true,
  [],
  {},
  { __proto__: { polluted: true } },
  "UPID:pve1:0:0:0:x:y:z:",
  "https://evil.example/",
  "/nodes/pve1/../../access"
)

const randomValue = fc.oneof(hostileValues, fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 40 }), fc.integer())

// Guests that exist in the simulated cluster (vmid → its node), so grounded calls reach Proxmox and run to the end.
const guests = [
  { vmid: 100, node: "pve1" },
  { vmid: 101, node: "pve1" },
  { vmid: 102, node: "pve2" },
  { vmid: 103, node: "pve2" },
  { vmid: 104, node: "pve3" },
  { vmid: 105, node: "pve1" }
]

const existing = (sim: () => Simulator): Record<string, fc.Arbitrary<unknown>> => ({
  path: fc.constantFrom(
    "/version",
    "/nodes/pve1/status",
    "/nodes/pve1/qemu/100/config",
    "/cluster/resources",
    "/nodes/pve2/qemu/102/status/suspend"
  ),
  // only VM 101 has snapshots
  snapshot: fc.constantFrom(undefined, "pre-upgrade", "after-upgrade"),
  // a guest that ignores ACPI keeps its shutdown task running for this many seconds, as on real PVE
  timeout: fc.integer({ min: 0, max: 2 }),
  // config changes and disk growth that PVE accepts (every guest above but 105 is a VM with scsi0)
  set: fc.constantFrom({ description: "property run" }, { onboot: true }),
  delete: fc.constantFrom(undefined, ["description"]),
  disk: fc.constant("scsi0"),
  size: fc.constantFrom("+1G", "+64M"),
  // a snapshot of VM 101 (rollback, delete), a new name (create), or a bridge name (network)
  name: fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom("pre-upgrade", "after-upgrade") },
    { weight: 1, arbitrary: fc.nat({ max: 99_999 }).map((n) => `prop-${n}`) },
    { weight: 1, arbitrary: fc.integer({ min: 80, max: 99 }).map((n) => `vmbr${n}`) }
  ),
  storage: fc.constantFrom("nfs-shared", "local"),
  // a backup archive of the simulated cluster, as it is now
  archive: fc.nat().map((i) => {
    const archives = [...sim().model.storages.get("nfs-shared")!.volumes.get("")!.values()].filter(
      (v) => v.content === "backup"
    )
    return archives[i % Math.max(archives.length, 1)]?.volid ?? "nfs-shared:backup/none"
  }),
  vmids: fc.constantFrom([100], [104, 105]),
  schedule: fc.constantFrom("daily", "sun 01:00", "mon..fri 02:30"),
  // download and bridge arguments that exist or fit (the download's content matches its URL)
  url: fc.nat({ max: 1_000_000 }).map((i) => `https://example.org/images/prop-${i}.iso`),
  content: fc.constant("iso"),
  filename: fc.constant(undefined),
  checksum: fc.constant(undefined),
  checksumAlgorithm: fc.constant(undefined),
  ports: fc.constant(undefined),
  cidr: fc.constantFrom(undefined, "10.99.0.5/24"),
  gateway: fc.constant(undefined),
  // tasks the earlier runs started, when there are some
  upids: fc.nat().map((i) => {
    const tasks = sim().model.taskOrder
    return [tasks[i % Math.max(tasks.length, 1)]?.upid ?? "UPID:pve1:00001234:00005678:6A4E2CB0:qmstart:100:root@pam:"]
  }),
  // a task the earlier runs started, when there is one
  upid: fc.nat().map((i) => {
    const tasks = sim().model.taskOrder
    return tasks[i % Math.max(tasks.length, 1)]?.upid ?? "UPID:pve1:00001234:00005678:6A4E2CB0:qmstart:100:root@pam:"
  })
})

/** The arguments with an existing guest on its own node, existing other targets and a matching confirmation. */
/** Tools that make a guest: a grounded call takes the next free vmid, on pve1 (where the ISOs and templates are). */
const CREATES_GUESTS = new Set(["pve_vm_create", "pve_ct_create"])

const grounded = (input: Record<string, unknown>, sim: () => Simulator, destructive: boolean, creates: boolean) => {
  const known = existing(sim)
  const keys = Object.keys(input).filter((k) => k in known)
  return fc
    .record({
      guest: fc.constantFrom(...guests),
      values: fc.record(Object.fromEntries(keys.map((k) => [k, known[k]!])))
    })
    .map(({ guest, values }) => {
      const out: Record<string, unknown> = { ...input, ...values }
      const ofVm101 = out.snapshot !== undefined || out.name === "pre-upgrade" || out.name === "after-upgrade"
      const target = ofVm101 ? guests[1]! : guest
      if ("vmid" in input) out.vmid = target.vmid
      if ("node" in input) out.node = target.node
      if (creates) {
        delete out.vmid
        out.node = "pve1"
      }
      if (destructive || "confirmVmid" in input || "confirmName" in input || "confirm" in input) {
        // a tool confirms by name (a path, snapshot, archive, task or node) or else by vmid, never both
        const name = out.path ?? out.name ?? out.archive ?? out.upid ?? (out.vmid === undefined ? out.node : undefined)
        Object.assign(
          out,
          name === undefined ? { confirm: true, confirmVmid: out.vmid } : { confirm: true, confirmName: name }
        )
        if (name !== undefined) delete out.confirmVmid
        else delete out.confirmName
      }
      for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k]
      return out
    })
}

const mutations = (
  valid: fc.Arbitrary<Record<string, unknown>>,
  sim: () => Simulator,
  destructive: boolean,
  creates: boolean
) =>
  valid.chain((input) => {
    const keys = Object.keys(input)
    const options: Array<fc.WeightedArbitrary<Record<string, unknown>>> = [
      { weight: 1, arbitrary: fc.constant(input) },
      // twice as often: grounded calls are the ones that reach Proxmox and run to the end
      { weight: 2, arbitrary: grounded(input, sim, destructive, creates) },
      {
        weight: 1,
        arbitrary: fc
          .record({ key: fc.constantFrom(...keys, "unknownArgument", "__proto__", "constructor"), value: randomValue })
          .map(({ key, value }) => ({ ...input, [key]: value }))
      }
    ]
    if (keys.length > 0) {
      options.push({
        weight: 1,
        arbitrary: fc
          .constantFrom(...keys)
          .map((drop) => Object.fromEntries(Object.entries(input).filter(([k]) => k !== drop)))
      })
    }
    return fc.oneof(...options)
  })

const argumentsFor = (tool: (typeof allTools)[number], sim: () => Simulator) => {
  const valid = Arbitrary.make(effectiveInputSchema(tool)) as fc.Arbitrary<Record<string, unknown>>
  return fc.oneof(
    { weight: 3, arbitrary: mutations(valid, sim, tool.kind === "destructive", CREATES_GUESTS.has(tool.name)) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), randomValue, { maxKeys: 5 }) }
  )
}

/**
 * The tools in the order their runs go, on one shared cluster: the ones that take guests away (delete, template,
 * restore over one) last, so the other tools' grounded arguments still name guests as they are.
 */
const REMOVES_GUESTS = new Set(["pve_guest_delete", "pve_guest_convert_to_template", "pve_backup_restore"])
const propertyOrder = [
  ...allTools.filter((t) => !REMOVES_GUESTS.has(t.name)),
  ...allTools.filter((t) => REMOVES_GUESTS.has(t.name))
]

describe.each<ClientGeneration>(["v1", "v2"])(
  "every tool under random and mutated arguments (%s client)",
  (generation) => {
    let server: InProcessServer
    const rejections: unknown[] = []
    const outcomes = new Map<string, { ok: number; error: number }>()
    const onRejection = (reason: unknown) => rejections.push(reason)
    beforeAll(async () => {
      process.on("unhandledRejection", onRejection)
      process.on("uncaughtException", onRejection)
      server = await inProcess(generation, {
        env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
        sim: { taskDurationMs: 5 },
        // a mutated `timeout` can still ask for an hour-long shutdown: the tool must give up with an isError
        // (TaskTimeout) well before the client's own 60 s request timeout
        config: { taskTimeoutMs: 3_000 }
      })
    })
    afterAll(async () => {
      await server.close()
      process.off("unhandledRejection", onRejection)
      process.off("uncaughtException", onRejection)
    })

    for (const tool of propertyOrder) {
      it.effect.prop(
        `${tool.name} answers with a result or isError`,
        [argumentsFor(tool, () => server.sim)],
        ([args]) =>
          Effect.promise(async () => {
            const result = await server.callTool(tool.name, args)
            outcomes.set(tool.name, {
              ...(outcomes.get(tool.name) ?? { ok: 0, error: 0 }),
              [result.isError ? "error" : "ok"]: (outcomes.get(tool.name)?.[result.isError ? "error" : "ok"] ?? 0) + 1
            })
            expect(Array.isArray(result.content)).toBe(true)
            if (result.isError !== true) expect(result.structuredContent).toBeDefined()
            else expect(result.content.map((c) => c.text ?? "").join("").length).toBeGreaterThan(0)
          }),
        { timeout: 120_000, fastCheck: { numRuns: 30 } }
      )
    }

    it("is still alive and nothing was rejected unhandled", async () => {
      const version = await server.callTool("pve_version", {})
      expect(version.isError).toBeFalsy()
      expect(rejections).toEqual([])
      // the runs went past argument checking: most tools also succeed at least once. Random arguments on one
      // shared cluster leave a few tools without a success in a run (4 to 6 of 54 seen, a different few each time),
      // so the bound is a fifth of the tools, and the message names them
      const neverSucceeded = allTools.map((t) => t.name).filter((name) => !(outcomes.get(name)?.ok ?? 0))
      expect(neverSucceeded.length, `never succeeded: ${neverSucceeded.join(", ")}`).toBeLessThanOrEqual(
        Math.floor(allTools.length / 5)
      )
      expect(server.logs.filter((l) => l.includes("failed unexpectedly"))).toEqual([])
    })
  }
)
