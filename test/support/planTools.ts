/**
 * Tools that write more than once, for the plan tests: registered beside the real tools through the same
 * adapter and pipeline. Each is an ordinary tool value; only their purpose (testing plans) is special.
 */
import { Effect, Schema } from "effect"
import { clusterResourcesEndpoint } from "../../src/proxmox/cluster.js"
import { endpoint } from "../../src/proxmox/Endpoint.js"
import {
  getGuestConfig,
  getGuestStatus,
  guestConfigEndpoints,
  guestStatusEndpoints,
  powerActionEndpoints,
  powerPlan,
  resolveGuest
} from "../../src/proxmox/guests.js"
import { pvePath } from "../../src/proxmox/Path.js"
import { plan, planStep } from "../../src/proxmox/Plan.js"
import { ProxmoxClient } from "../../src/proxmox/ProxmoxClient.js"
import { type AnyTool, destructiveTool, writeTool } from "../../src/proxmox/Tool.js"
import { Vmid } from "../../src/tools/fields.js"

const configPut = endpoint("PUT", "/nodes/{node}/qemu/{vmid}/config", Schema.Unknown)
const resolveEndpoints = [clusterResourcesEndpoint, ...Object.values(guestStatusEndpoints)]
const configEndpoints = [...resolveEndpoints, guestConfigEndpoints.qemu, configPut]

const ConfigResult = Schema.Struct({ vmid: Schema.Number, description: Schema.String, tags: Schema.String })

/** Two `PUT …/config`: the description (locked with the digest read while planning), then the tags. */
export const twoConfigWrites = destructiveTool({
  name: "pve_test_two_config_writes",
  title: "Test: two config writes",
  description: "Sets a VM's description, then its tags: two writes in one plan.",
  toolset: "provisioning",
  input: Schema.Struct({ vmid: Vmid, description: Schema.String, tags: Schema.String }),
  output: ConfigResult,
  endpoints: configEndpoints,
  confirmTarget: { echo: "vmid", of: (input) => input.vmid },
  plan: ({ vmid, description, tags }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid)
      const config = yield* getGuestConfig(guest)
      const at = { node: guest.node, vmid }
      const first = yield* planStep(configPut, at, { description, digest: String(config.digest) })
      const second = yield* planStep(configPut, at, { tags })
      return plan([first, second], () => Effect.succeed({ vmid, description, tags }))
    }),
  render: (r) => `VM ${r.vmid}: description and tags set`
})

/** Starts three guests in order, each start a task that is waited for. */
export const threeStarts = destructiveTool({
  name: "pve_test_three_starts",
  title: "Test: three starts",
  description: "Starts three guests, one after the other.",
  toolset: "lifecycle",
  input: Schema.Struct({ vmids: Schema.Tuple(Vmid, Vmid, Vmid) }),
  output: Schema.Struct({ started: Schema.Array(Schema.Number) }),
  endpoints: [...resolveEndpoints, ...powerActionEndpoints("start")],
  confirmTarget: { echo: "name", what: "list of VM ids", of: (input) => input.vmids.join(",") },
  plan: ({ vmids }) =>
    Effect.gen(function* () {
      const steps = []
      for (const vmid of vmids) {
        const power = yield* powerPlan(yield* resolveGuest(vmid), "start")
        steps.push(...power.steps)
      }
      return plan(steps, () => Effect.succeed({ started: [...vmids] }))
    }),
  render: (r) => `started ${r.started.join(", ")}`
})

let replans = 0

/** A plan that differs each time it is made: its second step carries a counter. */
export const driftingPlan = destructiveTool({
  name: "pve_test_drifting_plan",
  title: "Test: a plan that drifts",
  description: "Two config writes, the second different every time the plan is made.",
  toolset: "provisioning",
  input: Schema.Struct({ vmid: Vmid }),
  output: ConfigResult,
  endpoints: configEndpoints,
  confirmTarget: { echo: "vmid", of: (input) => input.vmid },
  plan: ({ vmid }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid)
      const at = { node: guest.node, vmid }
      const description = "stable"
      const tags = `drift${++replans}`
      const steps = [yield* planStep(configPut, at, { description }), yield* planStep(configPut, at, { tags })]
      return plan(steps, () => Effect.succeed({ vmid, description, tags }))
    }),
  render: (r) => `VM ${r.vmid}: ${r.tags}`
})

