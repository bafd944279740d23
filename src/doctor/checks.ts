/**
 * `proxmox-mcp doctor`: the address, DNS, the TLS connection, the credentials, the PVE version, the clock and the
 * token's privileges per toolset, each as a finding with what to do about it. The network part (`probe`) is a plain
 * request on Node's own sockets, to see the certificate and the Date header; the rest goes through the real client.
 */
import { lookup } from "node:dns/promises"
import { readFileSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { isIP } from "node:net"
import * as tls from "node:tls"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { PveConfigShape } from "../config/PveConfig.js"
import { presentError } from "../mcp/errorMessages.js"
import { loadApiSchema } from "../proxmox/ApiSchema.js"
import { versionEndpoint } from "../proxmox/cluster.js"
import { call, endpoint } from "../proxmox/Endpoint.js"
import type { ProxmoxError } from "../proxmox/errors.js"
import { ProxmoxLive } from "../proxmox/layers.js"
import { transportCause } from "../proxmox/ProxmoxClientLive.js"
import type { AnyTool } from "../proxmox/Tool.js"
import { grantLines, type Permissions, toolsetAccess } from "./privileges.js"

export interface Finding {
  readonly check: string
  readonly status: "ok" | "warn" | "fail" | "skip"
  readonly text: string
  /** what to do, one line each (commands to copy) */
  readonly fix?: ReadonlyArray<string>
}

/** Past this, the clocks disagree enough to matter (task times, ticket ages); the Date header has 1 s resolution. */
export const CLOCK_SKEW_WARN_SECONDS = 10

const permissionsEndpoint = endpoint(
  "GET",
  "/access/permissions",
  Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
)

type Probe =
  | {
      readonly _tag: "answered"
      readonly status: number
      readonly date: string | undefined
      readonly receivedAt: number
      readonly certificate: tls.PeerCertificate | undefined
    }
  | { readonly _tag: "failed"; readonly error: unknown }

const trusted = (config: PveConfigShape) =>
  config.tls.caFile === undefined ? undefined : [...tls.rootCertificates, readFileSync(config.tls.caFile, "utf8")]

/** One unauthenticated GET /version: any HTTP answer proves the address, the TLS handshake and gives the server's Date. */
const probe = (config: PveConfigShape): Promise<Probe> =>
  new Promise((resolve) => {
    const url = new URL(`${config.baseUrl}/version`)
    const ca = trusted(config)
    const options = {
      method: "GET",
      agent: false as const,
      timeout: config.requestTimeoutMs,
      ...(url.protocol === "https:"
        ? { rejectUnauthorized: config.tls.verify, ...(ca === undefined ? {} : { ca }) }
        : {})
    }
    const request = (url.protocol === "https:" ? https : http).request(url, options, (response) => {
      const socket = response.socket as tls.TLSSocket
      const certificate = typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate() : undefined
      const answered: Probe = {
        _tag: "answered",
        status: response.statusCode ?? 0,
        date: response.headers.date,
        receivedAt: Date.now(),
        certificate
      }
      response.resume()
      response.on("end", () => resolve(answered))
      response.on("error", () => resolve(answered))
    })
    request.on("timeout", () =>
      request.destroy(Object.assign(new Error("connection timed out"), { code: "ETIMEDOUT" }))
    )
    request.on("error", (error) => resolve({ _tag: "failed", error }))
    request.end()
  })

/** The certificate the server presents, read without trusting it, to say what it is. */
const presented = (host: string, port: number): Promise<tls.PeerCertificate | undefined> =>
  new Promise((resolve) => {
    const socket = tls.connect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false })
    socket.setTimeout(5000, () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.once("secureConnect", () => {
      resolve(socket.getPeerCertificate())
      socket.end()
    })
    socket.once("error", () => resolve(undefined))
  })

const nameOf = (entity: unknown) => {
  const e = (entity ?? {}) as { CN?: unknown; O?: unknown }
  return String(e.CN ?? e.O ?? "?")
}

const describeCertificate = (c: tls.PeerCertificate) =>
  `issued to ${nameOf(c.subject)} by ${nameOf(c.issuer)}, valid until ${c.valid_to}`

const caFetchFix = (host: string) => [
  "PVE made this certificate with its own cluster CA. Copy that CA from any node and point PROXMOX_CA_FILE at it:",
  `scp root@${host}:/etc/pve/pve-root-ca.pem .`,
  "PROXMOX_CA_FILE=$PWD/pve-root-ca.pem",
  "(PROXMOX_INSECURE_TLS=true turns verification off instead: a last resort, anyone on the path could read the token)"
]

