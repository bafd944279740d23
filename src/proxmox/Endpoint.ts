import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type ProxmoxError, PveDecodeError } from "./errors.js"
import { oncePerObject } from "./oncePer.js"
import { type PvePath, pvePath } from "./Path.js"
import { type HttpMethod, type Params, ProxmoxClient, type PveRequest } from "./ProxmoxClient.js"

/** The placeholder names of a template, as a type: `/nodes/{node}/qemu/{vmid}` → "node" | "vmid". */
type PlaceholderNames<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PlaceholderNames<Rest>
  : never

/** The values that fill a template's placeholders, each checked with its segment format before use. */
export type Segments<T extends string> = { readonly [K in PlaceholderNames<T>]: string | number }

/** The answer of an endpoint that starts a task: its UPID. */
export const TaskUpid = Schema.String.pipe(Schema.startsWith("UPID:"))

/**
 * One endpoint of the Proxmox VE API as a value: method, path template and the Schema of its `data`.
 * Operations, plans, the policy client and tests all use these, so what a tool may call is derived from them.
 */
export interface Endpoint<T extends string = string, A = unknown, I = unknown> {
  readonly method: HttpMethod
  readonly template: T
  readonly response: Schema.Schema<A, I>
  /** the answer is a task's UPID, and a plan waits for the task */
  readonly startsTask: boolean
}

// biome-ignore lint/suspicious/noExplicitAny: lists of endpoints hold endpoints of different answer types
export type AnyEndpoint = Endpoint<string, any, any>

export const endpoint = <const T extends string, A, I>(
  method: HttpMethod,
  template: T,
  response: Schema.Schema<A, I>
): Endpoint<T, A, I> => ({ method, template, response, startsTask: response === (TaskUpid as unknown) })

/** `METHOD /template`, the key under which endpoints are compared. */
export const endpointKey = (e: { readonly method: string; readonly template: string }) => `${e.method} ${e.template}`

/** The request for an endpoint, with every segment validated; nothing is sent. */
export const requestFor = <T extends string>(
  target: { readonly method: HttpMethod; readonly template: T },
  segments: Segments<T>,
  params?: Params
): Effect.Effect<PveRequest, ProxmoxError> =>
  Effect.map(
    pvePath(target.template, segments as Readonly<Record<string, string | number>>),
    (path: PvePath): PveRequest => ({ method: target.method, path, params })
  )

/** Sends one request to an endpoint and decodes its `data`; also returns the list `total`, if any. */
export const callWithTotal = <T extends string, A, I>(
  target: Endpoint<T, A, I>,
  segments: Segments<T>,
  params?: Params
): Effect.Effect<{ readonly data: A; readonly total: number | undefined }, ProxmoxError, ProxmoxClient> =>
  Effect.gen(function* () {
    const request = yield* requestFor(target, segments, params)
    const client = yield* ProxmoxClient
    const response = yield* client.execute(request)
    const data = yield* decodeAnswer(target, request, response.data)
    return { data, total: response.total }
  })

/** Sends one request to an endpoint and decodes its `data`. */
export const call = <T extends string, A, I>(
  target: Endpoint<T, A, I>,
  segments: Segments<T>,
  params?: Params
): Effect.Effect<A, ProxmoxError, ProxmoxClient> => Effect.map(callWithTotal(target, segments, params), (r) => r.data)

/** Decodes an answer with the endpoint's Schema; a mismatch says which request got what. */
export const decodeAnswer = <A, I>(
  target: Endpoint<string, A, I>,
  request: PveRequest,
  data: unknown
): Effect.Effect<A, PveDecodeError> => {
  const decoded = decoderOf(target)(data)
  return Either.isRight(decoded)
    ? Effect.succeed(decoded.right)
    : Effect.fail(
        new PveDecodeError({
          path: request.path.path,
          message: `unexpected answer from ${request.method} ${request.path.path}: ${decoded.left.message.slice(0, 500)}`
        })
      )
}

// once per endpoint, and synchronous: answers are plain JSON, their Schemas have no effects
const decoders = oncePerObject(
  (target: AnyEndpoint): ((data: unknown) => Either.Either<unknown, ParseResult.ParseError>) =>
    Schema.decodeUnknownEither(target.response as Schema.Schema<unknown, unknown>)
)
const decoderOf = <A, I>(target: Endpoint<string, A, I>) =>
  decoders(target) as (data: unknown) => Either.Either<A, ParseResult.ParseError>
