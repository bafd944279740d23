import { createHash } from "node:crypto"
import * as Schema from "effect/Schema"
import type { PlanStep } from "../proxmox/Plan.js"
import type { PveRequest } from "../proxmox/ProxmoxClient.js"
import type { AnyTool, DestructiveTool } from "../proxmox/Tool.js"
import { describeParams, showValue } from "./Display.js"
import type { ConfirmMode } from "./PolicyConfig.js"
import { redactParams } from "./Secrets.js"

/** Arguments the policies add to tools: `dryRun` and `wait` to every write tool, `confirm*` to destructive ones. */
export interface ControlArguments {
  readonly dryRun?: boolean | undefined
  readonly wait?: boolean | undefined
  readonly confirm?: boolean | undefined
  readonly confirmVmid?: number | undefined
  readonly confirmName?: string | undefined
}

export const CONTROL_ARGUMENTS = ["dryRun", "wait", "confirm", "confirmVmid", "confirmName"] as const

const DryRunField = Schema.optional(
  Schema.Boolean.annotations({
    description: "true: send nothing, show the requests"
  })
)

const WaitField = Schema.optional(
  Schema.Boolean.annotations({
    description: "false: answer at task start, with its UPID"
  })
)

const ConfirmField = Schema.optional(
  Schema.Boolean.annotations({
    description: "true, with the target repeated: confirm (or the client asks the person)"
  })
)

/** The input Schema the client sees: the tool's own arguments plus the control arguments its kind takes. */
export const effectiveInputSchema = (tool: AnyTool): Schema.Schema.AnyNoContext => {
  if (tool.kind === "read") return tool.input
  if (tool.kind === "write") return Schema.extend(tool.input, Schema.Struct({ dryRun: DryRunField, wait: WaitField }))
  const target = tool.confirmTarget
  if (target.echo === "vmid") {
    const confirmVmid = Schema.optional(Schema.Int.annotations({ description: "With confirm: the VM id again" }))
    return Schema.extend(
      tool.input,
      Schema.Struct({ dryRun: DryRunField, wait: WaitField, confirm: ConfirmField, confirmVmid })
    )
  }
  const confirmName = Schema.optional(
    Schema.String.pipe(Schema.maxLength(1024)).annotations({
      description: `With confirm: repeat the ${target.what} this acts on`
    })
  )
  return Schema.extend(
    tool.input,
    Schema.Struct({ dryRun: DryRunField, wait: WaitField, confirm: ConfirmField, confirmName })
  )
}

/** Splits decoded arguments into the tool's own input and the control arguments. */
export const splitArguments = (
  args: unknown
): { readonly input: Record<string, unknown>; readonly control: ControlArguments } => {
  const input: Record<string, unknown> = {}
  const control: Record<string, unknown> = {}
  for (const [key, value] of Object.entries((args ?? {}) as Record<string, unknown>)) {
    if ((CONTROL_ARGUMENTS as ReadonlyArray<string>).includes(key)) control[key] = value
    else input[key] = value
  }
  return { input, control: control as ControlArguments }
}

/** One step of a plan as shown to the model or the person: the request with secrets redacted. */
export const PlannedRequest = Schema.Struct({
  method: Schema.String,
  path: Schema.String,
  template: Schema.String,
  params: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  waitsForTask: Schema.Boolean
})

/** What a write tool returns for `dryRun: true`. */
export const DryRunResult = Schema.Struct({
  dryRun: Schema.Literal(true),
  tool: Schema.String,
  requests: Schema.Array(PlannedRequest),
  confirmation: Schema.String
})
export type DryRunResult = typeof DryRunResult.Type

export const plannedRequest = (step: PlanStep): typeof PlannedRequest.Type => ({
  method: step.request.method,
  path: step.request.path.path,
  template: step.request.path.template,
  params: redactParams(step.request.params, step.request.path.template),
  waitsForTask: step.startsTask
})

/** The request on one line, secrets redacted and every value escaped, so no parameter can add or fake a line. */
export const describeRequest = (request: PveRequest) => {
  const params = redactParams(request.params, request.path.template)
  const shown = Object.keys(params).length === 0 ? "" : ` with ${describeParams(params)}`
  return `${request.method} ${showValue(request.path.path)}${shown}`
}

/** How this call is confirmed, given the server's mode and whether the client can show a form. */
export type ConfirmationMethod =
  | { readonly _tag: "Param" }
  | { readonly _tag: "Elicit"; readonly alsoParam: boolean }
  | { readonly _tag: "Impossible"; readonly reason: string }

