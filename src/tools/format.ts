/**
 * Figures as a person reads them, for the text of every tool's answer: sizes in binary units, rates, fractions as
 * percentages, durations in days/hours/minutes, UTC times. A missing figure is "?" rather than a made-up zero.
 * The one home of these texts: every tool's answer says a size or a time the same way.
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const

/** 3435973837 → "3.2 GiB"; one decimal below 10 of a unit, none above. */
export const bytes = (value: number | undefined): string => {
  if (value === undefined || !Number.isFinite(value)) return "?"
  let scaled = Math.max(0, value)
  let unit = 0
  while (scaled >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024
    unit++
  }
  if (unit === 0) return `${Math.round(scaled)} B`
  return `${scaled < 10 ? scaled.toFixed(1) : Math.round(scaled)} ${UNITS[unit]}`
}

/** 1536 per second → "1.5 KiB/s". */
export const rate = (bytesPerSecond: number | undefined): string => `${bytes(bytesPerSecond)}/s`

/** 0.1234 → "12 %"; one decimal below 10 % so that light loads are not all "0 %". */
export const percent = (fraction: number | undefined): string => {
  if (fraction === undefined || !Number.isFinite(fraction)) return "?"
  const p = fraction * 100
  return `${p < 10 ? (Math.round(p * 10) / 10).toString() : Math.round(p)} %`
}

/** used of total, in the total's unit when used is as large: "3.2/8.0 GiB (40 %)", else "40 GiB/4.0 TiB (1 %)". */
export const usage = (used: number | undefined, total: number | undefined): string => {
  if (used === undefined || total === undefined || total <= 0) return `${bytes(used)}/${bytes(total)}`
  const [totalFigure, unit] = bytes(total).split(" ")
  const [usedFigure, usedUnit] = bytes(used).split(" ")
  const shown = usedUnit === unit ? `${usedFigure}/${totalFigure} ${unit}` : `${bytes(used)}/${bytes(total)}`
  return `${shown} (${percent(used / total)})`
}

/** Seconds as the two largest units: 273600 → "3d 4h", 3720 → "1h 2m", 42 → "42s". */
export const duration = (seconds: number | undefined): string => {
  if (seconds === undefined || !Number.isFinite(seconds)) return "?"
  const s = Math.max(0, Math.floor(seconds))
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`
  if (m > 0) return `${m}m`
  return `${s}s`
}

/** Epoch seconds → "2026-12-01 02:00:05 UTC". */
export const utc = (epochSeconds: number): string =>
  `${new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`

/** An ISO time of a structured answer → "2026-12-01 02:00 UTC", to the minute (the lines of long lists). */
export const utcMinute = (isoTime: string): string => `${isoTime.slice(0, 16).replace("T", " ")} UTC`

/** Epoch seconds → ISO 8601, for structured answers. */
export const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString()

/** "vmid (name)", the way every tool names a guest. */
export const guestLabel = (g: { readonly vmid: number; readonly name?: string | undefined }): string =>
  `${g.vmid}${g.name ? ` (${g.name})` : ""}`
