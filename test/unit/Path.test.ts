import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { pvePath } from "../../src/proxmox/Path.js"

const fails = (template: string, values: Record<string, string | number>) =>
  Effect.runSync(Effect.exit(pvePath(template, values)))

describe("pvePath", () => {
  it("fills a template with encoded, validated segments", () => {
    const p = Effect.runSync(pvePath("/nodes/{node}/qemu/{vmid}/status/start", { node: "pve1", vmid: 100 }))
    expect(p).toEqual({
      template: "/nodes/{node}/qemu/{vmid}/status/start",
      params: { node: "pve1", vmid: "100" },
      path: "/nodes/pve1/qemu/100/status/start"
    })
  })

  it("encodes the colons and @ of a UPID and keeps it one segment", () => {
    const upid = "UPID:pve1:0006D77B:00548A83:6A4E2CB0:qmclone:1000:mcp@pve!mcp:"
    const p = Effect.runSync(pvePath("/nodes/{node}/tasks/{upid}/status", { node: "pve1", upid }))
    expect(p.path).toBe(`/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`)
    expect(p.path.split("/")).toHaveLength(6)
  })

  it.each([
    ["node", "pve/qemu/101/status/stop#"],
    ["node", "../cluster"],
    ["node", ".."],
    ["node", "pve1%2Fqemu"],
    ["node", "pve1?x=1"],
    ["node", ""],
    ["node", "pve1\u0000"],
    ["node", "pve1\r\nX: y"],
    ["node", "pve1\u2215qemu"],
    ["node", "-pve1"],
    ["node", "a".repeat(64)],
    ["vmid", "100/../101"],
    ["vmid", 99],
    ["vmid", 1_000_000_000],
    ["vmid", 100.5],
    ["vmid", "0100"]
  ])("refuses %s = %j without building a path", (field, value) => {
    const template = field === "node" ? "/nodes/{node}/status" : "/nodes/pve1/qemu/{vmid}/status/current"
    const exit = fails(template, { [field]: value })
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toMatchObject({ _tag: "InvalidInput", field })
    }
  })

  it("refuses a template value that is missing", () => {
    expect(Exit.isFailure(fails("/nodes/{node}/status", {}))).toBe(true)
  })

  it("never leaves a placeholder unfilled: one without a segment format is a defect, hyphenated or not", () => {
    for (const template of ["/cluster/sdn/zones/{zone-id}", "/cluster/sdn/zones/{zoneid}"]) {
      const exit = Effect.runSyncExit(pvePath(template, { "zone-id": "z1", zoneid: "z1" }))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }
  })
})

describe("volume ids", () => {
  it.each([
    "local:iso/debian-12.iso",
    "local-lvm:vm-100-disk-0",
    "nfs-shared:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst"
  ])("accepts %s", (volume) => {
    expect(
      Effect.runSync(pvePath("/nodes/{node}/storage/local/content/{volume}", { node: "pve1", volume })).params.volume
    ).toBe(volume)
  })

  it.each([
    "local:iso/../x",
    "local:..",
    "local:./x",
    "local:iso//x",
    "local:/etc/passwd",
    "local:iso/",
    "local:iso/.",
    "local:a b",
    "local:x%2f",
    "local"
  ])("refuses %j", (volume) => {
    expect(Exit.isFailure(fails("/nodes/{node}/storage/local/content/{volume}", { node: "pve1", volume }))).toBe(true)
  })
})
