/** Perl's JSON encoder sends a scalar as a number or as a string (WIRE.md (e)); both decode to one clean type. */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { PveBoolean, PveInt, PveNumber } from "../../src/proxmox/WireSchemas.js"

const decode = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownEither(schema)
const message = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => {
  const result = decode(schema)(value)
  return Either.isLeft(result) ? ParseResult.TreeFormatter.formatErrorSync(result.left) : "decoded"
}

describe("wire scalars", () => {
  it("a number arrives as a number or as numeric text, and decodes to a number", () => {
    expect(decode(PveNumber)(1024)).toEqual(Either.right(1024))
    expect(decode(PveNumber)("1024")).toEqual(Either.right(1024))
    expect(decode(PveNumber)(" 0.25 ")).toEqual(Either.right(0.25))
    expect(decode(PveNumber)("1e3")).toEqual(Either.right(1000))
    expect(decode(PveInt)("100")).toEqual(Either.right(100))
  })

  it("anything else is refused, saying what came", () => {
    expect(message(PveNumber, "12abc")).toContain('expected a number, got "12abc"')
    expect(message(PveNumber, {})).toContain("Expected a number or a string, actual {}")
    expect(message(PveNumber, null)).toContain("Expected a number or a string, actual null")
    expect(message(PveInt, "1.5")).toContain("Expected an integer")
  })

  it("a boolean arrives as 0/1, '0'/'1', '', null or true/false", () => {
    for (const [wire, value] of [
      [1, true],
      ["1", true],
      [true, true],
      [0, false],
      ["0", false],
      ["", false],
      [null, false],
      [false, false]
    ] as const) {
      expect(decode(PveBoolean)(wire)).toEqual(Either.right(value))
    }
    expect(message(PveBoolean, 2)).toContain("expected 0 or 1, got 2")
    expect(message(PveBoolean, [])).toContain("Expected 0 or 1, actual []")
  })

  it("the type side is a plain number or boolean: an output keeps no numeric text", () => {
    expect(Schema.is(Schema.typeSchema(PveNumber))("1024")).toBe(false)
    expect(Schema.is(Schema.typeSchema(PveBoolean))(1)).toBe(false)
  })

  it("the wire side's JSON Schema names both forms", () => {
    expect(JSONSchema.make(Schema.encodedSchema(PveNumber))).toMatchObject({
      anyOf: [{ type: "number" }, { type: "string" }]
    })
    expect(JSONSchema.make(Schema.encodedSchema(PveBoolean))).toMatchObject({
      anyOf: [{ type: "number" }, { type: "string" }, { type: "boolean" }, { type: "null" }]
    })
  })
})
