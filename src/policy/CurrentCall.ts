import * as FiberRef from "effect/FiberRef"

/**
 * The tool call being run, set once around it by the call pipeline: one FiberRef rather than one per fact, since
 * each one set per call copies the fiber's references twice (about 6 µs in-process).
 */
export interface CurrentCall {
  /** the tool's name, for the audit log */
  readonly tool: string
  /** the endpoints the tool declares (and what waiting for its tasks reads) */
  readonly mayCall: (method: string, template: string) => boolean
  /** who made it over HTTP: the bearer token's name or the OAuth subject; undefined on stdio and when embedded */
  readonly caller: string | undefined
  /** set when the policy client has written the audit line of a refused write, so the pipeline does not repeat it */
  refusalAudited: boolean
}

/** undefined outside a tool call (embedding): requests go through the other policies unchanged */
export const currentCall = FiberRef.unsafeMake<CurrentCall | undefined>(undefined)
