// The npm registry reachable here does not serve every platform build of some optional native packages
// (biome, rollup, msgpackr-extract for macOS, Windows, musl, ...), so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock as out of sync. This adds a lock entry for each such
// package with the os/cpu/libc its name declares: npm skips those entries on this platform without fetching them.
// Run after every `npm install` that changes the lock: `npx tsx scripts/lock-foreign-platforms.ts`.
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

interface LockEntry {
  version?: string
  dev?: boolean
  optional?: boolean
  os?: string[]
  cpu?: string[]
  libc?: string[]
  optionalDependencies?: Record<string, string>
}

const lockPath = join(import.meta.dirname, "..", "package-lock.json")
const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, LockEntry> }

const OSES = ["android", "darwin", "linux", "win32", "freebsd", "openbsd", "netbsd", "openharmony", "sunos", "aix"]
const CPUS: Record<string, string> = {
  arm64: "arm64",
  x64: "x64",
  ia32: "ia32",
  arm: "arm",
  eabi: "arm",
  gnueabihf: "arm",
  musleabihf: "arm",
  loong64: "loong64",
  ppc64: "ppc64",
  riscv64: "riscv64",
  s390x: "s390x"
}

const platformOf = (name: string) => {
  const tokens = name.split("/").at(-1)!.split("-")
  const os = tokens.find((t) => OSES.includes(t))
  const cpu = tokens.map((t) => CPUS[t]).find((c) => c !== undefined)
  const libc = tokens.some((t) => t.startsWith("musl")) ? "musl" : tokens.includes("gnu") ? "glibc" : undefined
  if (os === undefined || cpu === undefined)
    throw new Error(`cannot tell the platform of ${name}; add its lock entry by hand`)
  if (os === process.platform && cpu === process.arch && libc !== "musl") {
    throw new Error(
      `${name} is for this very platform but is missing from the lock: run npm install and check the registry`
    )
  }
  return { os, cpu, libc }
}

let added = 0
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path === "" ? "" : `${path}/`}node_modules/${name}`
    if (lock.packages[nested] !== undefined || lock.packages[`node_modules/${name}`] !== undefined) continue
    const { os, cpu, libc } = platformOf(name)
    lock.packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc === undefined ? {} : { libc: [libc] })
    }
    added++
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)))
)
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
console.error(`added ${added} lock entries for platform builds this registry does not serve`)
