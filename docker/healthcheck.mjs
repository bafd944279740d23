// The image's HEALTHCHECK: the HTTP transport answers at MCP_PATH on MCP_PORT. Any answer below 500 (401 without a
// token, 405 for a bare GET) means the server is up; a refused connection or a 5xx means it is not.
const port = process.env.MCP_PORT ?? "8000"
const path = process.env.MCP_PATH ?? "/mcp"
try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) })
  process.exit(response.status < 500 ? 0 : 1)
} catch {
  process.exit(1)
}
