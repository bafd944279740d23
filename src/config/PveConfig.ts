import { X509Certificate } from "node:crypto"
import { readFileSync } from "node:fs"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

export type PveAuthConfig =
  | { readonly _tag: "Token"; readonly tokenId: string; readonly secret: Redacted.Redacted<string> }
  | { readonly _tag: "Ticket"; readonly username: string; readonly password: Redacted.Redacted<string> }

export interface PveTlsConfig {
  readonly verify: boolean
  /** PEM file of a CA to trust in addition to the system ones (a cluster's own CA). */
  readonly caFile: string | undefined
}

export interface PveConfigShape {
  /** e.g. `https://pve.example.com:8006/api2/json` (always ends in /api2/json) */
  readonly baseUrl: string
  readonly auth: PveAuthConfig
  readonly tls: PveTlsConfig
  readonly requestTimeoutMs: number
  readonly taskTimeoutMs: number
  /**
   * How long one tool call waits for its tasks before it answers "running" with the UPIDs (PVE_WAIT_MAX_MS):
   * below the clients' own request timeouts, so a call never outlives its client.
   */
  readonly waitMaxMs: number
  /** Whether a task being waited for is stopped in PVE when the client cancels the call (PVE_CANCEL_STOPS_TASK). */
  readonly cancelStopsTask: boolean
  /** The largest Proxmox answer read; a longer body is refused while it streams in (PVE_MAX_RESPONSE_BYTES). */
  readonly maxResponseBytes: number
  /** The largest tool answer, text and structuredContent together (PVE_MAX_ANSWER_BYTES; default 100,000). */
  readonly maxAnswerBytes?: number
  /** A ticket is renewed once it is this old (PVE tickets live 2 h). */
  readonly ticketRenewAfterMs: number
  readonly logLevel: LogLevel.LogLevel
}

export class PveConfig extends Context.Tag("proxmox-mcp/PveConfig")<PveConfig, PveConfigShape>() {
  static layer = (config: PveConfigShape) => Layer.succeed(PveConfig, config)
}

export const TICKET_LIFETIME_MS = 2 * 60 * 60 * 1000

/** ≈ 25,000 tokens: what one tool answer may take of a model's context (PVE_MAX_ANSWER_BYTES). */
export const DEFAULT_MAX_ANSWER_BYTES = 100_000

/**
 * 16 MiB: the largest real answers are a few MiB. /cluster/resources is about 300 bytes per guest in recorded PVE
 * answers (400 with tags, pool and HA state), so 10,000 guests come to about 4 MB; a task log read whole
 * (`limit=0`) is about 100 bytes per line, so a day of per-second progress lines (86,400) comes to about 9 MB.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

/** One thing wrong with the environment, and how to fix it. */
export interface ConfigProblem {
  readonly variable: string
  readonly problem: string
  readonly fix: string
}

export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", {
  problems: Schema.Array(Schema.Struct({ variable: Schema.String, problem: Schema.String, fix: Schema.String }))
}) {
  override get message() {
    return [
      `proxmox-mcp cannot start: ${this.problems.length} configuration problem${this.problems.length === 1 ? "" : "s"}`,
      ...this.problems.map((p) => `  - ${p.variable}: ${p.problem}\n    fix: ${p.fix}`)
    ].join("\n")
  }
}

// Config.option turns a missing variable into None; nothing else can fail a plain string read.
export const optionalString = (name: string): Effect.Effect<string | undefined> =>
  Effect.orDie(Config.option(Config.string(name))).pipe(Effect.map(Option.getOrUndefined))

/** Reads a variable that two established Proxmox MCP servers spell differently; both spellings work. */
const eitherName = (names: readonly [string, string], problems: ConfigProblem[]) =>
  Effect.gen(function* () {
    const [a, b] = yield* Effect.all([optionalString(names[0]), optionalString(names[1])])
    const first = a?.trim() === "" ? undefined : a?.trim()
    const second = b?.trim() === "" ? undefined : b?.trim()
    if (first !== undefined && second !== undefined && first !== second) {
      problems.push({
        variable: `${names[0]} / ${names[1]}`,
        problem: "both are set, to different values",
        fix: `set only one of ${names[0]} and ${names[1]}`
      })
    }
    return first ?? second
  })

export const booleanText = (value: string | undefined): boolean | undefined => {
  if (value === undefined) return undefined
  const v = value.trim().toLowerCase()
  if (["1", "true", "yes", "on"].includes(v)) return true
  if (["0", "false", "no", "off"].includes(v)) return false
  return undefined
}

