#!/usr/bin/env node
// The command's entry: Node 22+ keeps the compiled code of the server on disk between runs (stdio servers start
// once per client session), then the server itself loads. On Node 20 there is no such cache and this is a no-op.
import * as nodeModule from "node:module"

;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()
await import("./main.js")
