/**
 * The command line's texts are true: --help and the README's Environment table come from one variables list, that
 * list names every variable the config readers read, every README section a message names exists, and the .env and
 * PROXMOX_CA_FILE handling behaves as documented.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { afterAll, describe, expect, it } from "vitest"
import { makeSimulator, simulatedRoutes } from "../../sim/Simulator.js"
import { startSimServer } from "../../sim/server.js"
import { loadEnvFile } from "../../src/config/EnvFile.js"
import { loadPveConfigFrom } from "../../src/config/PveConfig.js"
import { documentedNames, VARIABLES, variablesTable } from "../../src/config/variables.js"
import { presentError } from "../../src/mcp/errorMessages.js"
import { interpretResponse } from "../../src/proxmox/ProxmoxClientLive.js"
import { SERVER_BIN } from "../support/mcpClient.js"
import { tokenHeader } from "../support/rawSimulator.js"

const root = join(import.meta.dirname, "../..")
const readme = readFileSync(join(root, "README.md"), "utf8")
const help = execFileSync(process.execPath, [SERVER_BIN, "--help"], { encoding: "utf8" })

const sourcesUnder = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourcesUnder(path)
    return path.endsWith(".ts") ? [path] : []
  })

describe("the variables list", () => {
  it("is the README's Environment table, row for row (npx tsx scripts/gen-env-docs.ts rewrites it)", () => {
    const lines = readme.split("\n")
    const start = lines.indexOf("## Environment")
    const first = lines.findIndex((line, i) => i > start && line.startsWith("| Variable"))
    const table = lines.slice(
      first,
      lines.findIndex((line, i) => i > first && !line.startsWith("|"))
    )
    expect(table.join("\n")).toBe(variablesTable())
  })

  it("names every variable the config readers read, and only those", () => {
    // the readers: optionalString / readBoolean / readMs / readCount / readBytes / readList / eitherName
    const reads = new Set<string>()
    for (const file of [...sourcesUnder(join(root, "src/config")), ...sourcesUnder(join(root, "src/policy"))]) {
      const text = readFileSync(file, "utf8")
      for (const m of text.matchAll(
        /(?:optionalString|readBoolean|readMs|readCount|readBytes|readList)\(\s*"([A-Z][A-Z0-9_]+)"/g
      ))
        reads.add(m[1]!)
      for (const m of text.matchAll(/eitherName\(\s*\[\s*"([A-Z0-9_]+)",\s*"([A-Z0-9_]+)"\s*\]/g)) {
        reads.add(m[1]!)
        reads.add(m[2]!)
      }
    }
    expect(reads.size).toBeGreaterThan(30)
    const documented = new Set(documentedNames())
    expect({
      undocumented: [...reads].filter((name) => !documented.has(name)).sort(),
      notRead: [...documented].filter((name) => !reads.has(name)).sort()
    }).toEqual({ undocumented: [], notRead: [] })
  })

  it("is what --help prints: every name, with its default", () => {
    for (const doc of VARIABLES) {
      for (const name of documentedNames().filter((n) => doc.variable.includes(`\`${n}`))) expect(help).toContain(name)
      if (doc.default !== "" && doc.default !== "required") expect(help).toContain(doc.default.replace(/`/g, ""))
    }
    for (const part of ["--simulator", "--transport", "--env-file", "-v, --version", "doctor", "streamable-http"]) {
      expect(help).toContain(part)
    }
    expect(help).toMatch(/^ {2}core +pve_[a-z_]+/m)
  })
})

describe("README references", () => {
  it("every README section a message or .env.example names exists", () => {
    const headings = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.trim()))
    const files = [...sourcesUnder(join(root, "src")), ...sourcesUnder(join(root, "sim")), join(root, ".env.example")]
    const named: string[] = []
    for (const file of files) {
      const text = readFileSync(file, "utf8")
      for (const m of text.matchAll(/README(?: section|,) \\?["']([^"'\\]+)\\?["']/g)) named.push(m[1]!)
    }
    expect(named).toContain("Least-privilege API token")
    expect(named.filter((name) => !headings.has(name))).toEqual([])
  })
})

describe(".env", () => {
  const dir = mkdtempSync(join(tmpdir(), "pmcp-env-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("fills in what the environment lacks; the environment wins; no file is no error", () => {
    writeFileSync(join(dir, ".env"), "# comment\nA_FROM_FILE=1\nB_BOTH='from file'\nexport C_QUOTED=\"x y\"\n")
    const env: Record<string, string | undefined> = { B_BOTH: "from env" }
    const loaded = Effect.runSync(loadEnvFile(undefined, env, dir))
    expect(env).toEqual({ A_FROM_FILE: "1", B_BOTH: "from env", C_QUOTED: "x y" })
    expect(loaded).toMatchObject({ set: ["A_FROM_FILE", "C_QUOTED"], kept: ["B_BOTH"] })
    expect(Effect.runSync(loadEnvFile(undefined, {}, join(dir, "..", "no-such-dir-pmcp")))).toBeUndefined()
  })

  it("cp .env.example .env: the copy configures the server as it is", () => {
    const env: Record<string, string | undefined> = {}
    Effect.runSync(loadEnvFile(join(root, ".env.example"), env, dir))
    const config = Effect.runSync(loadPveConfigFrom(env as Record<string, string>))
    expect(config.baseUrl).toBe("https://pve.example.com:8006/api2/json")
    expect(config.auth).toMatchObject({ _tag: "Token", tokenId: "mcp@pve!mcp" })
  })

  it("an --env-file that cannot be read is a configuration error naming it", () => {
    const result = Effect.runSync(Effect.either(loadEnvFile("missing.env", {}, dir)))
    expect(Either.isLeft(result) && result.left.message).toContain(join(dir, "missing.env"))
  })

  it("is read by the server from its working directory, said at debug level; TLS off is a warning", async () => {
    const sim = await startSimServer({ simulator: { size: "tiny" } })
    try {
      const lines = Object.entries(sim.serverEnv).map(([k, v]) => `${k}='${v}'`)
      writeFileSync(
        join(dir, ".env"),
        [...lines, "LOG_LEVEL=debug", "PVE_VERIFY_SSL=false", "PROXMOX_REQUEST_TIMEOUT_MS=1", ""].join("\n")
      )
      const run = spawnSync(process.execPath, [SERVER_BIN], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", PROXMOX_REQUEST_TIMEOUT_MS: "2000" },
        input: "",
        encoding: "utf8"
      })
      expect(run.status).toBe(0)
      const debug = run.stderr.split("\n").find((line) => line.includes("level=DEBUG") && line.includes(".env"))
      expect(debug).toContain(`read ${join(dir, ".env")}: set `)
      for (const name of ["PROXMOX_HOST", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET", "PVE_VERIFY_SSL"]) {
        expect(debug).toContain(name)
      }
      expect(debug).toContain("kept from the environment (it wins): PROXMOX_REQUEST_TIMEOUT_MS")
      // names only: no value of the file is logged
      expect(run.stderr).not.toContain(sim.serverEnv.PROXMOX_TOKEN_SECRET)
      expect(run.stderr).toMatch(/level=WARN .*TLS certificate verification is OFF/)
    } finally {
      await sim.close()
    }
  })
})

describe("the command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "pmcp-args-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const run = (args: ReadonlyArray<string>) =>
    spawnSync(process.execPath, [SERVER_BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "" },
      input: "",
      encoding: "utf8"
    })

  it("reads --env-file FILE and --env-file=FILE; a missing one stops it, naming the file", () => {
    const file = join(dir, "custom.env")
    writeFileSync(file, "LOG_LEVEL=debug\n")
    for (const args of [["--env-file", file], [`--env-file=${file}`]]) {
      const started = run([...args, "--simulator"])
      expect(started.status).toBe(0)
      expect(started.stderr).toContain(`read ${file}: set LOG_LEVEL`)
    }
    // Node itself checks an --env-file wherever it stands on the command line (it does not load one after the
    // script: the server does), so a missing file stops Node first, naming it
    const missing = run(["--env-file", join(dir, "nope.env"), "--simulator"])
    expect(missing.status).not.toBe(0)
    expect(missing.stderr).toContain(`${join(dir, "nope.env")}: not found`)
  })

  it("refuses an unknown option or a valueless one with the usage, exit 2", () => {
    const unknown = run(["--bogus"])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain("unknown option --bogus")
    expect(unknown.stderr).toContain("Usage:")
    expect(run(["--transport"]).stderr).toContain("--transport (needs a value)")
    expect(run(["--transport", "carrier-pigeon", "--simulator"]).stderr).toContain(
      '"carrier-pigeon" is not a transport'
    )
  })
})

describe("PROXMOX_CA_FILE", () => {
  const dir = mkdtempSync(join(tmpdir(), "pmcp-ca-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const base = {
    PROXMOX_HOST: "https://pve.example.com:8006",
    PROXMOX_TOKEN_ID: "mcp@pve!mcp",
    PROXMOX_TOKEN_SECRET: "x"
  }
  const problemsWith = (caFile: string) => {
    const result = Effect.runSync(Effect.either(loadPveConfigFrom({ ...base, PROXMOX_CA_FILE: caFile })))
    return Either.isLeft(result) ? result.left.problems : []
  }

  it("is read and parsed at start: a file that is not PEM is a configuration error naming it", () => {
    const notPem = join(dir, "key.txt")
    writeFileSync(notPem, "this is not a certificate\n")
    expect(problemsWith(notPem)).toEqual([
      expect.objectContaining({ variable: "PROXMOX_CA_FILE", problem: expect.stringContaining(notPem) })
    ])
    const broken = join(dir, "broken.pem")
    writeFileSync(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    expect(problemsWith(broken)[0]?.problem).toContain("does not parse")
    expect(problemsWith(join(dir, "absent.pem"))[0]?.problem).toContain("cannot read")
  })

  it("accepts a real certificate", async () => {
    const sim = await startSimServer({ tls: true, simulator: { size: "tiny" } })
    try {
      expect(problemsWith(sim.caFile!)).toEqual([])
    } finally {
      await sim.close()
    }
  })
})

describe("a 501", () => {
  it("from the simulator says the endpoint is not simulated; a real PVE 501 keeps its hint", async () => {
    const sim = makeSimulator({ size: "tiny" })
    // an endpoint of the real schema the simulator has no route for (found, so it stays true as routes are added)
    const missing = sim.schema.endpoints.find(
      (e) =>
        e.method === "GET" &&
        simulatedRoutes[`GET ${e.path}`] === undefined &&
        /^\/nodes\/\{node\}(\/[a-z]+)+$/.test(e.path) &&
        e.permissions?.check !== undefined
    )
    expect(missing).toBeDefined()
    const path = missing!.path.replace("{node}", [...sim.model.nodes.keys()][0]!)
    const answer = sim.handle({ method: "GET", url: `https://sim/api2/json${path}`, headers: tokenHeader() })
    expect(answer.status).toBe(501)
    const label = { method: "GET", path }
    const simulated = Effect.runSync(Effect.flip(interpretResponse(label, answer.status, answer.body)))
    expect(presentError(simulated, undefined).hint).toContain("The simulator does not implement this endpoint")
    const real = Effect.runSync(
      Effect.flip(
        interpretResponse(label, 501, JSON.stringify({ data: null, message: `Method 'GET ${path}' not implemented\n` }))
      )
    )
    expect(presentError(real, undefined).hint).toBe("This PVE version does not offer that endpoint.")
  })
})
