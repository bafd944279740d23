// Copies the ground truth this repository needs from ../shared (the team's shared folder) into the repo,
// so a clone is self-contained. Run again when ../shared changes: `npm run sync-shared`.
import { cpSync, existsSync, mkdirSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const shared = resolve(root, process.argv[2] ?? "../shared")
if (!existsSync(join(shared, "pve-api", "apidata.json"))) {
  console.error(`no shared folder at ${shared}: pass its path as the first argument`)
  process.exit(1)
}
const copies: ReadonlyArray<readonly [string, string]> = [
  ["pve-api/apidata.json", "vendor/pve-api/apidata.json"],
  ["pve-api/endpoints.tsv", "vendor/pve-api/endpoints.tsv"],
  ["pve-api/WIRE.md", "vendor/pve-api/WIRE.md"],
  ["pve-api/README.md", "vendor/pve-api/README.md"],
  ["fixtures", "test/fixtures"]
]
for (const [from, to] of copies) {
  mkdirSync(dirname(join(root, to)), { recursive: true })
  cpSync(join(shared, from), join(root, to), { recursive: true })
  console.error(`copied ${from} -> ${to}`)
}
