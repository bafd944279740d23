import { createHash, timingSafeEqual } from "node:crypto"
import { type AuthInfo, OAuthError, OAuthErrorCode, type OAuthTokenVerifier } from "@modelcontextprotocol/server"
import * as Redacted from "effect/Redacted"
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose"
import type { NamedToken, OAuthResourceConfig } from "../../config/McpServerConfig.js"

/**
 * Who may call: the static bearer tokens (MCP_AUTH_TOKEN, MCP_AUTH_TOKENS_FILE) and, with MCP_OAUTH_ISSUER, JWT
 * access tokens of that issuer. Both end as the SDK's AuthInfo: `clientId` is who called (the token's name or the
 * token's `sub`), into the audit log; the token itself is never logged.
 */

/** A year: static tokens do not expire, but the SDK's bearer check refuses an AuthInfo without `expiresAt`. */
const STATIC_TOKEN_LIFETIME_S = 365 * 24 * 3600

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest()

/**
 * Compares digests, not the tokens: equal lengths for timingSafeEqual whatever was sent, and every configured token
 * is compared (no early exit), so the time taken says nothing about which token or how much of it matched.
 */
export const staticTokenVerifier = (tokens: ReadonlyArray<NamedToken>, scopes: ReadonlyArray<string>) => {
  const known = tokens.map((t) => ({ name: t.name, digest: digest(Redacted.value(t.token)) }))
  return (token: string): AuthInfo | undefined => {
    const presented = digest(token)
    let match: string | undefined
    for (const k of known) if (timingSafeEqual(presented, k.digest) && match === undefined) match = k.name
    if (match === undefined) return undefined
    return {
      token,
      clientId: match,
      scopes: [...scopes],
      expiresAt: Math.floor(Date.now() / 1000) + STATIC_TOKEN_LIFETIME_S
    }
  }
}

const invalid = (description: string) => new OAuthError(OAuthErrorCode.InvalidToken, description)

/** Finds the issuer's `jwks_uri` in its metadata (RFC 8414, then OpenID discovery). */
const discoverJwksUri = async (issuer: string): Promise<URL> => {
  const base = issuer.replace(/\/$/, "")
  const issuerUrl = new URL(base)
  const candidates = [
    // RFC 8414: the well-known path goes before the issuer's path
    `${issuerUrl.origin}/.well-known/oauth-authorization-server${issuerUrl.pathname === "/" ? "" : issuerUrl.pathname}`,
    `${base}/.well-known/openid-configuration`
  ]
  for (const candidate of candidates) {
    const response = await fetch(candidate, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
    if (response?.ok !== true) continue
    const metadata = (await response.json().catch(() => undefined)) as { jwks_uri?: unknown } | undefined
    if (typeof metadata?.jwks_uri === "string") return new URL(metadata.jwks_uri)
  }
  throw new Error(`no jwks_uri in the metadata of ${issuer}; set MCP_OAUTH_JWKS_URL`)
}

const scopesOf = (payload: JWTPayload): Array<string> => {
  const scope = payload.scope ?? payload.scp
  if (typeof scope === "string") return scope.split(" ").filter((s) => s !== "")
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === "string")
  return []
}

/**
 * Verifies JWT access tokens with the issuer's keys (jose: fetched once, cached, fetched again when a token names an
 * unknown key, so a rotation needs no restart): signature, `iss`, `aud`, `exp` and `nbf`.
 */
export const jwtVerifier = (oauth: OAuthResourceConfig, audience: string) => {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined
  const keySet = async () => {
    if (keys === undefined) {
      const url = oauth.jwksUrl === undefined ? await discoverJwksUri(oauth.issuer) : new URL(oauth.jwksUrl)
      keys = createRemoteJWKSet(url, { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
    }
    return keys
  }
  return async (token: string): Promise<AuthInfo> => {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, await keySet(), {
        issuer: oauth.issuer,
        audience,
        requiredClaims: ["exp"]
      }))
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw invalid("The access token has expired")
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw invalid(`The access token's ${error.claim} claim is not accepted`)
      if (error instanceof joseErrors.JOSEError) throw invalid("The access token is not valid")
      throw new OAuthError(OAuthErrorCode.ServerError, "The issuer's signing keys could not be read")
    }
    return {
      token,
      clientId: typeof payload.sub === "string" ? payload.sub : String(payload.client_id ?? "unknown"),
      scopes: scopesOf(payload),
      expiresAt: payload.exp!,
      extra: { issuer: payload.iss }
    }
  }
}

/** One verifier for the SDK's bearer check: a static token first, then (when configured) a JWT. */
export const makeTokenVerifier = (
  tokens: ReadonlyArray<NamedToken>,
  oauth: OAuthResourceConfig | undefined,
  resourceUrl: string
): OAuthTokenVerifier => {
  // a static token may do everything an OAuth token with every configured scope may
  const allScopes = [oauth?.readScope, oauth?.writeScope].filter((s): s is string => s !== undefined)
  const byStatic = staticTokenVerifier(tokens, allScopes)
  const byJwt = oauth === undefined ? undefined : jwtVerifier(oauth, oauth.audience ?? resourceUrl)
  return {
    verifyAccessToken: async (token) => {
      const known = byStatic(token)
      if (known !== undefined) return known
      if (byJwt !== undefined && token.split(".").length === 3) return byJwt(token)
      throw invalid("The bearer token is not valid")
    }
  }
}
