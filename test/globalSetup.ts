import { execFileSync } from "node:child_process"
import { join } from "node:path"

/** e2e tests spawn dist/proxmox-mcp.js: build it once so they never run against a stale bundle. */
export default function setup() {
  const root = join(import.meta.dirname, "..")
  execFileSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/build.ts"], {
    cwd: root,
    stdio: "inherit"
  })
}
