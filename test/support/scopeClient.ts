/**
 * The policy client (makePolicyClient, the code under test) over the real ProxmoxClient and one simulator, with
 * allowlists chosen per request: for the scope table and property tests, which send hundreds of requests under
 * different allowlists. Audit lines are collected in memory.
 */
import { Context, Effect, type Either, Exit, Layer, Scope } from "effect"
import type { Simulator } from "../../sim/Simulator.js"
import type { AuditLine } from "../../src/policy/Audit.js"
import { makePolicyClient } from "../../src/policy/PolicyClient.js"
import type { Allowlists } from "../../src/policy/PolicyConfig.js"
import { loadApiSchema } from "../../src/proxmox/ApiSchema.js"
import type { ProxmoxError } from "../../src/proxmox/errors.js"
import { ProxmoxClient, type PveRequest, type PveResponse } from "../../src/proxmox/ProxmoxClient.js"
import { ProxmoxSimulated, simulatorConfig } from "../../src/simulatorMode.js"

export interface ScopeClient {
  readonly sim: Simulator
  readonly audit: ReadonlyArray<AuditLine>
  readonly send: (allowlists: Allowlists, request: PveRequest) => Promise<Either.Either<PveResponse, ProxmoxError>>
  readonly close: () => Promise<void>
}

export const makeScopeClient = async (): Promise<ScopeClient> => {
  const { simulator, layer } = ProxmoxSimulated(simulatorConfig(), { taskDurationMs: 5 })
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const inner = Context.get(context, ProxmoxClient)
  const schema = Effect.promise(loadApiSchema)
  const audit: Array<AuditLine> = []
  const log = { record: (entry: AuditLine) => Effect.sync(() => void audit.push(entry)) }
  return {
    sim: simulator,
    audit,
    send: (allowlists, request) =>
      Effect.runPromise(
        Effect.either(makePolicyClient(inner, { readOnly: false, allowlists }, schema, log).execute(request))
      ),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** A request for a template, its placeholders filled from `values` (by name, then a plain default). */
export const requestFor = (
  method: PveRequest["method"],
  template: string,
  values: Readonly<Record<string, string>>,
  params?: PveRequest["params"]
): PveRequest => {
  const filled: Record<string, string> = {}
  for (const [, name] of template.matchAll(/\{([\w-]+)\}/g)) filled[name!] = values[name!] ?? "x1"
  const path = template.replace(/\{([\w-]+)\}/g, (_, name: string) => encodeURIComponent(filled[name]!))
  return { method, path: { template, params: filled, path }, params }
}
