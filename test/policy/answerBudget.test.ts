import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { fitAnswer } from "../../src/policy/AnswerBudget.js"
import { loadPolicyConfigFrom } from "../../src/policy/PolicyConfig.js"
import { knownServerTools } from "../../src/server.js"

const size = (structured: unknown, text: string) =>
  Buffer.byteLength(JSON.stringify(structured)) + Buffer.byteLength(text)
const always = () => true

describe("fitAnswer", () => {
  it("leaves an answer within the budget untouched", () => {
    const structured = { items: [1, 2, 3] }
    expect(fitAnswer(structured, "three", 20_000, "narrow it", always)).toEqual({
      _tag: "Fits",
      structured,
      text: "three"
    })
  })

  it("cuts the longest list, keeps its first items and says so in both parts", () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `guest-${i}`, tags: ["a", "b"] }))
    const fitted = fitAnswer({ rows, total: 2000 }, "x".repeat(50_000), 20_000, "pass type", always)
    if (fitted._tag !== "Fits") throw new Error(fitted.message)
    expect(size(fitted.structured, fitted.text)).toBeLessThanOrEqual(20_000)
    const kept = fitted.structured.rows as ReadonlyArray<{ id: number }>
    expect(kept[0]?.id).toBe(0)
    expect(kept.length).toBeGreaterThan(10)
    const note = fitted.structured.truncated as string
    expect(note).toContain(`rows: ${kept.length} of 2000 items kept`)
    expect(note).toContain("To see the rest, pass type.")
    expect(fitted.text.endsWith(note)).toBe(true)
    expect(fitted.structured.total).toBe(2000)
  })

  it("cuts long strings when there is no list to cut", () => {
    const fitted = fitAnswer({ a: "é".repeat(30_000), b: "y".repeat(30_000) }, "", 20_000, "ask less", always)
    if (fitted._tag !== "Fits") throw new Error(fitted.message)
    expect(size(fitted.structured, fitted.text)).toBeLessThanOrEqual(20_000)
    expect(fitted.structured.truncated).toContain("strings over 1000 characters cut to 1000 characters")
  })

  it("refuses rather than answer content its output schema would reject", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => i)
    const fitted = fitAnswer({ rows }, "", 10_000, "ask less", () => false)
    expect(fitted).toMatchObject({ _tag: "TooLarge" })
  })
})

describe("PVE_TOOLSETS=dynamic", () => {
  const load = (env: Record<string, string>) => Effect.runPromise(loadPolicyConfigFrom(env, knownServerTools))

  it("alone: every toolset may be enabled", async () => {
    const policy = await load({ PVE_TOOLSETS: "dynamic" })
    expect(policy.dynamic).toBe(true)
    expect(policy.toolsets).toEqual(knownServerTools.toolsets)
  })

  it("beside names: only those", async () => {
    const policy = await load({ PVE_TOOLSETS: "dynamic,core,lifecycle" })
    expect(policy).toMatchObject({ dynamic: true, toolsets: ["core", "lifecycle"] })
  })

  it("is off unless named", async () => {
    expect((await load({ PVE_TOOLSETS: "core,api" })).dynamic).toBeUndefined()
  })
})
