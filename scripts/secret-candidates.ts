/**
 * Lists the parameter and result field names of vendor/pve-api/apidata.json that might hold a credential: by
 * name (pass, secret, token, key, ticket, otp, hmac, …) and by description words (password, secret, key,
 * token, credential, …). The list is deliberately wide; each name it prints must be reviewed into
 * src/proxmox/SecretNames.ts, as a secret or as not a secret (test/policy/secretNames.test.ts checks that).
 *
 * Run: npx tsx scripts/secret-candidates.ts        (names only: add --where for endpoints and descriptions)
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"

interface SchemaNode {
  readonly description?: string
  readonly properties?: Readonly<Record<string, SchemaNode>>
  readonly items?: SchemaNode
  readonly format?: string | Readonly<Record<string, SchemaNode>>
}

interface ApiNode {
  readonly path: string
  readonly info?: Readonly<Record<string, { readonly parameters?: SchemaNode; readonly returns?: SchemaNode }>>
  readonly children?: ReadonlyArray<ApiNode>
}

export interface SecretCandidate {
  readonly name: string
  /** `METHOD /template (parameter|result|property string)` where the name occurs */
  readonly where: ReadonlyArray<string>
  readonly descriptions: ReadonlyArray<string>
  readonly matchedBy: ReadonlyArray<"name" | "description">
}

const suspiciousName =
  /pass|pw|secret|token|key|ticket|csrf|otp|hmac|cred|auth|cert|priv|recovery|webauthn|u2f|yubico|challenge|signature|^data$|-data$/i
const suspiciousDescription = /password|passphrase|secret|credential|private key|\btokens?\b|\bkeys?\b|\bkeyring\b/i

/** Every candidate name of the schema, with where it occurs; names in property-string formats included. */
export const secretCandidates = (apidata: ReadonlyArray<ApiNode>): ReadonlyArray<SecretCandidate> => {
  const seen = new Map<string, { where: Set<string>; descriptions: Set<string> }>()
  const visit = (node: SchemaNode | undefined, where: string) => {
    if (node === undefined) return
    for (const [name, property] of Object.entries(node.properties ?? {})) {
      const entry = seen.get(name) ?? { where: new Set(), descriptions: new Set() }
      entry.where.add(where)
      if (property.description !== undefined) entry.descriptions.add(property.description)
      seen.set(name, entry)
      visit(property, where)
      if (typeof property.format === "object") visit({ properties: property.format }, `${where} property string`)
    }
    visit(node.items, where)
  }
  const walk = (node: ApiNode) => {
    for (const [method, info] of Object.entries(node.info ?? {})) {
      visit(info.parameters, `${method} ${node.path} parameter`)
      visit(info.returns, `${method} ${node.path} result`)
    }
    for (const child of node.children ?? []) walk(child)
  }
  for (const node of apidata) walk(node)
  const candidates: SecretCandidate[] = []
  for (const [name, { where, descriptions }] of seen) {
    const matchedBy: Array<"name" | "description"> = []
    if (suspiciousName.test(name)) matchedBy.push("name")
    if ([...descriptions].some((d) => suspiciousDescription.test(d))) matchedBy.push("description")
    if (matchedBy.length > 0) candidates.push({ name, where: [...where], descriptions: [...descriptions], matchedBy })
  }
  return candidates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

export const loadApiData = (): ReadonlyArray<ApiNode> =>
  JSON.parse(readFileSync(join(import.meta.dirname, "../vendor/pve-api/apidata.json"), "utf8"))

if (import.meta.url === `file://${process.argv[1]}`) {
  const withWhere = process.argv.includes("--where")
  const candidates = secretCandidates(loadApiData())
  for (const c of candidates) {
    console.log(`${c.name}\t(${c.matchedBy.join(", ")})`)
    if (withWhere) {
      for (const w of c.where.slice(0, 6)) console.log(`    ${w}`)
      for (const d of c.descriptions.slice(0, 4)) console.log(`    "${d.replace(/\s+/g, " ").slice(0, 160)}"`)
    }
  }
  console.log(`${candidates.length} candidate names`)
}
