// The README's first command: a real MCP client drives the real server (stdio, --simulator) through a short
// session on the built-in simulated cluster and prints what the model would see. No Proxmox needed.
import { join } from "node:path"
import { Client } from "@modelcontextprotocol/client"
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"

const bin = join(import.meta.dirname, "../dist/proxmox-mcp.js")
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [bin, "--simulator"],
  env: { PATH: process.env.PATH ?? "", PVE_READONLY: "false", PVE_CONFIRM: "param" },
  stderr: "inherit"
})
const client = new Client({ name: "proxmox-mcp-demo", version: "1.0.0" }, { versionNegotiation: { mode: "auto" } })
await client.connect(transport)
console.log(
  `connected: MCP ${client.getNegotiatedProtocolVersion()}, server ${client.getServerVersion()?.name} ${client.getServerVersion()?.version}\n`
)

const tools = (await client.listTools()).tools
console.log(`${tools.length} tools: ${tools.map((t) => t.name).join(", ")}\n`)

const call = async (name: string, args: Record<string, unknown> = {}) => {
  console.log(`> ${name} ${JSON.stringify(args)}`)
  const result = await client.callTool({ name, arguments: args })
  const text = (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? "").join("\n")
  console.log(`${result.isError ? "[error] " : ""}${text}\n`)
  return result
}

await call("pve_version")
await call("pve_cluster_status")
const listed = await call("pve_list_guests", { status: "stopped", type: "qemu" })
const stopped = (listed.structuredContent as { guests: Array<{ vmid: number; template: boolean }> }).guests.find(
  (g) => !g.template
)
if (stopped !== undefined) {
  await call("pve_guest_start", { vmid: stopped.vmid })
  await call("pve_guest_start", { vmid: stopped.vmid })
  await call("pve_guest_status", { vmid: stopped.vmid })
  await call("pve_guest_shutdown", { vmid: stopped.vmid, timeout: 30, confirm: true, confirmVmid: stopped.vmid })
}
await call("pve_node_status", { node: "pve1/qemu/101/status/stop#" })
await client.close()
