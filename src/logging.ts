import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"

/** stdout belongs to the MCP protocol: every log line goes to stderr, as logfmt. */
export const stderrLogger = (level: LogLevel.LogLevel) =>
  Layer.merge(
    Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)),
    Logger.minimumLogLevel(level)
  )
