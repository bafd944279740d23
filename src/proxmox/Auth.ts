import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type { PveAuthConfig } from "../config/PveConfig.js"
import { type ProxmoxError, PveAuthError, PveDecodeError } from "./errors.js"
import type { PveResponse } from "./ProxmoxClient.js"
import { formEncode, type WireRequest } from "./Wire.js"

/** Sends one request to PVE and interprets the answer; provided by ProxmoxClient so login uses the same wire rules. */
export type Transport = (
  request: WireRequest,
  label: { readonly method: string; readonly path: string }
) => Effect.Effect<PveResponse, ProxmoxError>

export interface Authenticator {
  /** Adds credentials to a request: the token header, or the ticket cookie (+ CSRF header on writes). */
  readonly authorize: (request: WireRequest, isWrite: boolean) => Effect.Effect<WireRequest, ProxmoxError>
  /** After a 401: drop the ticket and log in afresh. None for tokens, which cannot be refreshed. */
  readonly reauthenticate: Option.Option<Effect.Effect<void, ProxmoxError>>
}

export const TicketAnswer = Schema.Struct({
  ticket: Schema.String,
  CSRFPreventionToken: Schema.optional(Schema.String),
  username: Schema.String,
  NeedTFA: Schema.optional(Schema.Unknown)
})

interface Ticket {
  readonly ticket: Redacted.Redacted<string>
  readonly csrf: Redacted.Redacted<string>
  readonly obtainedAt: number
}

export const tokenAuthorizationHeader = (tokenId: string, secret: Redacted.Redacted<string>) =>
  `PVEAPIToken=${tokenId}=${Redacted.value(secret)}`

export const makeAuthenticator = (
  auth: PveAuthConfig,
  baseUrl: string,
  ticketRenewAfterMs: number,
  transport: Transport
): Effect.Effect<Authenticator> =>
  Effect.gen(function* () {
    if (auth._tag === "Token") {
      return {
        authorize: (request) =>
          Effect.succeed({
            ...request,
            headers: { ...request.headers, authorization: tokenAuthorizationHeader(auth.tokenId, auth.secret) }
          }),
        reauthenticate: Option.none()
      }
    }

    const current = yield* Ref.make(Option.none<Ticket>())
    const lock = yield* Effect.makeSemaphore(1)

    // POST /access/ticket; `password` is the real password for a login, or the current ticket for a renewal.
    const requestTicket = (password: Redacted.Redacted<string>) =>
      Effect.gen(function* () {
        const request: WireRequest = {
          method: "POST",
          url: `${baseUrl}/access/ticket`,
          headers: {},
          body: formEncode([
            ["username", auth.username],
            ["password", Redacted.value(password)]
          ])
        }
        const response = yield* transport(request, { method: "POST", path: "/access/ticket" })
        const answer = yield* Schema.decodeUnknown(TicketAnswer)(response.data).pipe(
          Effect.mapError(
            () => new PveDecodeError({ path: "/access/ticket", message: "the login answer has no ticket" })
          )
        )
        if (answer.NeedTFA !== undefined && answer.NeedTFA !== 0 && answer.NeedTFA !== "0") {
          return yield* new PveAuthError({
            message: `${auth.username} requires two-factor authentication, which this server cannot answer; use an API token instead`
          })
        }
        if (answer.CSRFPreventionToken === undefined) {
          return yield* new PveDecodeError({ path: "/access/ticket", message: "the login answer has no CSRF token" })
        }
        const ticket: Ticket = {
          ticket: Redacted.make(answer.ticket),
          csrf: Redacted.make(answer.CSRFPreventionToken),
          obtainedAt: yield* Clock.currentTimeMillis
        }
        yield* Ref.set(current, Option.some(ticket))
        return ticket
      })

    const login = requestTicket(auth.password).pipe(
      Effect.tapError((e) => Effect.logWarning(`login as ${auth.username} failed: ${e.message}`))
    )

    // Renew with the ticket itself before it expires; if PVE refuses the renewal, log in with the password.
    const validTicket = lock.withPermits(1)(
      Effect.gen(function* () {
        const held = yield* Ref.get(current)
        if (Option.isNone(held)) return yield* login
        const age = (yield* Clock.currentTimeMillis) - held.value.obtainedAt
        if (age < ticketRenewAfterMs) return held.value
        yield* Effect.logDebug("renewing the PVE ticket")
        return yield* requestTicket(held.value.ticket).pipe(Effect.catchTag("PveAuthError", () => login))
      })
    )

    return {
      authorize: (request, isWrite) =>
        Effect.map(validTicket, (ticket) => ({
          ...request,
          headers: {
            ...request.headers,
            cookie: `PVEAuthCookie=${encodeURIComponent(Redacted.value(ticket.ticket))}`,
            ...(isWrite ? { csrfpreventiontoken: Redacted.value(ticket.csrf) } : {})
          }
        })),
      reauthenticate: Option.some(
        lock.withPermits(1)(Ref.set(current, Option.none()).pipe(Effect.zipRight(login), Effect.asVoid))
      )
    }
  })
