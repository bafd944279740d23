/**
 * The reviewed secret-name table against the real schema, and the redaction it drives: in audit lines,
 * confirmation forms, dry-run and refusal texts and answers, over both MCP client generations. Also the
 * endpoints that hand out credentials (refused, nothing sent) and arguments nested too deep.
 */
import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { loadApiData, secretCandidates } from "../../scripts/secret-candidates.js"
import { MAX_ARGUMENT_NESTING, nestedDeeperThan } from "../../src/mcp/argumentNesting.js"
import { isSecretName, REDACTED, redactFields, redactParams } from "../../src/policy/Secrets.js"
import { NOT_SECRET_NAMES, SECRET_NAMES } from "../../src/proxmox/SecretNames.js"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import type { ClientGeneration, ToolResult } from "../support/mcpClient.js"

const text = (r: ToolResult) => r.content.map((c) => c.text ?? "").join("\n")
const errorTag = (r: ToolResult) => (r._meta?.["proxmox-mcp/error"] as { readonly _tag?: string } | undefined)?._tag
const secretValue = (name: string) => `S3cret-of-${name}-7731`

describe("the reviewed secret-name table", () => {
  const candidates = secretCandidates(loadApiData())
  const secret = new Set(SECRET_NAMES.map((e) => e.name))

  it("the scan finds the credential names the attacker review named", () => {
    const names = candidates.map((c) => c.name)
    for (const name of [
      "encryption-key",
      "keyring",
      "token",
      "data",
      "eab-hmac-key",
      "client-key",
      "totp",
      "input-data"
    ])
      expect(names).toContain(name)
  })

  it("every candidate name of the schema is reviewed: a secret or explicitly not one", () => {
    const unreviewed = candidates
      .map((c) => c.name)
      .filter((n) => !secret.has(n) && !Object.hasOwn(NOT_SECRET_NAMES, n))
    expect(
      unreviewed,
      "review these into src/proxmox/SecretNames.ts (npx tsx scripts/secret-candidates.ts --where)"
    ).toEqual([])
  })

  it("every reviewed name still occurs in the schema, and none is listed both ways", () => {
    const names = new Set(candidates.map((c) => c.name))
    expect([...secret, ...Object.keys(NOT_SECRET_NAMES)].filter((n) => !names.has(n))).toEqual([])
    expect(Object.keys(NOT_SECRET_NAMES).filter((n) => secret.has(n))).toEqual([])
    expect(SECRET_NAMES.every((e) => e.why.length > 0)).toBe(true)
  })

  it("the not-secret names are shown and the secret names hidden", () => {
    expect(Object.keys(NOT_SECRET_NAMES).filter((n) => isSecretName(n))).toEqual([])
    expect(SECRET_NAMES.map((e) => e.name).filter((n) => !isSecretName(n))).toEqual([])
  })

  it("catches password-like names the schema does not have yet", () => {
    for (const name of [
      "bindpw-password",
      "smtp-password",
      "passwd",
      "root-passphrase",
      "client-secret",
      "private-key"
    ])
      expect(isSecretName(name), name).toBe(true)
  })
})

