import { accessSync, constants, statSync } from "node:fs"
import { dirname } from "node:path"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConfigInvalid, type ConfigProblem } from "../config/PveConfig.js"
import { segmentFormats } from "../proxmox/Path.js"
import { TOOLSETS } from "../proxmox/Tool.js"

/**
 * How a destructive tool call is confirmed.
 * - auto: the person is asked through MCP elicitation when the client can show it, else `confirm` + echo
 * - elicit: only a person can confirm; a client without elicitation cannot run destructive tools
 * - param: `confirm: true` plus echoing the target, never a dialog
 * - both: `confirm` + echo and then the dialog
 */
export type ConfirmMode = "auto" | "elicit" | "param" | "both"
export const CONFIRM_MODES: ReadonlyArray<ConfirmMode> = ["auto", "elicit", "param", "both"]

/** An inclusive range of VM ids; a single id is a range of one. */
export interface VmidRange {
  readonly from: number
  readonly to: number
}

export interface Allowlists {
  /** undefined: every node is allowed */
  readonly nodes: ReadonlyArray<string> | undefined
  readonly vmids: ReadonlyArray<VmidRange> | undefined
  readonly storages: ReadonlyArray<string> | undefined
}

export interface PolicyConfigShape {
  /** No write tool exists and the client refuses every non-GET request. */
  readonly readOnly: boolean
  /** The toolsets whose tools exist. */
  readonly toolsets: ReadonlyArray<string>
  /** PVE_TOOLSETS=dynamic: the server starts with the core tools and the client enables the others it needs. */
  readonly dynamic?: boolean
  /** Tools that never exist, whatever the other settings say. */
  readonly toolsDeny: ReadonlyArray<string>
  readonly allowlists: Allowlists
  readonly confirm: ConfirmMode
  /** JSON-lines audit file; undefined: audit lines go to stderr. */
  readonly auditLog: string | undefined
}

export class PolicyConfig extends Context.Tag("proxmox-mcp/PolicyConfig")<PolicyConfig, PolicyConfigShape>() {
  static layer = (config: PolicyConfigShape) => Layer.succeed(PolicyConfig, config)
}

/** What the names in PVE_TOOLSETS and PVE_TOOLS_DENY are checked against. */
export interface KnownTools {
  readonly toolsets: ReadonlyArray<string>
  readonly tools: ReadonlyArray<string>
}

export const noAllowlists: Allowlists = { nodes: undefined, vmids: undefined, storages: undefined }

/** Safe defaults: read-only, every toolset, no allowlist, confirmation by the person when possible. */
export const defaultPolicyConfig = (known: KnownTools): PolicyConfigShape => ({
  readOnly: true,
  toolsets: known.toolsets,
  toolsDeny: [],
  allowlists: noAllowlists,
  confirm: "auto",
  auditLog: undefined
})

const optionalString = (name: string): Effect.Effect<string | undefined> =>
  Effect.orDie(Config.option(Config.string(name))).pipe(Effect.map(Option.getOrUndefined))

/** `a, b,,c ` → ["a", "b", "c"]; undefined when the variable is unset. */
const readList = (name: string) =>
  Effect.map(optionalString(name), (raw) =>
    raw === undefined
      ? undefined
      : raw
          .split(",")
          .map((item) => item.trim())
          .filter((item) => item !== "")
  )

/** Edit distance, to suggest the name that was probably meant. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

const closest = (value: string, candidates: ReadonlyArray<string>) => {
  const v = value.toLowerCase()
  const ranked = candidates.map((c) => [c, distance(v, c.toLowerCase())] as const).sort((x, y) => x[1] - y[1])
  const best = ranked[0]
  return best !== undefined && best[1] <= Math.max(2, Math.floor(value.length / 4)) ? best[0] : undefined
}

const vmidPattern = /^[1-9]\d{2,8}$/

/** `100`, `100-199` → a range; undefined when it is neither. */
export const parseVmidRange = (text: string): VmidRange | undefined => {
  const [from, to, ...rest] = text.split("-").map((part) => part.trim())
  if (rest.length > 0 || from === undefined || !vmidPattern.test(from)) return undefined
  if (to === undefined) return { from: Number(from), to: Number(from) }
  if (!vmidPattern.test(to) || Number(to) < Number(from)) return undefined
  return { from: Number(from), to: Number(to) }
}