const connection = (
  config: PveConfigShape,
  url: URL,
  host: string
): Effect.Effect<{ findings: Finding[]; probe: Probe }> =>
  Effect.promise(async () => {
    const result = await probe(config)
    const scheme = url.protocol === "http:" ? "http:" : "https:"
    const check = scheme === "https:" ? "TLS" : "connection"
    if (result._tag === "answered") {
      if (scheme === "http:")
        return {
          probe: result,
          findings: [
            { check, status: "warn", text: "plain HTTP (PVE_ALLOW_INSECURE_HTTP): the token travels unencrypted" }
          ]
        }
      const cert = result.certificate
      const about = cert === undefined || Object.keys(cert).length === 0 ? "" : `: ${describeCertificate(cert)}`
      return {
        probe: result,
        findings: [
          config.tls.verify
            ? {
                check,
                status: "ok",
                text: `certificate verified${config.tls.caFile === undefined ? "" : ` with PROXMOX_CA_FILE (${config.tls.caFile})`}${about}`
              }
            : {
                check,
                status: "warn",
                text: `certificate verification is OFF (PROXMOX_INSECURE_TLS / PVE_VERIFY_SSL)${about}`,
                fix: caFetchFix(host)
              }
        ]
      }
    }
    const cause = transportCause(result.error, scheme)
    const text = cause?.text ?? String((result.error as { message?: unknown }).message ?? result.error)
    if (cause?.kind !== "tls") return { probe: result, findings: [{ check, status: "fail", text }] }
    const port = Number(url.port || 443)
    const shown = await presented(url.hostname, port)
    const what = shown === undefined ? "" : ` The node presents a certificate ${describeCertificate(shown)}.`
    const withFile = config.tls.caFile !== undefined
    return {
      probe: result,
      findings: [
        {
          check,
          status: "fail",
          text: withFile
            ? `${text}: it is not signed by the CA in PROXMOX_CA_FILE (${config.tls.caFile}).${what}`
            : `${text}.${what}`,
          fix: withFile
            ? [
                "PROXMOX_CA_FILE holds another CA than the one that signed the node's certificate: copy the cluster's CA anew,",
                `scp root@${host}:/etc/pve/pve-root-ca.pem .`,
                "or, for a custom or ACME certificate, point PROXMOX_CA_FILE at its issuer"
              ]
            : caFetchFix(host)
        }
      ]
    }
  })

const errorFinding = (check: string, e: ProxmoxError, config: PveConfigShape): Finding => {
  const shown = presentError(e, config.auth)
  if (e._tag === "PveAuthError") {
    const user = config.auth._tag === "Token" ? config.auth.tokenId.split("!")[0] : config.auth.username
    return {
      check,
      status: "fail",
      text: `rejected: ${config.auth._tag === "Token" ? `wrong token id or secret for ${config.auth.tokenId}, or the token was deleted or has expired` : `wrong password for ${config.auth.username}, or the account needs two-factor authentication (use a token)`}`,
      fix: [
        `pveum user token list ${user}    (on a node: the token exists and has not expired)`,
        "The secret is shown only once, when the token is made: if it is lost, make a new token (pveum user token add)"
      ]
    }
  }
  return { check, status: "fail", text: shown.text, fix: [shown.hint] }
}

