import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

// Perl's JSON encoder sends a scalar as a number or a string depending on how it was last used (WIRE.md (e)),
// so every numeric or boolean field accepts both forms and decodes to one clean type.

const numericText = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

// The wire side of a scalar is checked by a type guard, not a Union: a Union parser sorts its members per value,
// and an answer row of /cluster/resources has a dozen such fields (a 12-field struct decoded in half the time). The
// JSON Schema is the Union's.
const wireScalar = <A>(is: (u: unknown) => u is A, types: ReadonlyArray<string>, expected: string) =>
  Schema.declare(is, { description: expected, jsonSchema: { anyOf: types.map((type) => ({ type })) } })

const NumberOrString = wireScalar(
  (u): u is number | string => typeof u === "number" || typeof u === "string",
  ["number", "string"],
  "a number or a string"
)

/** A number that may arrive as `1024` or `"1024"`. Its type side is a plain number. */
export const PveNumber = Schema.transformOrFail(NumberOrString, Schema.Number, {
  strict: true,
  decode: (value, _, ast) => {
    if (typeof value === "number") return ParseResult.succeed(value)
    const text = value.trim()
    return numericText.test(text)
      ? ParseResult.succeed(Number(text))
      : ParseResult.fail(new ParseResult.Type(ast, value, `expected a number, got "${value}"`))
  },
  encode: ParseResult.succeed
}).annotations({ identifier: "PveNumber" })

/** An integer that may arrive as `100` or `"100"`. */
export const PveInt = PveNumber.pipe(Schema.compose(Schema.Int, { strict: true }))

/** PVE booleans are `0`/`1` (sometimes `"0"`/`"1"`); JSON true/false only appear in pass-through QEMU data. */
export const PveBoolean = Schema.transformOrFail(
  wireScalar(
    (u): u is number | string | boolean | null =>
      u === null || typeof u === "number" || typeof u === "string" || typeof u === "boolean",
    ["number", "string", "boolean", "null"],
    "0 or 1"
  ),
  Schema.Boolean,
  {
    strict: true,
    decode: (value, _, ast) => {
      if (typeof value === "boolean") return ParseResult.succeed(value)
      if (value === null) return ParseResult.succeed(false)
      if (value === 1 || value === "1") return ParseResult.succeed(true)
      if (value === 0 || value === "0" || value === "") return ParseResult.succeed(false)
      return ParseResult.fail(new ParseResult.Type(ast, value, `expected 0 or 1, got ${JSON.stringify(value)}`))
    },
    encode: ParseResult.succeed
  }
).annotations({ identifier: "PveBoolean" })

/** The success envelope `{data, total?}` (WIRE.md (c)). */
export const Envelope = <A, I, R>(data: Schema.Schema<A, I, R>) =>
  Schema.Struct({ data, total: Schema.optional(PveNumber) })
