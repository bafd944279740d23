// The floor of the benchmarks: a one-tool MCP server on the same SDK, same transport, no Proxmox and no Effect.
// Plain JavaScript so that its start-up is the SDK's alone.
import { McpServer } from "@modelcontextprotocol/server"
import { serveStdio } from "@modelcontextprotocol/server/stdio"

const server = serveStdio(() => {
  const mcp = new McpServer({ name: "floor", version: "1" }, { capabilities: { tools: {} } })
  mcp.registerTool("ping", { description: "answers pong" }, async () => ({ content: [{ type: "text", text: "pong" }] }))
  return mcp
})
process.stdin.once("end", () => server.close())
