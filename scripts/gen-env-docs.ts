// Rewrites the README's Environment table from src/config/variables.ts (the list --help prints);
// test/unit/cli.test.ts fails while the two differ.
//
//   npx tsx scripts/gen-env-docs.ts
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { variablesTable } from "../src/config/variables.js"

const file = join(import.meta.dirname, "../README.md")
const lines = readFileSync(file, "utf8").split("\n")
const start = lines.indexOf("## Environment")
const first = lines.findIndex((line, i) => i > start && line.startsWith("| Variable"))
let end = first
while (lines[end]?.startsWith("|")) end++
lines.splice(first, end - first, ...variablesTable().split("\n"))
writeFileSync(file, lines.join("\n"))