describe("redactParams and redactFields", () => {
  it.each(SECRET_NAMES.map((e) => e.name))("%s is redacted in parameters and in answers at any depth", (name) => {
    const value = secretValue(name)
    const params = redactParams({ [name]: value, comment: "kept" })
    expect(params).toEqual({ [name]: REDACTED, comment: "kept" })
    const answer = { items: [{ comment: "kept", api: "cf", plugin: "dns1", [name]: value }] }
    const redacted = JSON.stringify(redactFields(answer))
    expect(redacted).not.toContain(value)
    expect(redacted).toContain('"comment":"kept"')
  })

  it("ACME plugin data is a secret at the plugin endpoints, the /etc/hosts content is not", () => {
    const hosts = "127.0.0.1 localhost"
    expect(redactParams({ data: "CF_Token=abc" }, "/cluster/acme/plugins/{id}")).toEqual({ data: REDACTED })
    expect(redactParams({ data: hosts }, "/nodes/{node}/hosts")).toEqual({ data: hosts })
    // endpoint unknown (the audit line): hidden either way
    expect(redactParams({ data: hosts })).toEqual({ data: REDACTED })
    // answers without the endpoint: the plugin's shape gives it away, a metrics export is left alone
    expect(redactFields([{ plugin: "dns1", api: "cf", data: "CF_Token=abc" }])).toEqual([
      { plugin: "dns1", api: "cf", data: REDACTED }
    ])
    const metrics = { data: [{ id: "m", metric: "cpu", value: 0.5 }] }
    expect(redactFields(metrics)).toBe(metrics)
  })

  it("only the rows that held a secret are copied; the input is left as it was", () => {
    const rows = [{ id: "a" }, { id: "b", password: "pw-1" }, { id: "c" }]
    const out = redactFields(rows) as typeof rows
    expect(out).toEqual([{ id: "a" }, { id: "b", password: REDACTED }, { id: "c" }])
    expect(out[0]).toBe(rows[0])
    expect(out[2]).toBe(rows[2])
    expect(rows[1]!.password).toBe("pw-1")
  })

  it("value-keyed rows are redacted by their key: every value column, the key shown", () => {
    const rows = [
      { key: "cipassword", value: "old-pw-1", pending: "new-pw-2" },
      { key: "password", pending: "pw-3", delete: 0 },
      { key: "memory", value: 2048, pending: 4096 },
      { key: "description", value: "has a key word" }
    ]
    expect(redactFields(rows)).toEqual([
      { key: "cipassword", value: REDACTED, pending: REDACTED },
      { key: "password", pending: REDACTED, delete: 0 },
      { key: "memory", value: 2048, pending: 4096 },
      { key: "description", value: "has a key word" }
    ])
  })

  it("a key that is not a row's name is still a secret (subscription, private key)", () => {
    expect(redactFields({ status: "active", key: "pve4c-1234567890", signature: "sig" })).toEqual({
      status: "active",
      key: REDACTED,
      signature: REDACTED
    })
  })

  it("a new storage's generated encryption key is not returned", () => {
    const answer = { storage: "pbs1", type: "pbs", config: { "encryption-key": '{"kdf":null,"key":[1,2]}' } }
    expect(JSON.stringify(redactFields(answer))).not.toContain("kdf")
  })
})

/** The credential parameters of the review, each on an endpoint whose schema takes it. */
const cases: ReadonlyArray<{
  readonly name: string
  readonly method: "POST" | "PUT"
  readonly path: string
  readonly params: Record<string, string | ReadonlyArray<string>>
}> = [
  { name: "encryption-key", method: "PUT", path: "/storage/pbs1", params: {} },
  { name: "keyring", method: "PUT", path: "/storage/ceph1", params: {} },
  {
    name: "token",
    method: "PUT",
    path: "/cluster/metrics/server/influx1",
    params: { server: "10.0.0.5", port: "8086" }
  },
  { name: "data", method: "PUT", path: "/cluster/acme/plugins/dns1", params: {} },
  {
    name: "eab-hmac-key",
    method: "POST",
    path: "/cluster/acme/account",
    params: { contact: "a@b.example", "eab-kid": "kid1" }
  },
  { name: "client-key", method: "PUT", path: "/access/domains/oidc1", params: {} },
  { name: "input-data", method: "POST", path: "/nodes/pve1/qemu/100/agent/exec", params: { command: ["/bin/sh"] } },
  { name: "cipassword", method: "PUT", path: "/nodes/pve1/qemu/101/config", params: {} },
  { name: "password", method: "PUT", path: "/access/password", params: { userid: "ops@pve" } }
]

