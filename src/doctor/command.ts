import * as Effect from "effect/Effect"
import type { EnvFileLoaded } from "../config/EnvFile.js"
export const runDoctorCommand = (_e: EnvFileLoaded | undefined) => Effect.succeed(0)