export const readBoolean = (name: string, problems: ConfigProblem[]) =>
  Effect.map(optionalString(name), (raw) => {
    const value = booleanText(raw)
    if (raw !== undefined && value === undefined) {
      problems.push({ variable: name, problem: `"${raw}" is not a boolean`, fix: `set ${name}=true or ${name}=false` })
    }
    return value
  })

export const readMs = (name: string, fallback: number, problems: ConfigProblem[]) =>
  Effect.map(optionalString(name), (raw) => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n <= 0) {
      problems.push({
        variable: name,
        problem: `"${raw}" is not a positive number of milliseconds`,
        fix: `set ${name} to a whole number of milliseconds, e.g. ${fallback}`
      })
      return fallback
    }
    return n
  })

// below 64 KiB not even a small cluster's /cluster/resources fits
const readBytes = (name: string, fallback: number, problems: ConfigProblem[], minimum = 64 * 1024) =>
  Effect.map(optionalString(name), (raw) => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isSafeInteger(n) || n < minimum) {
      problems.push({
        variable: name,
        problem: `"${raw}" is not a number of bytes of at least ${minimum}`,
        fix: `set ${name} to a whole number of bytes, e.g. ${fallback}${fallback >= 1024 * 1024 ? ` (${fallback / 1024 / 1024} MiB)` : ""}`
      })
      return fallback
    }
    return n
  })

const logLevels: Record<string, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/** `pve.example.com`, `pve.example.com:8006`, `https://10.0.0.5:8006/api2/json` → `https://…:8006/api2/json` */
const normaliseHost = (raw: string, allowHttp: boolean, variable: string, problems: ConfigProblem[]) => {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    problems.push({
      variable,
      problem: `"${raw}" is not a URL or host name`,
      fix: `set ${variable}=https://your-pve-host:8006`
    })
    return undefined
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    problems.push({ variable, problem: `scheme ${url.protocol} is not supported`, fix: "use https://host:8006" })
    return undefined
  }
  if (url.protocol === "http:" && !allowHttp) {
    problems.push({
      variable,
      problem: "plain http:// would send the API token or password unencrypted",
      fix: "use https://host:8006, or set PVE_ALLOW_INSECURE_HTTP=true if this really is a trusted local link"
    })
  }
  if (url.username !== "" || url.password !== "") {
    problems.push({
      variable,
      problem: "the URL carries credentials",
      fix: "remove user:password@ from the URL and use PROXMOX_TOKEN_ID / PROXMOX_TOKEN_SECRET"
    })
  }
  if (url.search !== "" || url.hash !== "") {
    problems.push({ variable, problem: "the URL has a query or fragment", fix: "give only scheme, host and port" })
  }
  const path = url.pathname.replace(/\/+$/, "")
  if (path !== "" && path !== "/api2/json") {
    problems.push({
      variable,
      problem: `unexpected path "${url.pathname}"`,
      fix: "give only scheme, host and port (a trailing /api2/json is accepted)"
    })
  }
  const port = url.port === "" && !/^[a-z]+:\/\/[^/]*:\d+/i.test(withScheme) && url.protocol === "https:" ? ":8006" : ""
  return `${url.protocol}//${url.host}${port}/api2/json`
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g
const CA_FIX =
  "point it at the cluster's CA certificate in PEM form: `scp root@your-pve-host:/etc/pve/pve-root-ca.pem .`"

/**
 * PROXMOX_CA_FILE is read and parsed at start: a file that is missing, not PEM or holds a certificate that does not
 * parse is a configuration error naming the file, not a "certificate is not trusted" at the first call.
 */
export const caFileProblem = (file: string): ConfigProblem | undefined => {
  let text: string
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return { variable: "PROXMOX_CA_FILE", problem: `cannot read "${file}"`, fix: CA_FIX }
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) {
    return {
      variable: "PROXMOX_CA_FILE",
      problem: `"${file}" is not a PEM certificate file (no -----BEGIN CERTIFICATE----- block)`,
      fix: CA_FIX
    }
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block)
    } catch {
      return {
        variable: "PROXMOX_CA_FILE",
        problem: `certificate ${index + 1} in "${file}" does not parse`,
        fix: CA_FIX
      }
    }
  }
  return undefined
}

