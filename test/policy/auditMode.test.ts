/** The audit file is owner-only (0600) whether the server creates it or finds it with wider permissions. */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger } from "effect"
import { AuditLog, AuditLogLive } from "../../src/policy/Audit.js"
import { inProcess } from "../support/inProcess.js"

const fresh = () => join(mkdtempSync(join(tmpdir(), "pmcp-auditmode-")), "audit.jsonl")
const modeOf = (file: string) => statSync(file).mode & 0o777

/** Opens the audit log on `file`, writes one line, and returns what was logged meanwhile. */
const openAndRecord = (file: string) => {
  const logged: string[] = []
  const logger = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ message }) => logged.push(String(message)))
  )
  return Effect.gen(function* () {
    const audit = yield* AuditLog
    yield* audit.record({
      event: "pve_task",
      time: new Date(0).toISOString(),
      tool: null,
      upid: "UPID:pve1:00000001:00000001:00000001:qmstart:100:root@pam:",
      exitStatus: "OK",
      outcome: "ok",
      durationMs: 0
    })
  }).pipe(
    Effect.provide(AuditLogLive(file, (line) => line).pipe(Layer.provide(logger))),
    Effect.provide(logger),
    Effect.as(logged)
  )
}

describe("audit file permissions", () => {
  it.effect("an existing 0644 file becomes 0600, keeps its lines, and the log says so", () =>
    Effect.gen(function* () {
      const file = fresh()
      writeFileSync(file, '{"earlier":"line"}\n')
      chmodSync(file, 0o644)
      expect(modeOf(file)).toBe(0o644)
      const logged = yield* openAndRecord(file)
      expect(modeOf(file)).toBe(0o600)
      expect(logged.filter((l) => l.includes(file))).toEqual([
        `the audit log ${file} had mode 0644; it is now 0600 (owner only)`
      ])
      const lines = readFileSync(file, "utf8").trim().split("\n")
      expect(lines).toHaveLength(2)
      expect(lines[0]).toBe('{"earlier":"line"}')
    })
  )

  it.effect("a new file is created 0600 without a warning; an owner-only file is left as it is", () =>
    Effect.gen(function* () {
      const created = fresh()
      expect(yield* openAndRecord(created)).toEqual([])
      expect(modeOf(created)).toBe(0o600)
      const readOnly = fresh()
      writeFileSync(readOnly, "")
      chmodSync(readOnly, 0o400)
      // owner-only already: not widened to 0600 and nothing said about it (only root can open it for appending)
      const logged = yield* openAndRecord(readOnly).pipe(Effect.catchAllCause(() => Effect.succeed(["cannot open"])))
      expect(modeOf(readOnly)).toBe(0o400)
      expect(logged.some((l) => l.includes("had mode"))).toBe(false)
    })
  )

  it("the server narrows a group-readable PVE_AUDIT_LOG at start", async () => {
    const file = fresh()
    writeFileSync(file, "")
    chmodSync(file, 0o664)
    const server = await inProcess("v2", { env: { PVE_AUDIT_LOG: file } })
    try {
      expect(modeOf(file)).toBe(0o600)
      // (its warning goes to the logger around the layers, not the harness's: the test above reads it)
      const result = await server.callTool("pve_version", {})
      expect(result.isError).toBeFalsy()
    } finally {
      await server.close()
    }
  })
})
