/**
 * Import directions: every module of src/ and sim/ may import only from its own layer or the layers below it.
 *
 *   npx tsx scripts/check-layers.ts [root]     prints each back-arrow and exits 1 when there is one
 *
 * test/unit/layers.test.ts runs it over this repository on every `npm test`. It reads the sources itself (a small
 * tokenizer that skips comments, strings, template text and regular expressions), so it needs no compiler API.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, posix, relative, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

// ---------------------------------------------------------------------------------------------------------------
// The layer map: the only place that says what goes where.

/** The layers, lowest first: a layer may import from itself and the layers before it. */
export const LAYERS = ["config", "proxmox", "policy", "tools", "mcp", "cli"] as const
/** The simulated cluster: beside the stack, imported only by the cli layer (and by tests and scripts). */
export const SIM = "sim"
export type Layer = (typeof LAYERS)[number] | typeof SIM

/** What sim/ itself may import: it is a fake Proxmox VE and uses the real API schema, nothing above that. */
const SIM_USES: ReadonlyArray<Layer> = ["config", "proxmox"]
/** The only layers that may import the MCP SDK (`@modelcontextprotocol/*`). */
const MCP_SDK_USERS: ReadonlyArray<Layer> = ["mcp", "cli"]
const MCP_SDK = /^@modelcontextprotocol\//

/**
 * Folder (ending in `/`) or file → layer, paths from the repository root. The longest entry that contains a file
 * decides its layer; a file of src/ or sim/ that no entry contains is an error: a new folder is placed on purpose.
 */
export const LAYER_OF: Readonly<Record<string, Layer>> = {
  "src/config/": "config",
  "src/proxmox/": "proxmox",
  "src/policy/": "policy",
  "src/tools/": "tools",
  "src/mcp/": "mcp",
  "src/main.ts": "cli",
  "src/bin.ts": "cli",
  "src/simulatorMode.ts": "cli",
  "src/index.ts": "cli",
  "src/server.ts": "cli",
  "src/usage.ts": "cli",
  // proxmox-mcp doctor: a command of its own beside the server
  "src/doctor/": "cli",
  // only main.ts and index.ts use these two today
  "src/logging.ts": "cli",
  "src/version.ts": "cli",
  "sim/": SIM
}

/** The folders whose sources are checked. */
export const CHECKED_ROOTS = ["src", "sim"] as const

// ---------------------------------------------------------------------------------------------------------------

export const layerOf = (path: string, layerMap: Readonly<Record<string, Layer>> = LAYER_OF): Layer | undefined => {
  let best: string | undefined
  for (const entry of Object.keys(layerMap)) {
    const contains = entry.endsWith("/") ? path.startsWith(entry) : path === entry
    if (contains && (best === undefined || entry.length > best.length)) best = entry
  }
  return best === undefined ? undefined : layerMap[best]
}

export const mayImport = (from: Layer, to: Layer): boolean => {
  if (from === to) return true
  if (to === SIM) return from === "cli"
  if (from === SIM) return SIM_USES.includes(to)
  return LAYERS.indexOf(to) <= LAYERS.indexOf(from)
}

// ---------------------------------------------------------------------------------------------------------------
// A tokenizer just good enough to find module specifiers.

interface Token {
  /** word: identifier or keyword; string: a quoted literal (value without quotes); other: number, regex, template */
  readonly kind: "word" | "string" | "punct" | "other"
  readonly value: string
  readonly line: number
}

/** After these words a `/` starts a regular expression, not a division. */
const REGEX_AFTER = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await"
])

const isWordStart = (c: string) => /[A-Za-z_$]/.test(c)
const isWordPart = (c: string) => /[\w$]/.test(c)

