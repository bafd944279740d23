/**
 * An @effect/platform HttpClient that answers from the simulator in-process: the product's real client code,
 * auth, decoding and error mapping all run; only the socket is gone. Delays are real `Effect.sleep`s, so a
 * client timeout or interruption cuts them short, and a delayed request that is interrupted never reaches the
 * model. A dropped connection is a `RequestError` with reason "Transport".
 */

import type { HttpClientRequest } from "@effect/platform"
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { SimResponse, Simulator } from "./Simulator.js"

export * from "./Simulator.js"

const decoder = new TextDecoder()

const requestBody = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<string | undefined> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(undefined)
    case "Uint8Array":
      return Effect.succeed(decoder.decode(body.body))
    case "Raw":
      return Effect.succeed(
        typeof body.body === "string"
          ? body.body
          : body.body instanceof Uint8Array
            ? decoder.decode(body.body)
            : JSON.stringify(body.body)
      )
    case "FormData": {
      const params = new URLSearchParams()
      for (const [key, value] of body.formData.entries()) if (typeof value === "string") params.append(key, value)
      return Effect.succeed(params.toString())
    }
    case "Stream":
      return body.stream.pipe(
        Stream.decodeText(),
        Stream.mkString,
        Effect.orElseSucceed(() => "")
      )
  }
}

const toWeb = (request: HttpClientRequest.HttpClientRequest, response: SimResponse) =>
  HttpClientResponse.fromWeb(
    request,
    new Response(response.body === "" || response.status === 204 ? null : response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers
    })
  )

export const makeSimulatorClient = (sim: Simulator): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.gen(function* () {
      const body = yield* requestBody(request)
      const headers: Record<string, string> = { ...request.headers }
      const contentType = request.body._tag === "Empty" ? undefined : request.body.contentType
      if (body !== undefined && contentType !== undefined && headers["content-type"] === undefined) {
        headers["content-type"] = contentType
      }
      const transportError = (description: string) =>
        new HttpClientError.RequestError({ request, reason: "Transport", description })
      let response = sim.handle({ method: request.method, url: url.toString(), headers, body })
      if (response.delayMs !== undefined && response.delayMs > 0) yield* Effect.sleep(response.delayMs)
      if (response.deferred !== undefined) response = response.deferred()
      if (response.drop) return yield* Effect.fail(transportError("connection dropped by the simulator"))
      return toWeb(request, response)
    })
  )

/** The simulator as the app's HttpClient. */
export const SimulatorLayer = (sim: Simulator): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, makeSimulatorClient(sim))
