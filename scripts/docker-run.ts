/**
 * The image's runtime stage, run outside Docker (there is no Docker engine on the development machines): reads the
 * Dockerfile's last stage, lays out in a fresh folder exactly what its COPY lines put into WORKDIR (dist/ from the
 * build stage, which `npm run build` makes here too), and starts its CMD with its ENV; HEALTHCHECK runs the same way.
 * test/e2e/docker.test.ts uses it, so the container's command is known to work with the bundle alone.
 *
 *   npx tsx scripts/docker-run.ts      (after npm run build) serves on 127.0.0.1:$MCP_PORT as the container would
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")

export interface RuntimeStage {
  readonly env: Readonly<Record<string, string>>
  readonly workdir: string
  /** [from (build stage path or context path), to (relative to WORKDIR)] */
  readonly copies: ReadonlyArray<{ readonly from: string; readonly fromBuild: boolean; readonly to: string }>
  readonly cmd: ReadonlyArray<string>
  readonly healthcheck: ReadonlyArray<string>
  readonly user: string | undefined
}

/** The last stage of the Dockerfile, its continuation lines joined. */
export const readRuntimeStage = (dockerfile = readFileSync(join(root, "Dockerfile"), "utf8")): RuntimeStage => {
  const lines = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
  const stages = lines.reduce<string[][]>((acc, line) => {
    if (/^FROM /i.test(line)) acc.push([])
    acc.at(-1)?.push(line)
    return acc
  }, [])
  const stage = stages.at(-1) ?? []
  const env: Record<string, string> = {}
  const copies: Array<{ from: string; fromBuild: boolean; to: string }> = []
  let workdir = "/"
  let cmd: string[] = []
  let healthcheck: string[] = []
  let user: string | undefined
  for (const line of stage) {
    const [instruction = "", ...rest] = line.split(/\s+/)
    const args = rest.join(" ")
    switch (instruction.toUpperCase()) {
      case "ENV":
        for (const m of args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]!] = m[2]!
        break
      case "WORKDIR":
        workdir = args
        break
      case "COPY": {
        const words = args.split(/\s+/)
        const fromBuild = words[0]?.startsWith("--from=") ?? false
        const [from = "", to = ""] = words.filter((w) => !w.startsWith("--"))
        copies.push({ from: fromBuild ? from.replace(/^\/src\//, "") : from, fromBuild, to: to.replace(/^\.\//, "") })
        break
      }
      case "CMD":
        cmd = JSON.parse(args) as string[]
        break
      case "HEALTHCHECK":
        healthcheck = JSON.parse(args.slice(args.indexOf("CMD ") + 4)) as string[]
        break
      case "USER":
        user = args
        break
    }
  }
  return { env, workdir, copies, cmd, healthcheck, user }
}

/** A folder holding what the image's WORKDIR holds. */
export const layOut = (stage: RuntimeStage): string => {
  const dir = mkdtempSync(join(tmpdir(), "pmcp-image-"))
  for (const copy of stage.copies) {
    cpSync(join(root, copy.from), join(dir, copy.to), { recursive: true, filter: (src) => !src.endsWith(".map") })
  }
  return dir
}

/** `node …` as in the image: the image's node is this one. */
const command = (argv: ReadonlyArray<string>) => {
  const [program, ...args] = argv
  return { program: program === "node" ? process.execPath : program!, args }
}

export const startContainerCommand = (stage: RuntimeStage, dir: string, env: Record<string, string>): ChildProcess => {
  const { program, args } = command(stage.cmd)
  return spawn(program, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", ...stage.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
}

export const runHealthcheck = async (stage: RuntimeStage, dir: string, env: Record<string, string>) => {
  const { program, args } = command(stage.healthcheck)
  return await new Promise<number | null>((resolve) => {
    const child = spawn(program, args, { cwd: dir, env: { PATH: process.env.PATH ?? "", ...stage.env, ...env } })
    child.once("exit", (code) => resolve(code))
  })
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const stage = readRuntimeStage()
  const dir = layOut(stage)
  const { program, args } = command(stage.cmd)
  process.stderr.write(`running the image's CMD in ${dir}: ${stage.cmd.join(" ")}\n`)
  const run = spawnSync(program, args, { cwd: dir, env: { ...process.env, ...stage.env }, stdio: "inherit" })
  process.exit(run.status ?? 1)
}
