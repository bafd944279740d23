// Figures of the benchmark suite: order statistics of samples, and the rows of the one table it prints.

/** The q-quantile (0..1) of `samples`, nearest rank. */
export const quantile = (samples: ReadonlyArray<number>, q: number): number => {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

export const median = (samples: ReadonlyArray<number>) => quantile(samples, 0.5)
export const p90 = (samples: ReadonlyArray<number>) => quantile(samples, 0.9)
export const p99 = (samples: ReadonlyArray<number>) => quantile(samples, 0.99)

/** One line of the table: a figure of this server beside the floor's figure measured in the same run. */
export interface Row {
  readonly section: string
  readonly figure: string
  readonly value: number
  readonly unit: string
  /** the floor's own figure of the same kind, same run; absent where there is none */
  readonly floor?: number
  /** value / floor, or the ratio the target is about when it is not plain value / floor */
  readonly ratio?: number
  /** the target, in words, and whether this run met it */
  readonly target?: string
  readonly met?: boolean
}

export const row = (r: Omit<Row, "ratio"> & { readonly ratio?: number }): Row =>
  r.ratio === undefined && r.floor !== undefined && r.floor !== 0 ? { ...r, ratio: r.value / r.floor } : r

/** Times a promise-returning function: milliseconds from call to settlement. */
export const timed = async <A>(f: () => Promise<A>): Promise<readonly [number, A]> => {
  const t0 = performance.now()
  const a = await f()
  return [performance.now() - t0, a] as const
}

const formatNumber = (n: number) =>
  Number.isNaN(n) ? "-" : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2)

/** The one table: section, figure, value, floor, ratio, target. */
export const renderTable = (rows: ReadonlyArray<Row>): string => {
  const cells = rows.map((r) => [
    r.section,
    r.figure,
    `${formatNumber(r.value)} ${r.unit}`,
    r.floor === undefined ? "" : `${formatNumber(r.floor)} ${r.unit}`,
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}x`,
    r.target === undefined ? "" : `${r.met ? "met" : "MISSED"} (${r.target})`
  ])
  const header = ["section", "figure", "value", "floor", "ratio", "target"]
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: ReadonlyArray<string>) =>
    c
      .map((v, i) => (i === 2 || i === 3 || i === 4 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")
}
