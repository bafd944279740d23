/**
 * Every environment variable the server reads, with its default and meaning: the one list that `proxmox-mcp --help`
 * prints and the README's Environment table shows (test/unit/cli.test.ts keeps both, and the names the config
 * readers use, equal to it). A variable added to a reader without a line here fails that test.
 */

export interface VariableDoc {
  /** where --help lists it */
  readonly group: string
  /** as the README writes it: the names in backticks, `a` or `b` for the two established spellings */
  readonly variable: string
  /** empty: unset unless given */
  readonly default: string
  readonly meaning: string
}

export const VARIABLES: ReadonlyArray<VariableDoc> = [
  {
    group: "Proxmox connection",
    variable: "`PROXMOX_HOST` or `PVE_BASE_URL`",
    default: "required",
    meaning: "`https://host:8006`; a bare host gets `https://` and port 8006; a trailing `/api2/json` is accepted"
  },
  {
    group: "Proxmox connection",
    variable: "`PROXMOX_TOKEN_ID` or `PVE_API_TOKEN_ID`",
    default: "",
    meaning: "API token id, `user@realm!tokenname` (recommended)"
  },
  {
    group: "Proxmox connection",
    variable: "`PROXMOX_TOKEN_SECRET` or `PVE_API_TOKEN_SECRET`",
    default: "",
    meaning: "the token's secret (UUID)"
  },
  {
    group: "Proxmox connection",
    variable: "`PROXMOX_USERNAME` / `PROXMOX_PASSWORD` or `PVE_USERNAME` / `PVE_PASSWORD`",
    default: "",
    meaning:
      "ticket login instead of a token (`root@pam`); renewed before the 2 h lifetime ends, one fresh login after a 401. Accounts with two-factor authentication need a token"
  },
  {
    group: "Proxmox connection",
    variable: "`PROXMOX_CA_FILE`",
    default: "",
    meaning:
      "PEM file of a CA to trust (a copy of `/etc/pve/pve-root-ca.pem`): keeps verification on with PVE's self-signed certificates; read and checked at start (not PEM: a configuration error)"
  },
  {
    group: "Proxmox connection",
    variable: "`PROXMOX_INSECURE_TLS=true` or `PVE_VERIFY_SSL=false`",
    default: "verify",
    meaning: "turns certificate verification off (prefer `PROXMOX_CA_FILE`); logged as a warning at start"
  },
  {
    group: "Proxmox connection",
    variable: "`PVE_ALLOW_INSECURE_HTTP`",
    default: "`false`",
    meaning: "plain `http://` is refused without it (it would send the token in clear)"
  },
  {
    group: "Timeouts, limits, logging",
    variable: "`PROXMOX_REQUEST_TIMEOUT_MS`",
    default: "`30000`",
    meaning: "per HTTP request"
  },
  {
    group: "Timeouts, limits, logging",
    variable: "`PVE_TASK_TIMEOUT_MS`",
    default: "`600000`",
    meaning: "the longest wait for one PVE task, when embedding without a cap"
  },
  {
    group: "Timeouts, limits, logging",
    variable: "`PVE_WAIT_MAX_MS`",
    default: "`50000`",
    meaning:
      'how long one tool call waits for its tasks before it answers `status: "running"` with the UPIDs (keep it below the client\'s request timeout)'
  },
  {
    group: "Timeouts, limits, logging",
    variable: "`PVE_MAX_ANSWER_BYTES`",
    default: "`100000`",
    meaning:
      "the largest tool answer, text and structuredContent together (at least 10000); a larger one keeps the first items of its longest lists and says how to narrow the request"
  },
  {
    group: "Timeouts, limits, logging",
    variable: "`PVE_CANCEL_STOPS_TASK`",
    default: "`false`",
    meaning:
      "`true`: a cancelled call also stops the task it was waiting for (`DELETE /nodes/{node}/tasks/{upid}`, audited)"
  },
  {
    group: "Timeouts, limits, logging",
    variable: "`PVE_MAX_RESPONSE_BYTES`",
    default: "`16777216` (16 MiB)",
    meaning:
      "the largest Proxmox answer read; a longer one is refused as it streams in (see Sizes in the security model)"
  },
  {
    group: "Timeouts, limits, logging",
    variable: "`LOG_LEVEL`",
    default: "`info`",
    meaning: "`debug`, `info`, `warn`, `error`, `none`; logs go to stderr only (stdout belongs to the protocol)"
  },
  {
    group: "Safety policy",
    variable: "`PVE_READONLY`",
    default: "`true`",
    meaning: "write tools are not registered; non-GET requests are refused in the client too"
  },
  {
    group: "Safety policy",
    variable: "`PVE_TOOLSETS`",
    default: "all",
    meaning:
      "toolsets to serve, comma-separated, e.g. `core,lifecycle` (`proxmox-mcp --help` lists them; naming an unknown one is an error); `dynamic`, alone or beside names: start with the core tools and `pve_toolsets`, with which the client switches the others on"
  },
  { group: "Safety policy", variable: "`PVE_TOOLS_DENY`", default: "", meaning: "tool names to leave out" },
  {
    group: "Safety policy",
    variable: "`PVE_NODE_ALLOWLIST`",
    default: "all",
    meaning: "nodes the server may touch, e.g. `pve1,pve2`"
  },
  {
    group: "Safety policy",
    variable: "`PVE_VMID_ALLOWLIST`",
    default: "all",
    meaning: "guests, ids and ranges, e.g. `100-199,250`"
  },
  {
    group: "Safety policy",
    variable: "`PVE_STORAGE_ALLOWLIST`",
    default: "all",
    meaning: "storages, e.g. `local,local-lvm`"
  },
  {
    group: "Safety policy",
    variable: "`PVE_CONFIRM`",
    default: "`elicit` if the client supports it, else `param`",
    meaning: "how destructive calls are confirmed: `elicit`, `param` or `both`"
  },
  {
    group: "Safety policy",
    variable: "`PVE_AUDIT_LOG`",
    default: "stderr",
    meaning: "file to append the audit log to (one JSON line per write, one per task it started)"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_TRANSPORT`",
    default: "`stdio`",
    meaning: "`stdio`, `streamable-http` or `sse` (legacy HTTP+SSE); `--transport` on the command line wins"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_HOST`",
    default: "`127.0.0.1`",
    meaning: "address the HTTP transports listen on; anything but loopback needs authentication"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_PORT`",
    default: "`8000`",
    meaning: "port of the HTTP transports (`0`: any free port, named in the start line)"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_PATH`",
    default: "`/mcp` (`/sse` for `sse`)",
    meaning: "path of the MCP endpoint"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_PUBLIC_URL`",
    default: "the listening address",
    meaning: "the URL clients use (behind a proxy: the proxy's); the OAuth resource identifier"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_AUTH_TOKEN`",
    default: "",
    meaning:
      "one bearer token clients must send (`Authorization: Bearer \u2026`, at least 16 characters); its name in the audit log is `token`"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_AUTH_TOKENS_FILE`",
    default: "",
    meaning: "a file of `name token` lines: one token per client, the name goes to the audit log as `who`"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_ALLOW_UNAUTHENTICATED`",
    default: "`false`",
    meaning: "allow a non-loopback `MCP_HOST` without any authentication (only behind an authenticating proxy)"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_ALLOWED_HOSTS`",
    default: "loopback names (and `MCP_HOST`)",
    meaning: "Host header names accepted, comma-separated; `*` turns the DNS-rebinding check off"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_ALLOWED_ORIGINS`",
    default: "as `MCP_ALLOWED_HOSTS`",
    meaning: "browser `Origin` host names accepted; requests without `Origin` always pass"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_MAX_BODY_BYTES`",
    default: "`4194304` (4 MiB)",
    meaning: "largest request body; a longer one is answered 413"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_MAX_SESSIONS`",
    default: "`100`",
    meaning: "2025-11-25 sessions and SSE streams open at once; beyond, 503"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_SESSION_IDLE_MS`",
    default: "`1800000` (30 min)",
    meaning: "a session without a request for this long is closed"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_RATE_LIMIT`",
    default: "`600`",
    meaning:
      "requests per minute per caller (token name, OAuth subject, or address); beyond, 429 with `Retry-After`; `0` off"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_SHUTDOWN_GRACE_MS`",
    default: "`10000`",
    meaning: "on SIGTERM/SIGINT (and on stdio when stdin closes), how long calls in flight may still take"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_STATE_KEY`",
    default: "random per process",
    meaning: "32+ bytes, hex or base64: the key of the signed confirmation state; the same on every replica"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_OAUTH_ISSUER`",
    default: "",
    meaning: "accept JWT access tokens of this issuer (OAuth 2.1 resource server)"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_OAUTH_AUDIENCE`",
    default: "`MCP_PUBLIC_URL`",
    meaning: "the `aud` the tokens must carry"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_OAUTH_JWKS_URL`",
    default: "from the issuer's metadata",
    meaning: "where the issuer's signing keys are"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_OAUTH_READ_SCOPE`",
    default: "",
    meaning: "a scope every token must have"
  },
  {
    group: "HTTP transport (MCP_TRANSPORT=streamable-http or sse)",
    variable: "`MCP_OAUTH_WRITE_SCOPE`",
    default: "",
    meaning: "the scope write and destructive tools need (403 `insufficient_scope` without it)"
  }
]

/** The variable names a row documents (both spellings). */
export const namesOf = (doc: VariableDoc): ReadonlyArray<string> =>
  [...doc.variable.matchAll(/`([A-Z][A-Z0-9_]+)(?:=[^`]*)?`/g)].map((m) => m[1]!)

/** Every documented name. */
export const documentedNames = (): ReadonlyArray<string> => VARIABLES.flatMap(namesOf)

/** The README's Environment table, as markdown. */
export const variablesTable = (): string =>
  [
    "| Variable | Default | Meaning |",
    "| --- | --- | --- |",
    ...VARIABLES.map((v) => `| ${v.variable} | ${v.default === "" ? "" : `${v.default} `}| ${v.meaning} |`)
  ].join("\n")
