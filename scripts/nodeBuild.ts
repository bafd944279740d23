// A Node build of a given major, fetched from the npm registry (node-<platform>-<arch>, the packages behind the
// `node` package) and unpacked once into node_modules/.cache/node-versions (test-node-versions.ts and conformance.ts use it).
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")
const cache = join(root, "node_modules/.cache/node-versions")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const packageName = `node-${process.platform}-${process.arch}`

/** The newest release of a major; returns its version and the path of its `node`. */
export const nodeOfMajor = (major: string) => {
  const versions = JSON.parse(
    execFileSync(npm, ["view", `${packageName}@${major}`, "version", "--json"], { encoding: "utf8" })
  ) as string | string[]
  const version = [versions].flat().at(-1)!
  const dir = join(cache, version)
  const bin = join(dir, "package/bin")
  if (!existsSync(join(bin, "node"))) {
    mkdirSync(dir, { recursive: true })
    execFileSync(npm, ["pack", `${packageName}@${version}`, "--pack-destination", dir], { stdio: "ignore" })
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!
    execFileSync("tar", ["-xzf", tarball], { cwd: dir })
  }
  return { version, bin, node: join(bin, "node") }
}