/** Every check, in order; a check whose ground failed is skipped, saying why. */
export const runChecks = (
  config: PveConfigShape,
  tools: ReadonlyArray<AnyTool>,
  served: ReadonlySet<string>
): Effect.Effect<ReadonlyArray<Finding>> =>
  Effect.gen(function* () {
    const findings: Finding[] = []
    const skipRest = (from: ReadonlyArray<string>, why: string) => {
      for (const check of from) findings.push({ check, status: "skip", text: why })
    }
    const url = new URL(config.baseUrl)
    const host = url.hostname.replace(/^\[|\]$/g, "")
    findings.push({ check: "address", status: "ok", text: config.baseUrl })

    if (isIP(host) !== 0) findings.push({ check: "DNS", status: "ok", text: `${host} is an IP address` })
    else {
      const resolved = yield* Effect.either(Effect.tryPromise(() => lookup(host, { all: true })))
      if (resolved._tag === "Left") {
        findings.push({
          check: "DNS",
          status: "fail",
          text: `${host} does not resolve (${String((resolved.left.error as { code?: unknown }).code ?? resolved.left.message)})`,
          fix: ["check the host name in PROXMOX_HOST, or give the node's IP address"]
        })
        skipRest(["TLS", "credentials", "version", "clock", "privileges"], "needs the host name to resolve")
        return findings
      }
      findings.push({
        check: "DNS",
        status: "ok",
        text: `${host} resolves to ${resolved.right.map((a) => a.address).join(", ")}`
      })
    }

    const reached = yield* connection(config, url, host)
    findings.push(...reached.findings)
    if (reached.probe._tag === "failed") {
      skipRest(["credentials", "version", "clock", "privileges"], "needs a connection")
      return findings
    }

    const live = ProxmoxLive(config)
    const version = yield* Effect.either(call(versionEndpoint, {}).pipe(Effect.provide(live)))
    if (version._tag === "Left") {
      findings.push(errorFinding("credentials", version.left, config))
      skipRest(["version", "clock", "privileges"], "needs accepted credentials")
      return findings
    }
    findings.push({
      check: "credentials",
      status: "ok",
      text: `accepted (${config.auth._tag === "Token" ? `API token ${config.auth.tokenId}` : `user ${config.auth.username}`})`
    })
    const major = Number(version.right.version.split(".")[0])
    findings.push(
      major >= 8
        ? {
            check: "version",
            status: "ok",
            text: `Proxmox VE ${version.right.version} (release ${version.right.release})`
          }
        : {
            check: "version",
            status: "warn",
            text: `Proxmox VE ${version.right.version}: older than 8, the oldest release this server is tested against (its schema is PVE 9.1)`
          }
    )

    const { date, receivedAt } = reached.probe
    const serverTime = date === undefined ? Number.NaN : Date.parse(date)
    if (Number.isNaN(serverTime)) findings.push({ check: "clock", status: "skip", text: "PVE sent no Date header" })
    else {
      const skew = Math.round((receivedAt - serverTime) / 1000)
      const ahead = skew > 0 ? "ahead of" : "behind"
      findings.push(
        Math.abs(skew) <= CLOCK_SKEW_WARN_SECONDS
          ? { check: "clock", status: "ok", text: `within ${CLOCK_SKEW_WARN_SECONDS} s of the node's (${skew} s)` }
          : {
              check: "clock",
              status: "warn",
              text: `this machine's clock is ${Math.abs(skew)} s ${ahead} the node's: task times and ticket ages will disagree`,
              fix: ["run NTP on both (e.g. chrony; `timedatectl` shows whether the clock is synchronised)"]
            }
      )
    }

    const permissions = yield* Effect.either(call(permissionsEndpoint, {}).pipe(Effect.provide(live)))
    if (permissions._tag === "Left") {
      findings.push(errorFinding("privileges", permissions.left, config))
      return findings
    }
    const schema = yield* Effect.promise(() => loadApiSchema())
    for (const access of toolsetAccess(tools, served, schema, permissions.right as Permissions)) {
      const check = `toolset ${access.toolset}`
      if (access.missing === undefined) {
        findings.push({
          check,
          status: access.served ? "ok" : "skip",
          text: `${access.served ? "" : "not served; "}generic API tools: they can do what the token may`
        })
      } else if (access.missing.length === 0) {
        findings.push({
          check,
          status: access.served ? "ok" : "skip",
          text: `${access.served ? "" : "not served; "}the token has the privileges its tools need`
        })
      } else {
        // several endpoints often need the same: each need is said once
        const lacks = [
          ...new Set(access.missing.map((m) => `${m.privileges.join(m.any ? " or " : ", ")} on ${m.path}`))
        ].join("; ")
        findings.push({
          check,
          status: access.served ? "fail" : "skip",
          text: access.served
            ? `the token lacks ${lacks}`
            : `not served (PVE_TOOLSETS / PVE_READONLY); it would need ${lacks}`,
          fix: grantLines(access.toolset, access.missing, config.auth, permissions.right as Permissions)
        })
      }
    }
    return findings
  })

const mark: Record<Finding["status"], string> = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "--  " }

/** The report as printed: one line per finding, its fix lines indented below. */
export const formatFindings = (config: PveConfigShape | undefined, findings: ReadonlyArray<Finding>): string => {
  const width = Math.max(...findings.map((f) => f.check.length))
  const lines = [`proxmox-mcp doctor${config === undefined ? "" : `: ${config.baseUrl}`}`]
  for (const f of findings) {
    lines.push(`  [${mark[f.status]}] ${f.check.padEnd(width)}  ${f.text}`)
    for (const fix of f.fix ?? []) lines.push(`  ${" ".repeat(width + 10)}${fix}`)
  }
  const failed = findings.filter((f) => f.status === "fail").length
  const warned = findings.filter((f) => f.status === "warn").length
  lines.push(
    failed === 0
      ? `All checks passed${warned === 0 ? "" : ` (${warned} warning${warned === 1 ? "" : "s"})`}.`
      : `${failed} check${failed === 1 ? "" : "s"} failed.`
  )
  return `${lines.join("\n")}\n`
}
