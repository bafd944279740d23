import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as util from "node:util"
import * as Effect from "effect/Effect"
import { ConfigInvalid } from "./PveConfig.js"

/**
 * A `.env` file (`--env-file FILE`, or `./.env` when present), parsed by Node's own `util.parseEnv` (Node 20.12+, the
 * dotenv syntax Node's `--env-file` uses). Variables already in the environment win: the file only fills gaps, so a
 * client's `env` block or a shell export overrides what the file says.
 */
export interface EnvFileLoaded {
  readonly file: string
  /** the names the file set */
  readonly set: ReadonlyArray<string>
  /** the names the file has but the environment already had (the environment's value is kept) */
  readonly kept: ReadonlyArray<string>
}

type ParseEnv = (content: string) => Record<string, string | undefined>

const invalid = (variable: string, problem: string, fix: string) =>
  new ConfigInvalid({ problems: [{ variable, problem, fix }] })

/**
 * Reads `explicit` (an error when it cannot be read) or, without it, `.env` in `cwd` when there is one (none: undefined),
 * and adds its variables to `env` where `env` has no value of its own.
 */
export const loadEnvFile = (
  explicit: string | undefined,
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd()
): Effect.Effect<EnvFileLoaded | undefined, ConfigInvalid> =>
  Effect.gen(function* () {
    const variable = explicit === undefined ? ".env" : "--env-file"
    const file = resolve(cwd, explicit ?? ".env")
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch (error) {
      const missing = (error as { code?: unknown }).code === "ENOENT"
      if (explicit === undefined && missing) return undefined
      return yield* invalid(
        variable,
        `cannot read ${file}${missing ? " (no such file)" : ""}`,
        "point --env-file at a readable file of NAME=value lines, e.g. a copy of .env.example"
      )
    }
    const parseEnv = (util as { parseEnv?: ParseEnv }).parseEnv
    if (parseEnv === undefined) {
      return yield* invalid(
        variable,
        `cannot read ${file}: this Node.js (${process.version}) has no util.parseEnv`,
        "use Node.js 20.12 or newer, or set the variables in the environment"
      )
    }
    const parsed = parseEnv(text)
    const set: string[] = []
    const kept: string[] = []
    for (const [name, value] of Object.entries(parsed)) {
      if (value === undefined) continue
      if (env[name] !== undefined) kept.push(name)
      else {
        env[name] = value
        set.push(name)
      }
    }
    return { file, set, kept }
  })

/** One log line about it, names only (values may be secrets). */
export const describeEnvFile = (loaded: EnvFileLoaded): string =>
  `read ${loaded.file}: set ${loaded.set.join(", ") || "nothing"}${
    loaded.kept.length === 0 ? "" : `; kept from the environment (it wins): ${loaded.kept.join(", ")}`
  }`
