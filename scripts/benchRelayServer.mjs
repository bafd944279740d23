// The least any MCP server can do per call that reads Proxmox: the floor's SDK server whose one tool sends one GET
// (node:http, keep-alive) to BENCH_RELAY_URL and answers the body as text. No Effect, no schemas, no policies.
// scripts/bench measures it beside the floor, so that "call - direct GET" can be read against what one GET adds.
import * as http from "node:http"
import { McpServer } from "@modelcontextprotocol/server"
import { serveStdio } from "@modelcontextprotocol/server/stdio"

const url = process.env.BENCH_RELAY_URL ?? ""
const headers = { authorization: process.env.BENCH_RELAY_AUTHORIZATION ?? "" }
const agent = new http.Agent({ keepAlive: true })
const get = () =>
  new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (response) => {
        let body = ""
        response.setEncoding("utf8")
        response.on("data", (chunk) => {
          body += chunk
        })
        response.on("end", () => resolve(body))
      })
      .on("error", reject)
  })

const server = serveStdio(() => {
  const mcp = new McpServer({ name: "relay", version: "1" }, { capabilities: { tools: {} } })
  mcp.registerTool("get", { description: "one GET of BENCH_RELAY_URL" }, async () => ({
    content: [{ type: "text", text: await get() }]
  }))
  return mcp
})
process.stdin.once("end", () => {
  agent.destroy()
  server.close()
})