/** `200-100`, which parseVmidRange refuses: a range that would be one written the other way round. */
const backwardsRange = (text: string): boolean => parseVmidRange(text.split("-").reverse().join("-")) !== undefined

/** Reads and checks the policy variables; every problem is reported at once, each with its fix. */
export const loadPolicyConfig = (known: KnownTools): Effect.Effect<PolicyConfigShape, ConfigInvalid> =>
  Effect.gen(function* () {
    const problems: ConfigProblem[] = []
    const defaults = defaultPolicyConfig(known)

    const rawReadOnly = yield* optionalString("PVE_READONLY")
    let readOnly = defaults.readOnly
    if (rawReadOnly !== undefined) {
      const v = rawReadOnly.trim().toLowerCase()
      if (["1", "true", "yes", "on"].includes(v)) readOnly = true
      else if (["0", "false", "no", "off"].includes(v)) readOnly = false
      else {
        problems.push({
          variable: "PVE_READONLY",
          problem: `"${rawReadOnly}" is not a boolean`,
          fix: "set PVE_READONLY=true (the default: no write tools) or PVE_READONLY=false"
        })
      }
    }

    let toolsets = defaults.toolsets
    const listedToolsets = yield* readList("PVE_TOOLSETS")
    // `dynamic` (alone: every toolset; beside names: those) lets the client switch the toolsets on
    const dynamic = listedToolsets?.some((t) => t.toLowerCase() === "dynamic") === true
    const named = listedToolsets?.filter((t) => t.toLowerCase() !== "dynamic")
    const rawToolsets = dynamic && named?.length === 0 ? undefined : named
    if (rawToolsets !== undefined && !(rawToolsets.length === 1 && rawToolsets[0]!.toLowerCase() === "all")) {
      if (rawToolsets.length === 0) {
        problems.push({
          variable: "PVE_TOOLSETS",
          problem: "set but empty: no tool would exist",
          fix: `unset it for all toolsets, or name some of: ${known.toolsets.join(",")}`
        })
      }
      for (const name of rawToolsets.filter((t) => !known.toolsets.includes(t))) {
        const guess = closest(name, known.toolsets)
        // a toolset of the plan that holds no tool yet would silently serve nothing
        const empty = (TOOLSETS as ReadonlyArray<string>).includes(name)
        problems.push({
          variable: "PVE_TOOLSETS",
          problem: empty ? `toolset "${name}" has no tools in this version` : `unknown toolset "${name}"`,
          fix: `${guess === undefined || empty ? "" : `did you mean ${guess}? `}toolsets with tools: ${known.toolsets.join(",")}`
        })
      }
      toolsets = known.toolsets.filter((t) => rawToolsets.includes(t))
    }

    const toolsDeny = (yield* readList("PVE_TOOLS_DENY")) ?? []
    for (const name of toolsDeny.filter((t) => !known.tools.includes(t))) {
      const guess = closest(name, known.tools)
      problems.push({
        variable: "PVE_TOOLS_DENY",
        problem: `unknown tool "${name}"`,
        fix:
          guess === undefined ? "use tool names as listed by tools/list, e.g. pve_guest_stop" : `did you mean ${guess}?`
      })
    }

    const emptyAllowlist = (variable: string, what: string) =>
      problems.push({
        variable,
        problem: "set but empty: nothing would be allowed",
        fix: `unset ${variable} to allow every ${what}, or list the allowed ones`
      })

    const rawNodes = yield* readList("PVE_NODE_ALLOWLIST")
    if (rawNodes?.length === 0) emptyAllowlist("PVE_NODE_ALLOWLIST", "node")
    for (const node of rawNodes ?? []) {
      if (!segmentFormats.node.check(node)) {
        problems.push({
          variable: "PVE_NODE_ALLOWLIST",
          problem: `"${node}" is not a node name`,
          fix: "list node names as shown by `pvecm nodes`, comma-separated, e.g. pve1,pve2"
        })
      }
    }

    const rawVmids = yield* readList("PVE_VMID_ALLOWLIST")
    if (rawVmids?.length === 0) emptyAllowlist("PVE_VMID_ALLOWLIST", "guest")
    const vmids: VmidRange[] = []
    for (const item of rawVmids ?? []) {
      const range = parseVmidRange(item)
      if (range === undefined) {
        problems.push({
          variable: "PVE_VMID_ALLOWLIST",
          problem: backwardsRange(item)
            ? `"${item}" is a range that ends before it starts; write the smaller id first`
            : `"${item}" is neither a VM id nor a range of them`,
          fix: "list VM ids (100 to 999999999) and ranges, comma-separated, e.g. 100,105,200-299"
        })
      } else vmids.push(range)
    }

    const rawStorages = yield* readList("PVE_STORAGE_ALLOWLIST")
    if (rawStorages?.length === 0) emptyAllowlist("PVE_STORAGE_ALLOWLIST", "storage")
    for (const storage of rawStorages ?? []) {
      if (!segmentFormats.storage.check(storage)) {
        problems.push({
          variable: "PVE_STORAGE_ALLOWLIST",
          problem: `"${storage}" is not a storage id`,
          fix: "list storage ids as shown by `pvesm status`, comma-separated, e.g. local,local-lvm"
        })
      }
    }

    const rawConfirm = yield* optionalString("PVE_CONFIRM")
    let confirm: ConfirmMode = defaults.confirm
    if (rawConfirm !== undefined) {
      const v = rawConfirm.trim().toLowerCase()
      if ((CONFIRM_MODES as ReadonlyArray<string>).includes(v)) confirm = v as ConfirmMode
      else {
        problems.push({
          variable: "PVE_CONFIRM",
          problem: `"${rawConfirm}" is not a confirmation mode`,
          fix: "use elicit (a person confirms in the client), param (confirm: true plus the echoed target), both, or unset it (elicit when the client can, else param)"
        })
      }
    }

    const rawAudit = yield* optionalString("PVE_AUDIT_LOG")
    const auditLog = rawAudit?.trim() === "" ? undefined : rawAudit?.trim()
    if (auditLog !== undefined) {
      const problem = auditFileProblem(auditLog)
      if (problem !== undefined) {
        problems.push({
          variable: "PVE_AUDIT_LOG",
          problem,
          fix: "point it at a file in a writable directory (it is created, then appended to), or unset it to audit to stderr"
        })
      }
    }

    if (problems.length > 0) return yield* new ConfigInvalid({ problems })
    return {
      readOnly,
      toolsets,
      ...(dynamic ? { dynamic } : {}),
      toolsDeny,
      allowlists: {
        nodes: rawNodes,
        vmids: rawVmids === undefined ? undefined : vmids,
        storages: rawStorages
      },
      confirm,
      auditLog
    }
  })

const auditFileProblem = (path: string): string | undefined => {
  try {
    if (statSync(path).isDirectory()) return `"${path}" is a directory`
    accessSync(path, constants.W_OK)
    return undefined
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return `cannot write to "${path}"`
  }
  try {
    accessSync(dirname(path), constants.W_OK)
    return undefined
  } catch {
    return `cannot create "${path}": its directory is missing or not writable`
  }
}

/** Loads the policy from an explicit map (tests, embedding) instead of process.env. */
export const loadPolicyConfigFrom = (env: Record<string, string>, known: KnownTools) =>
  loadPolicyConfig(known).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
