/**
 * How errors quote a bad value: enough of it to recognise, never all of a huge one (a 100 KB argument must not come
 * back as 500 KB of error).
 */
export const EXCERPT_CHARACTERS = 80

/** Text that may hold a quoted value (a message from PVE or a validator), cut to `max` characters with its length. */
export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`

const json = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

/** A value as an error quotes it: as JSON, a string cut to its first 80 characters and its length. */
export const excerpt = (value: unknown): string => {
  if (typeof value === "string") {
    return value.length <= EXCERPT_CHARACTERS
      ? JSON.stringify(value)
      : `${JSON.stringify(value.slice(0, EXCERPT_CHARACTERS))}… (${value.length} characters)`
  }
  if (value === undefined) return "undefined"
  const text = json(value)
  if (text !== undefined && text.length <= EXCERPT_CHARACTERS) return text
  if (Array.isArray(value)) return `an array of ${value.length} items`
  if (typeof value === "object" && value !== null) return `an object with ${Object.keys(value).length} keys`
  return clip(String(value), EXCERPT_CHARACTERS)
}
