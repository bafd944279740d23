import type { PveAuthConfig } from "../config/PveConfig.js"
import type { PolicyName, ProxmoxError, StepReport } from "../proxmox/errors.js"

/** What the model (and the person reading along) sees when a tool fails: one sentence, then what to do. */
export interface ErrorPresentation {
  readonly text: string
  readonly hint: string
}

const quoteShell = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The `pveum` lines that grant exactly the missing privileges on the path PVE named. */
export const grantCommands = (aclPath: string, privileges: ReadonlyArray<string>, auth: PveAuthConfig | undefined) => {
  const role = `MCP-${privileges.map((p) => p.replace(/[^A-Za-z0-9]/g, "")).join("-")}`.slice(0, 60)
  const subject =
    auth === undefined
      ? "--tokens 'USER@REALM!TOKEN'"
      : auth._tag === "Token"
        ? `--tokens ${quoteShell(auth.tokenId)}`
        : `--users ${quoteShell(auth.username)}`
  return [
    `pveum role add ${role} --privs ${quoteShell(privileges.join(","))}`,
    `pveum acl modify ${quoteShell(aclPath)} ${subject} --roles ${role}`
  ]
}

/** What the person running the server can do about a refusal; the model cannot change any of it. */
const policyHints: { readonly [P in PolicyName]: string } = {
  "read-only":
    "No request was sent. The server is read-only by its configuration (PVE_READONLY); only the person running it can change that.",
  allowlist:
    "Nothing was changed and nothing outside the allowlists was shown (at most a read that proves a request's reach, or an answer withheld because it cannot be filtered). The target is outside the allowlists this server was started with; work only with the allowed nodes, guests and storages.",
  api: "No request was sent. Use the dedicated tool for this, or ask the person to do it in the Proxmox web interface.",
  confirmation: "No request was sent. Call the tool again to be asked for confirmation anew.",
  "api-schema": "No request was sent. This is a bug in proxmox-mcp; please report it.",
  "answer-budget":
    "Only reads were sent; nothing was changed. Ask for less (a narrower path, filters, fields or paging), or raise PVE_MAX_ANSWER_BYTES.",
  plan: "No request was sent. The tool tried to send a request that is not a step of its plan; this is a bug in proxmox-mcp, please report it."
}

const stepLine = (s: StepReport) => {
  const task = s.upid === undefined ? "" : ` (task ${s.upid}${s.exitStatus === undefined ? "" : `: ${s.exitStatus}`})`
  const why = s.error === undefined ? "" : `: ${s.error}`
  const tail =
    s.logTail === undefined || s.logTail.length === 0 ? "" : `\n     last log lines:\n     ${s.logTail.join("\n     ")}`
  return `  ${s.step}. ${s.status} ${s.method} ${s.path}${task}${why}${tail}`
}

/** Every step of a plan and how it went, one line each: the state the cluster is left in. */
export const describeSteps = (steps: ReadonlyArray<StepReport>) => steps.map(stepLine).join("\n")

