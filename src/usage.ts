/**
 * `proxmox-mcp --help`: generated from the definitions it describes (the variables table, the toolsets of the tools
 * this build has, the transports), so it cannot drift from them.
 */
import { TRANSPORTS } from "./config/McpServerConfig.js"
import { namesOf, VARIABLES } from "./config/variables.js"
import { TOOLSETS } from "./proxmox/Tool.js"
import { allTools } from "./tools/index.js"
import { VERSION } from "./version.js"

const plain = (markdown: string) => markdown.replace(/`/g, "")

const environment = () => {
  const lines: string[] = []
  let group: string | undefined
  for (const doc of VARIABLES) {
    if (doc.group !== group) {
      group = doc.group
      lines.push(`  ${group}:`)
    }
    const names = namesOf(doc).join(" | ")
    const shown =
      doc.default === "" ? "" : doc.default === "required" ? "  (required)" : `  (default: ${plain(doc.default)})`
    lines.push(`    ${names}${shown}`)
    lines.push(`        ${plain(doc.meaning)}`)
  }
  return lines.join("\n")
}

const toolsets = () =>
  TOOLSETS.map((set) => [set, allTools.filter((tool) => tool.toolset === set)] as const)
    .filter(([, tools]) => tools.length > 0)
    .map(([set, tools]) => `  ${set.padEnd(13)}${tools.map((tool) => tool.name).join(", ")}`)
    .join("\n")

export const usage = (): string => `proxmox-mcp ${VERSION}: a Model Context Protocol server for Proxmox VE

Usage:
  proxmox-mcp [options]           serve MCP, configured from the environment (and .env)
  proxmox-mcp doctor [options]    check the address, DNS, TLS, credentials, PVE version, clock and the token's
                                  privileges per toolset, printing the pveum lines for what is missing; exit 0 or 1

Options:
  --simulator            serve a built-in simulated three-node cluster (no Proxmox needed)
  --transport NAME       ${TRANSPORTS.join(" | ")} (default: MCP_TRANSPORT, else stdio); HTTP listens on MCP_HOST:MCP_PORT
  --env-file FILE        read NAME=value lines from FILE (default: .env in the working directory, when present);
                         variables already in the environment win
  -h, --help             this text
  -v, --version          print the version

Toolsets (PVE_TOOLSETS; write tools only with PVE_READONLY=false):
${toolsets()}

Environment:
${environment()}

Examples:
  proxmox-mcp --simulator
  PROXMOX_HOST=https://pve.example.com:8006 PROXMOX_TOKEN_ID='mcp@pve!mcp' PROXMOX_TOKEN_SECRET=… proxmox-mcp doctor
  proxmox-mcp --env-file /etc/proxmox-mcp.env --transport streamable-http
  npx proxmox-mcp --help
`