export const tokenize = (source: string): ReadonlyArray<Token> => {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let depth = 0
  /** For each `${` being read: the brace depth at which its `}` resumes the template. */
  const templates: number[] = []

  const regexAllowed = () => {
    const last = tokens[tokens.length - 1]
    if (last === undefined) return true
    if (last.kind === "word") return REGEX_AFTER.has(last.value)
    if (last.kind === "punct") return last.value !== ")" && last.value !== "]"
    return false
  }
  /** Reads template text from i (just after ` or after the `}` of a substitution) to its end or the next `${`. */
  const templateText = () => {
    while (i < source.length) {
      const c = source[i]!
      if (c === "\\") i += 2
      else if (c === "`") {
        i++
        tokens.push({ kind: "other", value: "`", line })
        return
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2
        templates.push(depth)
        tokens.push({ kind: "punct", value: "${", line })
        return
      } else {
        if (c === "\n") line++
        i++
      }
    }
  }

  while (i < source.length) {
    const c = source[i]!
    const next = source[i + 1]
    if (c === "\n") {
      line++
      i++
    } else if (/\s/.test(c)) i++
    else if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2)
      const stop = end === -1 ? source.length : end + 2
      for (let k = i; k < stop; k++) if (source[k] === "\n") line++
      i = stop
    } else if (c === '"' || c === "'") {
      const start = line
      let value = ""
      i++
      while (i < source.length && source[i] !== c && source[i] !== "\n") {
        if (source[i] === "\\") {
          if (source[i + 1] === "\n") line++
          value += source[i + 1] ?? ""
          i += 2
        } else value += source[i++]
      }
      i++
      tokens.push({ kind: "string", value, line: start })
    } else if (c === "`") {
      i++
      templateText()
    } else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === depth) {
      templates.pop()
      i++
      templateText()
    } else if (c === "/" && regexAllowed()) {
      // a regular expression literal: up to the unescaped / outside a [class], then its flags
      let k = i + 1
      let inClass = false
      while (k < source.length && source[k] !== "\n" && (inClass || source[k] !== "/")) {
        if (source[k] === "\\") k++
        else if (source[k] === "[") inClass = true
        else if (source[k] === "]") inClass = false
        k++
      }
      if (source[k] === "/") {
        k++
        while (k < source.length && isWordPart(source[k]!)) k++
        tokens.push({ kind: "other", value: source.slice(i, k), line })
        i = k
      } else {
        tokens.push({ kind: "punct", value: "/", line })
        i++
      }
    } else if (isWordStart(c)) {
      let k = i + 1
      while (k < source.length && isWordPart(source[k]!)) k++
      tokens.push({ kind: "word", value: source.slice(i, k), line })
      i = k
    } else if (/[0-9]/.test(c)) {
      let k = i + 1
      while (k < source.length && /[\w.]/.test(source[k]!)) k++
      tokens.push({ kind: "other", value: source.slice(i, k), line })
      i = k
    } else {
      if (c === "{") depth++
      else if (c === "}") depth--
      tokens.push({ kind: "punct", value: c, line })
      i++
    }
  }
  return tokens
}

export interface ImportRef {
  /** The module specifier; undefined for `import(expression)`, which cannot be checked. */
  readonly specifier: string | undefined
  readonly line: number
}

/** The specifiers of `import … from "x"`, `import "x"`, `export … from "x"`, `import("x")` and `require("x")`. */
export const importsOf = (source: string): ReadonlyArray<ImportRef> => {
  const tokens = tokenize(source)
  const refs: ImportRef[] = []
  tokens.forEach((t, i) => {
    if (t.kind !== "word") return
    const before = tokens[i - 1]
    if (before?.kind === "punct" && before.value === ".") return // a property named import, from or require
    const a = tokens[i + 1]
    const b = tokens[i + 2]
    const c = tokens[i + 3]
    if ((t.value === "from" || t.value === "import") && a?.kind === "string")
      refs.push({ specifier: a.value, line: t.line })
    else if ((t.value === "import" || t.value === "require") && a?.kind === "punct" && a.value === "(") {
      const literal = b?.kind === "string" && c?.kind === "punct" && (c.value === ")" || c.value === ",")
      if (literal) refs.push({ specifier: b.value, line: t.line })
      else if (t.value === "import") refs.push({ specifier: undefined, line: t.line })
    }
  })
  return refs
}

