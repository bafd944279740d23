import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server"

/** Tool arguments are at most a few levels deep (params → array → value); far deeper is an attack on the stack. */
export const MAX_ARGUMENT_NESTING = 32

/** Whether a JSON value nests arrays/objects deeper than `max`; iterative, so any depth is measured safely. */
export const nestedDeeperThan = (value: unknown, max: number): boolean => {
  const pending: Array<readonly [unknown, number]> = [[value, 0]]
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!
    if (node === null || typeof node !== "object") continue
    if (depth >= max) return true
    for (const child of Object.values(node)) pending.push([child, depth + 1])
  }
  return false
}

/**
 * Refuses over-deep arguments before the Schema sees them: decoding (and formatting its error) recurses, and a
 * stack overflow would reach the client as a JS stack trace with install paths.
 */
export const withNestingLimit = <I, A>(schema: StandardSchemaWithJSON<I, A>): StandardSchemaWithJSON<I, A> => ({
  "~standard": {
    ...schema["~standard"],
    validate: (value) =>
      nestedDeeperThan(value, MAX_ARGUMENT_NESTING)
        ? { issues: [{ message: `arguments nested deeper than ${MAX_ARGUMENT_NESTING} levels` }] }
        : schema["~standard"].validate(value)
  }
})