/** A buggy tool: its answer phase writes directly, outside its plan. */
export const writesOutsidePlan = writeTool({
  name: "pve_test_writes_outside_plan",
  title: "Test: a write outside the plan",
  description: "Sets a VM's description in its plan, then tries to set its tags behind the plan's back.",
  toolset: "provisioning",
  input: Schema.Struct({ vmid: Vmid }),
  output: ConfigResult,
  endpoints: configEndpoints,
  plan: ({ vmid }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid)
      const at = { node: guest.node, vmid }
      const step = yield* planStep(configPut, at, { description: "planned" })
      return plan([step], () =>
        Effect.gen(function* () {
          const client = yield* ProxmoxClient
          const path = yield* pvePath(configPut.template, at)
          yield* client.execute({ method: "PUT", path, params: { tags: "unplanned" } })
          return { vmid, description: "planned", tags: "unplanned" }
        })
      )
    }),
  render: (r) => `VM ${r.vmid}`
})

/** Sets a VM's description, planning no step at all when it already has it. */
export const setDescription = destructiveTool({
  name: "pve_test_set_description",
  title: "Test: set a description",
  description: "Sets a VM's description; nothing to do when it already has that one.",
  toolset: "provisioning",
  input: Schema.Struct({ vmid: Vmid, description: Schema.String }),
  output: Schema.Struct({ vmid: Schema.Number, changed: Schema.Boolean }),
  endpoints: configEndpoints,
  confirmTarget: { echo: "vmid", of: (input) => input.vmid },
  plan: ({ vmid, description }) =>
    Effect.gen(function* () {
      const guest = yield* resolveGuest(vmid)
      const config = yield* getGuestConfig(guest)
      if (config.description === description) return plan([], () => Effect.succeed({ vmid, changed: false }))
      const step = yield* planStep(configPut, { node: guest.node, vmid }, { description })
      return plan([step], () => Effect.succeed({ vmid, changed: true }))
    }),
  render: (r) => `VM ${r.vmid}: ${r.changed ? "description set" : "already so"}`
})

/**
 * Starts guest A, stops guest B, starts guest C: three tasks, each step planned only if still needed (the guest's
 * status is read while planning), so the call made again after a wait does not repeat what was done.
 */
export const startStopStart = writeTool({
  name: "pve_test_start_stop_start",
  title: "Test: start, stop, start",
  description: "Starts guest a, stops guest b, starts guest c; a guest already in its state gets no step.",
  toolset: "lifecycle",
  input: Schema.Struct({ a: Vmid, b: Vmid, c: Vmid }),
  output: Schema.Struct({ steps: Schema.Number }),
  endpoints: [...resolveEndpoints, ...powerActionEndpoints("start"), ...powerActionEndpoints("stop")],
  plan: ({ a, b, c }) =>
    Effect.gen(function* () {
      const steps = []
      for (const [vmid, action, already] of [
        [a, "start", "running"],
        [b, "stop", "stopped"],
        [c, "start", "running"]
      ] as const) {
        const guest = yield* resolveGuest(vmid)
        if ((yield* getGuestStatus(guest)).status === already) continue
        steps.push(...(yield* powerPlan(guest, action)).steps)
      }
      return plan(steps, (done) => Effect.succeed({ steps: done.length }))
    }),
  render: (r) => `${r.steps} steps done`
})

export const planTestTools: ReadonlyArray<AnyTool> = [
  twoConfigWrites,
  threeStarts,
  driftingPlan,
  writesOutsidePlan,
  setDescription,
  startStopStart
]
