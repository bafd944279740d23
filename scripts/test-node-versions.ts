// Runs the whole test suite (`vitest run`, e2e included: the server is spawned with the same Node) on other Node
// majors than the one installed. Node's official binaries come from the npm registry (node-<platform>-<arch>, the
// packages behind the `node` package), cached in node_modules/.cache/node-versions.
//
//   npm run test:node-versions            # 22 and 24
//   npm run test:node-versions -- 22      # one major
import { spawnSync } from "node:child_process"
import { delimiter, join } from "node:path"
import { nodeOfMajor } from "./nodeBuild.js"

const root = join(import.meta.dirname, "..")
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["22", "24"]

const results: string[] = []
let failed = false
for (const major of majors) {
  const { version, bin } = nodeOfMajor(major)
  console.error(`\n=== Node ${version}`)
  const run = spawnSync(join(bin, "node"), [join(root, "node_modules/vitest/vitest.mjs"), "run"], {
    cwd: root,
    stdio: "inherit",
    // the e2e tests spawn the server with process.execPath; PATH makes tools started by name use it too
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` }
  })
  failed ||= run.status !== 0
  results.push(`Node ${version}: ${run.status === 0 ? "passed" : "FAILED"}`)
}
console.error(`\n${results.join("\n")}`)
process.exit(failed ? 1 : 0)