export const confirmationMethod = (mode: ConfirmMode, clientCanElicit: boolean): ConfirmationMethod => {
  if (mode === "param") return { _tag: "Param" }
  if (mode === "auto") return clientCanElicit ? { _tag: "Elicit", alsoParam: false } : { _tag: "Param" }
  if (!clientCanElicit) {
    return {
      _tag: "Impossible",
      reason: `this server requires a person to confirm destructive operations (PVE_CONFIRM=${mode}), and this client cannot show confirmation dialogs (MCP elicitation)`
    }
  }
  return { _tag: "Elicit", alsoParam: mode === "both" }
}

/** Every step of a plan on one line each, numbered when there are several. */
export const describePlan = (steps: ReadonlyArray<PlanStep>, indent = "  ") =>
  steps.length === 1
    ? `${indent}${describeRequest(steps[0]!.request)}`
    : steps.map((s, i) => `${indent}${i + 1}. ${describeRequest(s.request)}`).join("\n")

/** Why `confirm` plus the echoed target do not confirm this call; undefined when they do. */
export const paramConfirmationProblem = (
  // biome-ignore lint/suspicious/noExplicitAny: any destructive tool
  tool: DestructiveTool<any, any, any, any>,
  input: Record<string, unknown>,
  control: ControlArguments
): string | undefined => {
  const target = tool.confirmTarget
  const expected = target.of(input)
  const how =
    target.echo === "vmid"
      ? `confirm: true and confirmVmid: ${expected}`
      : `confirm: true and confirmName: ${JSON.stringify(expected)}`
  if (control.confirm !== true) return `call it again with ${how}`
  if (target.echo === "vmid" && control.confirmVmid !== expected) {
    return `confirmVmid must repeat the VM id (${expected}); call it again with ${how}`
  }
  if (target.echo === "name" && control.confirmName !== expected) {
    return `confirmName must repeat the ${target.what} exactly; call it again with ${how}`
  }
  return undefined
}

/** The text a person reads before accepting: what the tool is, and exactly what will be sent. */
export const confirmationMessage = (tool: AnyTool, steps: ReadonlyArray<PlanStep>) =>
  [
    `An AI assistant wants to run "${tool.title}" (${tool.name}) on your Proxmox VE cluster.`,
    "",
    steps.length === 1
      ? "It will send exactly:"
      : `It will send exactly these ${steps.length} requests, in this order, each after the one before has finished:`,
    describePlan(steps),
    "",
    tool.description,
    "",
    "Accept and tick the box only if you want this to happen. Declining sends nothing."
  ].join("\n")

/** The form: one required yes/no box, so an accidental accept of an empty form is not a yes. */
export const confirmationForm = (steps: ReadonlyArray<PlanStep>) => ({
  type: "object" as const,
  properties: {
    confirm: {
      type: "boolean" as const,
      title:
        steps.length === 1
          ? `Yes, send ${steps[0]!.request.method} ${steps[0]!.request.path.path}`
          : `Yes, send all ${steps.length} requests`,
      description: "Tick to let the operation run",
      default: false
    }
  },
  required: ["confirm"]
})

/**
 * The signed state carried through the client between asking and the retried call: which call (tool and a digest
 * of its arguments), the fingerprint of every step the person saw, the `digest` (PVE's optimistic lock) each step
 * was planned with, and a single-use nonce. Signed, not encrypted: it holds no parameter values.
 */
export const ConfirmationState = Schema.Struct({
  tool: Schema.String,
  args: Schema.String,
  writes: Schema.Array(Schema.String),
  digests: Schema.Array(Schema.NullOr(Schema.String)),
  nonce: Schema.String
})
export type ConfirmationState = typeof ConfirmationState.Type

const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (value === null || typeof value !== "object") return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, canonical(v)])
  )
}

export const argumentsDigest = (tool: string, args: unknown) =>
  createHash("sha256")
    .update(JSON.stringify([tool, canonical(args)]))
    .digest("base64url")

/** Nonces of confirmations already used, so one "yes" runs one operation once. */
export const makeNonceLedger = (ttlMs: number, now: () => number = Date.now) => {
  const used = new Map<string, number>()
  return {
    /** true the first time a nonce is presented, false on any replay */
    consume: (nonce: string): boolean => {
      const t = now()
      for (const [n, at] of used) if (t - at > ttlMs) used.delete(n)
      if (used.has(nonce)) return false
      used.set(nonce, t)
      return true
    }
  }
}
