import { clip, EXCERPT_CHARACTERS, excerpt } from "../proxmox/excerpt.js"

/** The parts of a Standard Schema issue that the SDK turns into the error text (`path.to.key: message`). */
export interface Issue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

const MAX_PROBLEMS = 10
const UNDEFINED = "Expected undefined"
const EXPECTATION_CHARACTERS = 200

const valueAt = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let value = root
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

const isPrefix = (prefix: ReadonlyArray<PropertyKey>, path: ReadonlyArray<PropertyKey>) =>
  prefix.length < path.length && prefix.every((key, i) => path[i] === key)

/**
 * Effect Schema quotes the whole bad value in every issue, once per union member it failed (a 100 KB string in
 * `params` came back five times). Here each location gets one issue: what was expected there (as `reword` puts it),
 * and the value it holds quoted once, cut short; a location that only contains another one quotes nothing; at most
 * 10 are listed.
 */
export const boundIssues = (
  issues: ReadonlyArray<Issue>,
  input: unknown,
  reword: (path: ReadonlyArray<PropertyKey>, expected: string) => string = (_, expected) => expected
): ReadonlyArray<Issue> => {
  const locations = new Map<string, { path: ReadonlyArray<PropertyKey>; expected: Array<string>; quoted: boolean }>()
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => (typeof p === "object" ? p.key : p))
    const id = JSON.stringify(path.map(String))
    const location = locations.get(id) ?? { path, expected: [], quoted: false }
    locations.set(id, location)
    const actual = issue.message.indexOf(", actual ")
    const expected = clip(
      reword(path, actual < 0 ? issue.message : issue.message.slice(0, actual)),
      EXPECTATION_CHARACTERS
    )
    if (!location.expected.includes(expected)) location.expected.push(expected)
    location.quoted ||= actual >= 0
  }
  const all = [...locations.values()]
  const shown: Array<Issue> = all.slice(0, MAX_PROBLEMS).map(({ path, expected: everyExpected, quoted }) => {
    // an optional argument that is given fails its "undefined" branch too, which tells the caller nothing
    const given = valueAt(input, path) !== undefined
    const expected = given && everyExpected.length > 1 ? everyExpected.filter((e) => e !== UNDEFINED) : everyExpected
    const alternatives =
      expected.length > 1 && expected.every((e) => e.startsWith("Expected "))
        ? `Expected one of: ${expected.map((e) => e.slice("Expected ".length)).join("; ")}`
        : expected.join("; ")
    const quotesValue = quoted && !all.some((other) => isPrefix(path, other.path))
    return {
      message: quotesValue ? `${alternatives}, actual ${excerpt(valueAt(input, path))}` : alternatives,
      path: path.map((key) => (typeof key === "string" ? clip(key, EXCERPT_CHARACTERS) : key))
    }
  })
  if (all.length > MAX_PROBLEMS) shown.push({ message: `and ${all.length - MAX_PROBLEMS} more problems` })
  return shown
}
