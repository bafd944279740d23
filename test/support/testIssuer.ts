/**
 * A local OAuth issuer for tests: RS256 keys made in the test, its metadata and JWKS served on a loopback port, and
 * access tokens signed on demand (jose, the library the server verifies with).
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose"

export interface TokenClaims {
  readonly sub?: string
  readonly aud?: string
  readonly iss?: string
  readonly scope?: string
  /** seconds from now; negative: already expired */
  readonly expiresIn?: number
  /** sign with the key of this kid (default: the first) */
  readonly kid?: string
}

export interface TestIssuer {
  readonly issuer: string
  readonly sign: (claims: TokenClaims) => Promise<string>
  /** signs with a key the JWKS does not publish */
  readonly signWithUnknownKey: (claims: TokenClaims) => Promise<string>
  readonly close: () => Promise<void>
}

const makeKey = async (kid: string) => {
  const { privateKey, publicKey } = await generateKeyPair("RS256")
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }
  return { kid, privateKey, jwk }
}

export const startTestIssuer = async (audience: () => string): Promise<TestIssuer> => {
  // two published keys: the current one and the next, as issuers publish a key before they rotate to it
  const keys = [await makeKey("key-1"), await makeKey("key-2")]
  const unpublished = await makeKey("key-x")
  let issuer = ""
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    res.setHeader("Content-Type", "application/json")
    if (path === "/.well-known/oauth-authorization-server" || path === "/.well-known/openid-configuration") {
      res.end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/jwks`,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          response_types_supported: ["code"]
        })
      )
    } else if (path === "/jwks") res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }))
    else {
      res.statusCode = 404
      res.end("{}")
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const signWith = (key: (typeof keys)[number], claims: TokenClaims) =>
    new SignJWT({ ...(claims.scope === undefined ? {} : { scope: claims.scope }) })
      .setProtectedHeader({ alg: "RS256", kid: key.kid })
      .setSubject(claims.sub ?? "dave@example.com")
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? audience())
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.expiresIn ?? 300))
      .sign(key.privateKey)
  return {
    get issuer() {
      return issuer
    },
    sign: (claims) => signWith(keys.find((k) => k.kid === (claims.kid ?? "key-1")) ?? keys[0]!, claims),
    signWithUnknownKey: (claims) => signWith(unpublished, claims),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