// The parts of PVE's `user@realm!tokenname`, each written once
const tokenUserPart = "[^\\s@!:=]+"
const realmPart = "[A-Za-z][A-Za-z0-9.\\-_]*"
const tokenNamePart = "[A-Za-z][A-Za-z0-9.\\-_]+"
const whole = (part: string) => new RegExp(`^${part}$`)
const tokenIdPattern = whole(`${tokenUserPart}@${realmPart}!${tokenNamePart}`)
const usernamePattern = whole(`[^\\s@:]+@${realmPart}`)

/** Why a token id is not PVE's `user@realm!tokenname`, part by part (undefined when it is). */
const tokenIdProblem = (tokenId: string): string | undefined => {
  if (tokenIdPattern.test(tokenId)) return undefined
  const bang = tokenId.lastIndexOf("!")
  const owner = bang < 0 ? tokenId : tokenId.slice(0, bang)
  const at = owner.lastIndexOf("@")
  const [userOf, realmOf, nameOf] = [owner.slice(0, Math.max(at, 0)), owner.slice(at + 1), tokenId.slice(bang + 1)]
  const why =
    bang < 0
      ? "there is no !tokenname after the user (a user alone signs in with PROXMOX_USERNAME and PROXMOX_PASSWORD)"
      : at < 0
        ? "there is no @realm before the !"
        : !whole(tokenUserPart).test(userOf)
          ? `the user "${userOf}" is empty or holds a space, @, !, : or =`
          : !whole(realmPart).test(realmOf)
            ? `the realm "${realmOf}" must start with a letter (pam, pve or your realm's name)`
            : `the token name "${nameOf}" must start with a letter and be at least 2 letters, digits, ".", "-" or "_"`
  return `"${tokenId}" is not of the form user@realm!tokenname: ${why}`
}

/** Reads and checks the whole environment; every problem is reported at once. */
export const loadPveConfig: Effect.Effect<PveConfigShape, ConfigInvalid> = Effect.gen(function* () {
  const problems: ConfigProblem[] = []
  const host = yield* eitherName(["PROXMOX_HOST", "PVE_BASE_URL"], problems)
  const tokenId = yield* eitherName(["PROXMOX_TOKEN_ID", "PVE_API_TOKEN_ID"], problems)
  const tokenSecret = yield* eitherName(["PROXMOX_TOKEN_SECRET", "PVE_API_TOKEN_SECRET"], problems)
  const username = yield* eitherName(["PROXMOX_USERNAME", "PVE_USERNAME"], problems)
  const password = yield* eitherName(["PROXMOX_PASSWORD", "PVE_PASSWORD"], problems)
  const insecureTls = yield* readBoolean("PROXMOX_INSECURE_TLS", problems)
  const verifySsl = yield* readBoolean("PVE_VERIFY_SSL", problems)
  const allowHttp = (yield* readBoolean("PVE_ALLOW_INSECURE_HTTP", problems)) ?? false
  // empty is unset: a client form (the Claude Desktop extension) passes an empty field as ""
  const caFile = (yield* optionalString("PROXMOX_CA_FILE"))?.trim() || undefined
  const settings = yield* readSettings(problems)

  let baseUrl: string | undefined
  if (host === undefined) {
    problems.push({
      variable: "PROXMOX_HOST",
      problem: "not set",
      fix: "set PROXMOX_HOST (or PVE_BASE_URL) to your node, e.g. https://pve.example.com:8006"
    })
  } else {
    baseUrl = normaliseHost(host, allowHttp, "PROXMOX_HOST", problems)
  }

  let auth: PveAuthConfig | undefined
  if (tokenId !== undefined || tokenSecret !== undefined) {
    if (tokenId === undefined) {
      problems.push({
        variable: "PROXMOX_TOKEN_ID",
        problem: "not set, but a token secret is",
        fix: "set PROXMOX_TOKEN_ID=user@realm!tokenname"
      })
    } else {
      const problem = tokenIdProblem(tokenId)
      if (problem !== undefined) {
        problems.push({
          variable: "PROXMOX_TOKEN_ID",
          problem,
          fix: "copy the full token id shown by `pveum user token list`, e.g. mcp@pve!mcp"
        })
      }
    }
    if (tokenSecret === undefined) {
      problems.push({
        variable: "PROXMOX_TOKEN_SECRET",
        problem: "not set, but a token id is",
        fix: "set PROXMOX_TOKEN_SECRET to the token's UUID secret"
      })
    }
    if (tokenId !== undefined && tokenSecret !== undefined) {
      auth = { _tag: "Token", tokenId, secret: Redacted.make(tokenSecret) }
    }
  } else if (username !== undefined || password !== undefined) {
    if (username === undefined || !usernamePattern.test(username)) {
      problems.push({
        variable: "PROXMOX_USERNAME",
        problem: username === undefined ? "not set, but a password is" : `"${username}" is not of the form user@realm`,
        fix: "set PROXMOX_USERNAME=user@realm, e.g. root@pam"
      })
    }
    if (password === undefined) {
      problems.push({
        variable: "PROXMOX_PASSWORD",
        problem: "not set, but a username is",
        fix: "set PROXMOX_PASSWORD"
      })
    }
    if (username !== undefined && password !== undefined) {
      auth = { _tag: "Ticket", username, password: Redacted.make(password) }
    }
  } else {
    problems.push({
      variable: "PROXMOX_TOKEN_ID",
      problem: "no credentials: neither an API token nor a username/password is set",
      fix: 'create an API token (see the README section "Least-privilege API token") and set PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET'
    })
  }

  if (insecureTls !== undefined && verifySsl !== undefined && insecureTls === verifySsl) {
    problems.push({
      variable: "PROXMOX_INSECURE_TLS / PVE_VERIFY_SSL",
      problem: "they contradict each other",
      fix: "set only one of them"
    })
  }
  const verify = !(insecureTls === true || verifySsl === false)
  if (caFile !== undefined) {
    const problem = caFileProblem(caFile)
    if (problem !== undefined) problems.push(problem)
  }

  if (problems.length > 0 || baseUrl === undefined || auth === undefined) {
    return yield* new ConfigInvalid({ problems })
  }
  return {
    baseUrl,
    auth,
    tls: { verify, caFile },
    ticketRenewAfterMs: TICKET_LIFETIME_MS - 15 * 60 * 1000,
    ...settings
  }
})

