/**
 * Parameter values as a person or the model reads them in confirmation forms, dry-run and refusal texts: on one
 * line, with nothing hidden. A value cannot add lines, fake another parameter or reorder the text: control,
 * format (bidi, zero-width) and line-separator characters are shown escaped (`\n`, `\u0007`), a value that is
 * not plain text is quoted, and a long value is cut with its length.
 */
import type { ParamValue } from "../proxmox/ProxmoxClient.js"

/** Characters of a value shown after this many are cut, with the value's full length. */
export const SHOWN_VALUE_CHARACTERS = 200

// Cc controls, Cf format characters (bidi overrides, zero-width), line/paragraph separators, lone surrogates.
const invisible = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u
// Plain text can stand bare after `name=`: nothing that could be read as the end of the value or another one.
const plainText = /^[^\s,="\\]([^,="\\]*[^\s,="\\])?$/

const escapeCharacter = (ch: string): string => {
  switch (ch) {
    case "\n":
      return "\\n"
    case "\r":
      return "\\r"
    case "\t":
      return "\\t"
    case '"':
      return '\\"'
    case "\\":
      return "\\\\"
  }
  if (!invisible.test(ch)) return ch
  const code = ch.codePointAt(0)!
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`
}

const showString = (value: string): string => {
  // by code points, so no surrogate pair is cut in half
  const characters = Array.from(value)
  const cut = characters.length > SHOWN_VALUE_CHARACTERS
  const shown = cut ? characters.slice(0, SHOWN_VALUE_CHARACTERS) : characters
  if (!cut && plainText.test(value) && !shown.some((ch) => invisible.test(ch))) return value
  const quoted = `"${shown.map(escapeCharacter).join("")}"`
  return cut ? `${quoted}… (${characters.length} characters)` : quoted
}

/** One value on one line: plain text bare, anything else quoted and escaped, long text cut with its length. */
export const showValue = (value: ParamValue | unknown): string => {
  if (typeof value === "string") return showString(value)
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (Array.isArray(value)) return `[${value.map(showValue).join(", ")}]`
  if (value === null || value === undefined) return String(value)
  return showString(JSON.stringify(value) ?? String(value))
}

/** `name=value, name=value`, every name and value shown with `showValue`. */
export const describeParams = (params: Readonly<Record<string, ParamValue | unknown>>): string =>
  Object.entries(params)
    .map(([name, value]) => `${showValue(name)}=${showValue(value)}`)
    .join(", ")