// ---------------------------------------------------------------------------------------------------------------

export interface Violation {
  readonly from: string
  /** The imported file (from the root) or package; undefined when the file itself is in no layer. */
  readonly to: string | undefined
  readonly line: number
  readonly message: string
}

export interface LayerReport {
  readonly files: number
  readonly imports: number
  readonly violations: ReadonlyArray<Violation>
}

const SOURCE = /\.(ts|mts|cts|tsx)$/

const sourcesUnder = (dir: string): ReadonlyArray<string> => {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  return entries.sort().flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourcesUnder(path)
    return SOURCE.test(name) ? [path] : []
  })
}

const toPosix = (path: string) => path.split(sep).join("/")

/** A relative specifier as a path from the root, with `.js` mapped back to the `.ts` source that exists. */
const resolve = (root: string, from: string, specifier: string): string => {
  const target = posix.normalize(posix.join(posix.dirname(from), specifier))
  const exists = (p: string) => {
    try {
      return statSync(join(root, p)).isFile()
    } catch {
      return false
    }
  }
  const candidates = [
    target.replace(/\.js$/, ".ts"),
    target.replace(/\.mjs$/, ".mts"),
    target.replace(/\.jsx$/, ".tsx"),
    target,
    `${target}.ts`,
    `${target}/index.ts`
  ]
  return candidates.find(exists) ?? target
}

/** Checks every source file of `roots` under `root`; paths in the report are relative to `root`, with `/`. */
export const checkLayers = (
  root: string,
  options: { readonly layerMap?: Readonly<Record<string, Layer>>; readonly roots?: ReadonlyArray<string> } = {}
): LayerReport => {
  const layerMap = options.layerMap ?? LAYER_OF
  const files = (options.roots ?? CHECKED_ROOTS).flatMap((r) => sourcesUnder(join(root, r)))
  const violations: Violation[] = []
  let imports = 0
  for (const file of files) {
    const from = toPosix(relative(root, file))
    const fromLayer = layerOf(from, layerMap)
    if (fromLayer === undefined) {
      const folder = `${posix.dirname(from)}/`
      violations.push({
        from,
        to: undefined,
        line: 1,
        message: `${from} is in no layer (place ${folder} or the file in LAYER_OF, scripts/check-layers.ts)`
      })
      continue
    }
    const seen = new Set<string>()
    for (const ref of importsOf(readFileSync(file, "utf8"))) {
      imports++
      const report = (to: string | undefined, why: string) => {
        const message = `${from} → ${to ?? "import(…)"} (${why})`
        if (seen.has(message)) return
        seen.add(message)
        violations.push({ from, to, line: ref.line, message })
      }
      const spec = ref.specifier
      if (spec === undefined) {
        report(undefined, `line ${ref.line}: a computed import() cannot be checked; import a literal path`)
      } else if (spec.startsWith(".")) {
        const to = resolve(root, from, spec)
        const toLayer = layerOf(to, layerMap)
        if (toLayer === undefined) report(to, `${fromLayer} imports a file in no layer`)
        else if (!mayImport(fromLayer, toLayer)) report(to, `${fromLayer} imports ${toLayer}`)
      } else if (MCP_SDK.test(spec) && !MCP_SDK_USERS.includes(fromLayer)) {
        report(spec, `${fromLayer} imports the MCP SDK; only ${MCP_SDK_USERS.join(" and ")} may`)
      }
    }
  }
  return { files: files.length, imports, violations }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..")
  const { files, imports, violations } = checkLayers(root)
  for (const v of violations) console.log(v.message)
  console.log(
    violations.length === 0
      ? `layers: ${files} files, ${imports} imports, all downwards`
      : `layers: ${violations.length} back-arrow(s) in ${files} files`
  )
  process.exitCode = violations.length === 0 ? 0 : 1
}
