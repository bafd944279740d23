/** PVE calendar events (the systemd subset of `schedule` in backup and replication jobs), checked before sending. */

const WEEKDAY = "(mon|tue|wed|thu|fri|sat|sun)"
const weekdayItem = new RegExp(`^${WEEKDAY}(\\.\\.${WEEKDAY})?$`)
const SPECIAL = new Set([
  "minutely",
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "yearly",
  "annually",
  "quarterly",
  "semiannually"
])

/** One field of a calendar event (a star, `5`, `1..5`, a repetition `0/15`, lists of these), each number in [min, max]. */
const fieldProblem = (text: string, what: string, min: number, max: number): string | undefined => {
  for (const item of text.split(",")) {
    const match = /^(\*|\d+)(?:\.\.(\d+))?(?:\/(\d+))?$/.exec(item)
    if (match === null) return `"${item}" is not a valid ${what} (a number, *, a range a..b or a repetition start/step)`
    const numbers = [match[1], match[2]].filter((n): n is string => n !== undefined && n !== "*").map(Number)
    if (numbers.some((n) => n < min || n > max)) return `${what} "${item}" is outside ${min}..${max}`
    if (match[3] !== undefined && Number(match[3]) < 1) return `the step in "${item}" must be at least 1`
  }
  return undefined
}

/**
 * Why a text is not a PVE calendar event (the systemd subset PVE accepts: `[weekdays] [[year-]month-day]
 * [hour:]minute[:second]` or a word such as daily), or undefined when it is one.
 */
export const calendarEventProblem = (event: string): string | undefined => {
  const tokens = event
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== "")
  if (tokens.length === 0) return "the schedule is empty"
  if (tokens.length === 1 && SPECIAL.has(tokens[0]!)) return undefined
  let stage = 0 // 0: weekdays may come, 1: a date may come, 2: a time may come, 3: done
  for (const token of tokens) {
    if (SPECIAL.has(token)) return `"${token}" must stand alone`
    if (/^[a-z]/.test(token)) {
      if (stage > 0) return `weekdays ("${token}") must come first`
      const bad = token.split(",").find((item) => !weekdayItem.test(item))
      if (bad !== undefined) return `"${bad}" is not a weekday or weekday range (mon..fri, sat,sun)`
      stage = 1
    } else if (token.includes("-")) {
      if (stage > 1) return `the date ("${token}") must come before the time`
      const parts = token.split("-")
      if (parts.length < 2 || parts.length > 3) return `"${token}" is not a date ([year-]month-day)`
      const [day = "", month = "", year] = [...parts].reverse()
      const problem =
        (year === undefined ? undefined : fieldProblem(year, "year", 1970, 9999)) ??
        fieldProblem(month, "month", 1, 12) ??
        fieldProblem(day, "day", 1, 31)
      if (problem !== undefined) return problem
      stage = 2
    } else {
      if (stage > 2) return `only one time may be given ("${token}")`
      const parts = token.split(":")
      if (parts.length > 3) return `"${token}" is not a time (hour:minute[:second])`
      const [hour, minute = "", second] =
        parts.length === 1 ? [undefined, parts[0]!, undefined] : [parts[0]!, parts[1]!, parts[2]]
      const problem =
        (hour === undefined ? undefined : fieldProblem(hour, "hour", 0, 23)) ??
        fieldProblem(minute, "minute", 0, 59) ??
        (second === undefined ? undefined : fieldProblem(second, "second", 0, 59))
      if (problem !== undefined) return problem
      stage = 3
    }
  }
  return undefined
}
