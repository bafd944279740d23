/** The percentages PVE task logs print, as the progress notifications read them; lines as real PVE prints them. */
import { describe, expect, it } from "@effect/vitest"
import { percentOf } from "../../src/proxmox/Tasks.js"

describe("percentOf", () => {
  it.each<[string, number | undefined]>([
    ["INFO:   0% (0.0 B of 32.0 GiB) in 0s, read: 0 B/s, write: 0 B/s", 0],
    ["INFO:  45% (14.4 GiB of 32.0 GiB) in 1m 2s, read: 245.3 MiB/s, write: 201.0 MiB/s", 45],
    ["INFO: 100% (32.0 GiB of 32.0 GiB) in 2m 10s, read: 251.1 MiB/s, write: 0 B/s", 100],
    ["drive-scsi0: transferred 1.2 GiB of 32.0 GiB (3.75%) in 2s", 3.75],
    ["drive-virtio0: transferred 32.0 GiB of 32.0 GiB (100.00%) in 1m 4s, ready", 100],
    ["progress 45% (read 15461882880 bytes, duration 20 sec)", 45],
    ["progress 12% (read 515396075 bytes, zeroes = 3% (16777216 bytes), duration 2 sec)", 12],
    ["  524288K ........ ........ ........ ........ ........ ........ 13%  102M 27s", 13],
    // not progress lines
    ["INFO: backup is sparse: 3.51 GiB (43%) total zero data", undefined],
    ["migration active, transferred 1.0 GiB of 2.0 GiB VM-state, 100.0 MiB/s", undefined],
    ["INFO: Starting Backup of VM 100 (qemu)", undefined],
    ["TASK OK", undefined]
  ])("%s → %s", (line, percent) => {
    expect(percentOf(line)).toBe(percent)
  })
})