describe.each<ClientGeneration>(["v2", "v1"])("credential parameters through MCP (%s client)", (generation) => {
  let byParam: InProcessServer
  let byPerson: InProcessServer
  const forms: string[] = []
  beforeAll(async () => {
    byParam = await inProcess(generation, { env: { PVE_READONLY: "false", PVE_CONFIRM: "param" } })
    byPerson = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "elicit" },
      onElicit: (request) => {
        forms.push(request.message, JSON.stringify(request.requestedSchema))
        return { action: "accept", content: { confirm: true } }
      }
    })
  })
  afterAll(async () => {
    await byParam.close()
    await byPerson.close()
  })

  const everywhere = (server: InProcessServer, results: ReadonlyArray<ToolResult>) =>
    [...results.map((r) => JSON.stringify(r)), ...forms, ...server.logs, readFileSync(server.auditFile, "utf8")].join(
      "\n"
    )

  it.each(cases)("$name: hidden in the dry-run, the refusal, the form, the audit line and the answer", async (c) => {
    const value = secretValue(c.name)
    const args = { method: c.method, path: c.path, params: { ...c.params, [c.name]: value } }
    const dryRun = await byParam.callTool("pve_api_call", { ...args, dryRun: true })
    expect(dryRun.isError, text(dryRun)).toBeFalsy()
    expect(text(dryRun)).toContain(`${c.name}=${REDACTED}`)
    expect(dryRun.structuredContent).toMatchObject({ requests: [{ params: { [c.name]: REDACTED } }] })
    const refused = await byParam.callTool("pve_api_call", args)
    expect(errorTag(refused)).toBe("ConfirmationRequired")
    expect(text(refused)).toContain(`${c.name}=${REDACTED}`)
    const formsBefore = forms.length
    const sent = await byPerson.callTool("pve_api_call", args)
    expect(forms.length).toBe(formsBefore + 2)
    expect(forms.at(-2)).toContain(`${c.name}=${REDACTED}`)

    for (const server of [byParam, byPerson]) {
      const entries = readFileSync(server.auditFile, "utf8")
        .split("\n")
        .filter((l) => l.includes(`"path":"${c.path}"`))
        .map((l) => JSON.parse(l) as { readonly params: Record<string, unknown>; readonly outcome: string })
      expect(entries.length).toBeGreaterThan(0)
      for (const entry of entries) expect(entry.params[c.name]).toBe(REDACTED)
    }
    expect(readFileSync(byPerson.auditFile, "utf8")).toContain('"outcome":"awaiting-confirmation"')
    expect(everywhere(byParam, [dryRun, refused])).not.toContain(value)
    expect(everywhere(byPerson, [sent])).not.toContain(value)
  })

  it("a secret with an invalid value: the error names it and does not show the value", async () => {
    const value = `${secretValue("client-key")}-${"x".repeat(300)}`
    const result = await byParam.callTool("pve_api_call", {
      method: "PUT",
      path: "/access/domains/oidc1",
      params: { "client-key": value },
      dryRun: true
    })
    expect(errorTag(result)).toBe("InvalidInput")
    expect(text(result)).toContain("client-key: invalid value (not shown)")
    expect(JSON.stringify(result)).not.toContain(secretValue("client-key"))
  })

  it("a cloud-init password pending on a running VM: the /pending row hides its value columns, not its key", async () => {
    const password = "pending-ci-password-5521"
    expect(byParam.sim.model.guest(100).status).toBe("running")
    const set = await byParam.callTool("pve_api_call", {
      method: "PUT",
      path: "/nodes/pve1/qemu/100/config",
      params: { cipassword: password },
      confirm: true,
      confirmName: "/nodes/pve1/qemu/100/config"
    })
    expect(set.isError, text(set)).toBeFalsy()
    expect(byParam.sim.model.guest(100).pending.cipassword).toBe(password)
    const pending = await byParam.callTool("pve_api_get", { path: "/nodes/pve1/qemu/100/pending" })
    expect(pending.isError, text(pending)).toBeFalsy()
    const rows = pending.structuredContent?.data as ReadonlyArray<Record<string, unknown>>
    expect(rows.find((r) => r.key === "cipassword")).toEqual({ key: "cipassword", pending: REDACTED })
    expect(rows.find((r) => r.key === "memory")?.value).not.toBe(REDACTED)
    expect(rows.some((r) => r.key === REDACTED)).toBe(false)
    const config = await byParam.callTool("pve_guest_config", { vmid: 100 })
    expect(config.isError, text(config)).toBeFalsy()
    expect(everywhere(byParam, [pending, config])).not.toContain(password)
  })
})