/** The settings that apply to any cluster, the simulator too: timeouts, the response limit and log level. */
export type PveSettings = Pick<
  PveConfigShape,
  | "requestTimeoutMs"
  | "taskTimeoutMs"
  | "waitMaxMs"
  | "cancelStopsTask"
  | "maxResponseBytes"
  | "maxAnswerBytes"
  | "logLevel"
>

/** 50 s: under the 60 s request timeout common MCP clients use. */
export const DEFAULT_WAIT_MAX_MS = 50_000

const readSettings = (problems: ConfigProblem[]): Effect.Effect<PveSettings> =>
  Effect.gen(function* () {
    const requestTimeoutMs = yield* readMs("PROXMOX_REQUEST_TIMEOUT_MS", 30_000, problems)
    const taskTimeoutMs = yield* readMs("PVE_TASK_TIMEOUT_MS", 600_000, problems)
    const waitMaxMs = yield* readMs("PVE_WAIT_MAX_MS", DEFAULT_WAIT_MAX_MS, problems)
    const cancelStopsTask = (yield* readBoolean("PVE_CANCEL_STOPS_TASK", problems)) ?? false
    const maxResponseBytes = yield* readBytes("PVE_MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES, problems)
    // an answer must hold at least the note that says how to narrow it
    const maxAnswerBytes = yield* readBytes("PVE_MAX_ANSWER_BYTES", DEFAULT_MAX_ANSWER_BYTES, problems, 10_000)
    const rawLevel = yield* optionalString("LOG_LEVEL")
    const logLevel = rawLevel === undefined ? LogLevel.Info : logLevels[rawLevel.trim().toLowerCase()]
    if (logLevel === undefined) {
      problems.push({
        variable: "LOG_LEVEL",
        problem: `"${rawLevel}" is not a log level`,
        fix: "use one of: debug, info, warn, error, none"
      })
    }
    return {
      requestTimeoutMs,
      taskTimeoutMs,
      waitMaxMs,
      cancelStopsTask,
      maxResponseBytes,
      maxAnswerBytes,
      logLevel: logLevel ?? LogLevel.Info
    }
  })

/** Only the settings (`proxmox-mcp --simulator` has no cluster address or credentials to read). */
export const loadPveSettings: Effect.Effect<PveSettings, ConfigInvalid> = Effect.gen(function* () {
  const problems: ConfigProblem[] = []
  const settings = yield* readSettings(problems)
  if (problems.length > 0) return yield* new ConfigInvalid({ problems })
  return settings
})

/** Loads the config from an explicit map (tests, embedding) instead of process.env. */
export const loadPveConfigFrom = (env: Record<string, string>) =>
  loadPveConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