export const presentError = (e: ProxmoxError, auth: PveAuthConfig | undefined): ErrorPresentation => {
  switch (e._tag) {
    case "PveAuthError":
      return {
        text: `Proxmox rejected the credentials: ${e.message}.`,
        hint:
          auth?._tag === "Ticket"
            ? "Check PROXMOX_USERNAME / PROXMOX_PASSWORD; the server already tried one fresh login."
            : "Check PROXMOX_TOKEN_ID / PROXMOX_TOKEN_SECRET, and that the token still exists and has not expired (`pveum user token list USER`)."
      }
    case "PvePermissionError": {
      const what = e.privileges.length > 0 ? e.privileges.join(" or ") : "the required privilege"
      const where = e.aclPath ?? "the object"
      return {
        text: `Permission denied: the ${auth?._tag === "Ticket" ? "user" : "API token"} lacks ${what} on ${where} (${e.message}).`,
        hint:
          e.aclPath !== undefined && e.privileges.length > 0
            ? `To grant it, run on a PVE node: ${grantCommands(e.aclPath, e.privileges, auth).join(" && ")}. A privilege-separated token also needs the privilege on its user.`
            : 'Grant the token the privilege the endpoint needs (see the README section "Least-privilege API token").'
      }
    }
    case "PveParamError":
      return {
        text: `Proxmox refused the parameters: ${
          Object.entries(e.errors)
            .map(([k, v]) => `${k}: ${v}`)
            .join("; ") || e.message
        }.`,
        hint: "Correct the named parameters and call again."
      }
    case "PveNotFound":
      return {
        text: `Not found: ${e.message}.`,
        hint: "Check the id or name; pve_list_guests and pve_list_nodes show what exists."
      }
    case "PveServerError":
      return {
        text: `Proxmox answered HTTP ${e.status}: ${e.message}.`,
        hint:
          e.status === 501
            ? / not simulated /.test(e.message)
              ? "The simulator does not implement this endpoint (real PVE does); try it on a real cluster."
              : "This PVE version does not offer that endpoint."
            : "Read the message; the task or object may be locked or busy."
      }
    case "PveUpstreamError":
      return {
        text: `Proxmox could not reach the node or its API daemon (HTTP ${e.status}: ${e.message}).`,
        hint: "The node may be offline or pvedaemon down; check pve_cluster_status, then retry."
      }
    case "PveTimeout":
      return {
        text: `${e.message}.`,
        hint: "The node may be overloaded or unreachable; retry, or raise PROXMOX_REQUEST_TIMEOUT_MS."
      }
    case "PveTransportError":
      return {
        text: `Could not talk to Proxmox: ${e.message}.`,
        hint:
          e.kind === "tls"
            ? "Set PROXMOX_CA_FILE to a copy of the cluster CA (/etc/pve/pve-root-ca.pem on any node) and use the host name the certificate names; PROXMOX_INSECURE_TLS=true turns verification off, as a last resort."
            : "Check PROXMOX_HOST (https://host:8006) and that this machine can reach it."
      }
    case "PveDecodeError":
      return {
        text: `Proxmox answered in a shape this server does not understand: ${e.message}.`,
        hint: "Please report this with your PVE version (pve_version)."
      }
    case "PveResponseTooLarge":
      return {
        text: `${e.message}; the rest was not read.`,
        hint: "Ask for less (a type or node filter, limit and start on logs and task lists); the person running the server can raise PVE_MAX_RESPONSE_BYTES."
      }
    case "TaskFailed":
      return {
        text: `Task failed with exit status "${e.exitStatus}" (${e.upid}).${e.logTail.length > 0 ? `\nLast log lines:\n${e.logTail.join("\n")}` : ""}`,
        hint: "Nothing was retried. Read the exit status and log, fix the cause, then run the operation again."
      }
    case "TaskTimeout":
      return {
        text: `${e.message}; it may still finish on the node.`,
        hint: "Follow it with pve_task_wait (or pve_task_status); raise PVE_TASK_TIMEOUT_MS for long tasks."
      }
    case "PolicyDenied":
      return {
        text: `Refused by the ${e.policy} policy: ${e.message}.`,
        hint: policyHints[e.policy]
      }
    case "ConfirmationRequired":
      return { text: e.message, hint: "No request was sent to Proxmox." }
    case "InvalidInput":
      return {
        text: `Invalid ${e.field}: ${e.message}.`,
        hint: "No request was sent to Proxmox. Correct the argument and call again."
      }
    case "PlanFailed": {
      const inner = presentError(e.failure, auth)
      const done = e.steps.filter((s) => s.status === "done").length
      return {
        text: `${inner.text}\nSteps (${done} of ${e.steps.length} done):\n${describeSteps(e.steps)}`,
        hint: `Steps marked done took effect and were not undone; steps not run were not sent. ${inner.hint.replace(/^(No request was sent( to Proxmox)?\.|Nothing was changed[^.]*\.)\s*/, "")}`
      }
    }
  }
}