describe.each<ClientGeneration>(["v2", "v1"])("endpoints that hand out credentials (%s client)", (generation) => {
  let server: InProcessServer
  const asked: string[] = []
  beforeAll(async () => {
    server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "auto" },
      onElicit: (request) => {
        asked.push(request.message)
        return { action: "accept", content: { confirm: true } }
      }
    })
  })
  afterAll(() => server.close())

  it.each<[string, string, Record<string, string>, RegExp]>([
    ["TFA recovery codes", "/access/tfa/root@pam", { type: "recovery" }, /recovery codes/],
    [
      "a new TOTP factor",
      "/access/tfa/root@pam",
      { type: "totp", totp: "otpauth://totp/x?secret=TOTPSECRET4417", value: "123456" },
      /second factor/
    ],
    ["the corosync key of a new node", "/cluster/config/nodes/pve9", {}, /corosync authentication key/]
  ])("%s: refused with the reason, nothing asked, nothing sent", async (_, path, params, reason) => {
    server.sim.clearRequests()
    for (const extra of [{}, { dryRun: true }, { confirm: true, confirmName: path }]) {
      const result = await server.callTool("pve_api_call", { method: "POST", path, params, ...extra })
      expect(result.isError).toBe(true)
      expect(errorTag(result)).toBe("PolicyDenied")
      expect(text(result)).toMatch(/is not available through the generic API tools/)
      expect(text(result)).toMatch(reason)
      expect(JSON.stringify(result)).not.toContain("TOTPSECRET4417")
    }
    expect(asked).toEqual([])
    expect(
      server.sim.requests.filter((r) => r.path.includes("/access/tfa") || r.path.includes("/config/nodes"))
    ).toEqual([])
    expect(server.sim.requests.filter((r) => r.method !== "GET")).toEqual([])
    expect(readFileSync(server.auditFile, "utf8")).not.toContain("TOTPSECRET4417")
  })

  it("the generated cloud-init user data (it holds the guest password) is not read", async () => {
    server.sim.clearRequests()
    const result = await server.callTool("pve_api_get", {
      path: "/nodes/pve1/qemu/100/cloudinit/dump",
      params: { type: "user" }
    })
    expect(errorTag(result)).toBe("PolicyDenied")
    expect(text(result)).toMatch(/cloud-init user data, which holds the guest user's password/)
    expect(server.sim.requests).toEqual([])
  })
})

describe("arguments nested too deep", () => {
  const deepObject = (levels: number): unknown => {
    let v: unknown = "x"
    for (let i = 0; i < levels; i++) v = { a: v }
    return v
  }
  const deepArray = (levels: number): unknown => {
    let v: unknown = "x"
    for (let i = 0; i < levels; i++) v = [v]
    return v
  }

  it("depth is measured without recursion, at any depth", () => {
    expect(nestedDeeperThan(deepArray(1_000_000), MAX_ARGUMENT_NESTING)).toBe(true)
    expect(nestedDeeperThan(deepObject(MAX_ARGUMENT_NESTING), MAX_ARGUMENT_NESTING)).toBe(false)
    expect(nestedDeeperThan(deepObject(MAX_ARGUMENT_NESTING + 1), MAX_ARGUMENT_NESTING)).toBe(true)
    expect(nestedDeeperThan({ params: { net0: ["a", 1] } }, MAX_ARGUMENT_NESTING)).toBe(false)
  })

  describe.each<ClientGeneration>(["v2", "v1"])("%s client", (generation) => {
    let server: InProcessServer
    beforeAll(async () => {
      server = await inProcess(generation, { env: { PVE_READONLY: "false", PVE_CONFIRM: "param" } })
    })
    afterAll(() => server.close())

    it.each<[string, Record<string, unknown>]>([
      ["pve_api_get", { path: "/version", params: { x: deepObject(3000) } }],
      [
        "pve_api_call",
        { method: "PUT", path: "/nodes/pve1/qemu/100/config", params: { x: deepArray(3000) }, dryRun: true }
      ],
      ["pve_guest_status", { vmid: deepObject(3000) }],
      ["pve_guest_stop", { vmid: 100, confirmName: deepArray(3000) }]
    ])("%s: a clear input error, no stack trace, nothing sent", async (tool, args) => {
      server.sim.clearRequests()
      const result = await server.callTool(tool, args)
      expect(result.isError).toBe(true)
      const shown = JSON.stringify(result)
      expect(text(result)).toContain(`arguments nested deeper than ${MAX_ARGUMENT_NESTING} levels`)
      expect(shown).not.toMatch(/RangeError|Maximum call stack|node_modules|file:\/\/|\bat [\w.<>]+ \(/)
      expect(server.sim.requests).toEqual([])
    })
  })
})
