#!/usr/bin/env node
// The command's entry: Node 22+ keeps the compiled code of the server on disk between runs (stdio servers start
// once per client session), then the server itself loads. On Node 20 there is no such cache and this is a no-op.
import * as nodeModule from "node:module"
import { setFlagsFromString } from "node:v8"

// Most users launch the bare command (npx, plugins, a global install), without the README's two V8 flags, and V8
// then lets its young generation grow to 3 x 16 MiB for a process that holds little. Set here, before the server
// allocates, they take most of their effect (scripts/bench, peak RSS after the same calls: bare 121 MiB, this 97,
// the flags given to node 84). Flags the user chose (on the node command line or in NODE_OPTIONS) are kept.
const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some(
  (flag) => flag.includes("semi-space") || flag.includes("optimize-for-size")
)
if (!chosen) {
  setFlagsFromString("--max-semi-space-size=1")
  setFlagsFromString("--optimize-for-size")
}
;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()
await import("./main.js")
