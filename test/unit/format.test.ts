/** The figures every tool's text shows a person. */
import { describe, expect, it } from "vitest"
import { bytes, duration, guestLabel, percent, usage } from "../../src/tools/format.js"

describe("text figures (src/tools/format.ts)", () => {
  it("bytes in binary units, one decimal below 10", () => {
    expect([0, 512, 1536, 3.2 * 1024 ** 3, 32 * 1024 ** 3, 4 * 1024 ** 4, undefined].map(bytes)).toEqual([
      "0 B",
      "512 B",
      "1.5 KiB",
      "3.2 GiB",
      "32 GiB",
      "4.0 TiB",
      "?"
    ])
  })

  it("fractions as percent, one decimal below 10 %", () => {
    expect([0, 0.0123, 0.1234, 1, undefined].map(percent)).toEqual(["0 %", "1.2 %", "12 %", "100 %", "?"])
  })

  it("used of total in the total's unit, with the share; another unit when used is far smaller", () => {
    expect(usage(3.2 * 1024 ** 3, 8 * 1024 ** 3)).toBe("3.2/8.0 GiB (40 %)")
    expect(usage(40 * 1024 ** 3, 4 * 1024 ** 4)).toBe("40 GiB/4.0 TiB (1 %)")
    expect(usage(undefined, 8 * 1024 ** 3)).toBe("?/8.0 GiB")
  })

  it("durations as the two largest units", () => {
    expect([42, 3720, 3600, 273_600, 86_400, undefined].map(duration)).toEqual([
      "42s",
      "1h 2m",
      "1h",
      "3d 4h",
      "1d",
      "?"
    ])
  })

  it("names a guest by vmid and name", () => {
    expect(guestLabel({ vmid: 101, name: "db-01" })).toBe("101 (db-01)")
    expect(guestLabel({ vmid: 101 })).toBe("101")
  })
})
