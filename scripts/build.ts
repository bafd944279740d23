// Bundles the server into dist/ with esbuild: one ESM entry for the CLI, one for the library, shared chunks,
// and the simulator in its own chunk so the live server never parses it at start-up. Every dependency is inside the
// bundle (the published package has none to install); the library's declarations go to dist/types.
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"
import { resolve } from "node:path"
import { build, type Plugin } from "esbuild"
import { prebuiltJsonSchemasModule } from "./prebuiltJsonSchemas.js"

/** The SDK's Node shim only names Ajv as default validator: src/mcp/sdkNodeShims.ts replaces it (see there). */
const sdkShims: Plugin = {
  name: "sdk-node-shims",
  setup(b) {
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({
      path: resolve("src/mcp/sdkNodeShims.ts")
    }))
  }
}

/**
 * src/mcp/prebuiltJsonSchemas.ts (empty in the source) as the JSON Schemas of every tool of the build, computed now
 * by the code the server would run at its first tools/list: a start-up then only parses them.
 */
const prebuiltJsonSchemas: Plugin = {
  name: "prebuilt-json-schemas",
  setup(b) {
    b.onLoad({ filter: /src[\\/]mcp[\\/]prebuiltJsonSchemas\.ts$/ }, async () => ({
      contents: await prebuiltJsonSchemasModule(),
      loader: "js"
    }))
  }
}

rmSync("dist", { recursive: true, force: true })
const result = await build({
  entryPoints: { "proxmox-mcp": "src/bin.ts", index: "src/index.ts", simulator: "src/simulatorMode.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // BUILD_READABLE=1: names kept, for CPU profiles (node --cpu-prof) that say which function is which
  minify: process.env.BUILD_READABLE !== "1",
  sourcemap: "linked",
  metafile: true,
  legalComments: "linked",
  // Some bundled CommonJS dependencies call require(); give ESM output a real one.
  banner: {
    js: "import { createRequire as __pmcpCreateRequire } from 'node:module'; const require = __pmcpCreateRequire(import.meta.url);"
  },
  logLevel: "warning",
  plugins: [sdkShims, prebuiltJsonSchemas]
})
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"))
const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0)
console.error(`built ${outputs.length} files, ${(total / 1024).toFixed(0)} KiB of JavaScript`)

// The declarations of the library entries (tsconfig.types.json: src/index.ts, src/simulatorMode.ts and what they
// name) into dist/types, which package.json's exports name.
execFileSync(process.execPath, [resolve("node_modules/typescript/bin/tsc"), "-p", "tsconfig.types.json"], {
  stdio: "inherit"
})
