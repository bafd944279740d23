/**
 * The storage tools through a real MCP client, the whole server and the simulator: storages of one node and of the
 * cluster (shared ones once), content paged, the appliance index, and downloads: one that lands in the storage, one
 * whose checksum does not match (the task fails with PVE's text, nothing is stored), and the refusals before
 * anything is sent (a bad file name or URL, a storage that does not exist or holds no such content, PVE before 7.2).
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { GENERATIONS, type ToolResult, textOf } from "../support/mcpClient.js"
import { errorOf, writesSeen } from "../support/observed.js"

interface StorageRow {
  readonly storage: string
  readonly shared: boolean
  readonly nodes: ReadonlyArray<string>
  readonly content: ReadonlyArray<string>
  readonly total?: number
  readonly used?: number
  readonly usedPercent?: number
  readonly active: boolean
  readonly enabled: boolean
}
interface Volume {
  readonly volid: string
  readonly content: string
  readonly size: number
  readonly created?: string
}
interface Template {
  readonly template: string
  readonly section: string
  readonly url?: string
  readonly sha512sum?: string
}

const structured = <T>(result: ToolResult) => result.structuredContent as T

describe.each(GENERATIONS)("storage tools (%s client)", (generation) => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await inProcess(generation, {
      env: { PVE_READONLY: "false", PVE_CONFIRM: "param" },
      sim: { taskDurationMs: 30 }
    })
  })
  afterAll(() => server.close())

  const call = async (name: string, args: Record<string, unknown>) => {
    server.sim.clearRequests()
    return server.callTool(name, args)
  }

  it("lists every node's storages with usage, a shared storage once", async () => {
    const result = await call("pve_list_storage", {})
    expect(result.isError, textOf(result)).toBeFalsy()
    const { storages } = structured<{ storages: ReadonlyArray<StorageRow> }>(result)
    const nfs = storages.filter((s) => s.storage === "nfs-shared")
    expect(nfs).toHaveLength(1)
    expect(nfs[0]!.nodes).toEqual(["pve1", "pve2", "pve3"])
    expect(storages.filter((s) => s.storage === "local").map((s) => s.nodes[0])).toEqual(["pve1", "pve2", "pve3"])
    for (const s of storages) {
      expect(s.active && s.enabled).toBe(true)
      expect(s.usedPercent).toBeCloseTo(((s.used ?? 0) / s.total!) * 100, 0)
    }
    expect(textOf(result)).toMatch(/nfs-shared \(nfs, shared\) on 3 nodes: [\d.]+ GiB of 4\.0 TiB used \([\d.]+ %\)/)
  })

  it("lists one node's storages that hold a content type", async () => {
    const result = await call("pve_list_storage", { node: "pve2", content: "iso" })
    const { storages } = structured<{ storages: ReadonlyArray<StorageRow> }>(result)
    expect(storages.map((s) => s.storage).sort()).toEqual(["local", "nfs-shared"])
    expect(server.sim.requests.map((r) => r.path)).toEqual(["/nodes/pve2/storage"])
  })

  it("pages a storage's content to the end, with sizes and times readable", async () => {
    const seen: string[] = []
    let cursor: string | undefined
    let total = 0
    do {
      const result = await call("pve_storage_content", {
        node: "pve1",
        storage: "local-lvm",
        limit: 2,
        ...(cursor === undefined ? {} : { cursor })
      })
      expect(result.isError, textOf(result)).toBeFalsy()
      const page = structured<{ volumes: ReadonlyArray<Volume>; total: number; nextCursor?: string }>(result)
      total = page.total
      seen.push(...page.volumes.map((v) => v.volid))
      cursor = page.nextCursor
      if (cursor !== undefined) expect(textOf(result)).toContain(`next page: cursor "${cursor}"`)
    } while (cursor !== undefined)
    expect(total).toBeGreaterThan(2)
    expect(new Set(seen).size).toBe(total)
    const iso = await call("pve_storage_content", { node: "pve1", storage: "local", content: "iso" })
    expect(textOf(iso)).toMatch(
      /local:iso\/debian-12\.9\.0-amd64-netinst\.iso iso 631 MiB \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/
    )
    const owned = await call("pve_storage_content", { node: "pve1", storage: "nfs-shared", vmid: 100 })
    const volumes = structured<{ volumes: ReadonlyArray<Volume & { vmid?: number }> }>(owned).volumes
    expect(volumes.length).toBeGreaterThan(0)
    for (const v of volumes) expect(v.vmid).toBe(100)
  })

  it("says so when a storage does not exist", async () => {
    const result = await call("pve_storage_content", { node: "pve1", storage: "nope" })
    expect(result.isError).toBe(true)
    expect(errorOf(result)?._tag).toBe("PveNotFound")
    expect(textOf(result)).toContain("storage 'nope' does not exist")
  })

  it("lists the appliance index filtered by section and name, and says how to download", async () => {
    const result = await call("pve_list_templates", { node: "pve1", section: "system", name: "debian" })
    const { templates } = structured<{ templates: ReadonlyArray<Template> }>(result)
    expect(templates.map((t) => t.template)).toEqual([
      "debian-13-standard_13.1-2_amd64.tar.zst",
      "debian-12-standard_12.12-1_amd64.tar.zst"
    ])
    for (const t of templates) expect(t.sha512sum).toMatch(/^[0-9a-f]{128}$/)
    expect(textOf(result)).toContain("pve_storage_download")
    expect(textOf(result)).toContain("POST /nodes/pve1/aplinfo")
    const turnkey = await call("pve_list_templates", { node: "pve1", section: "turnkeylinux" })
    expect(structured<{ count: number }>(turnkey).count).toBeGreaterThan(3)
  })

  it("downloads a template from the index with its checksum, and it lands in the storage", async () => {
    const listed = await call("pve_list_templates", { node: "pve1", name: "alpine" })
    const alpine = structured<{ templates: ReadonlyArray<Template> }>(listed).templates[0]!
    const result = await call("pve_storage_download", {
      node: "pve1",
      storage: "local",
      url: alpine.url,
      content: "vztmpl",
      checksum: alpine.sha512sum,
      checksumAlgorithm: "sha512"
    })
    expect(result.isError, textOf(result)).toBeFalsy()
    const volid = `local:vztmpl/${alpine.template}`
    expect(structured<{ volid: string; exitStatus: string }>(result)).toMatchObject({ volid, exitStatus: "OK" })
    expect(textOf(result)).toMatch(
      /downloaded local:vztmpl\/alpine-3\.22\S+ on pve1 \([\d.]+ MiB\): OK, checksum verified/
    )
    const content = await call("pve_storage_content", { node: "pve1", storage: "local", content: "vztmpl" })
    expect(structured<{ volumes: ReadonlyArray<Volume> }>(content).volumes.map((v) => v.volid)).toContain(volid)
    // the same file again is refused before anything is sent
    const again = await call("pve_storage_download", {
      node: "pve1",
      storage: "local",
      url: alpine.url,
      content: "vztmpl"
    })
    expect(again.isError).toBe(true)
    expect(textOf(again)).toContain("already on the storage")
    expect(writesSeen(server.sim)).toEqual([])
  })

  it("fails with PVE's checksum mismatch when the file does not match, and stores nothing", async () => {
    const url = "https://cdimage.example.org/images/rescue-1.2.iso"
    const wrong = createHash("sha256").update("something else").digest("hex")
    const result = await call("pve_storage_download", {
      node: "pve2",
      storage: "local",
      url,
      content: "iso",
      checksum: wrong,
      checksumAlgorithm: "sha256"
    })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toContain(
      `checksum mismatch: got '${createHash("sha256").update(url).digest("hex")}' != expect '${wrong}'`
    )
    expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve2/storage/local/download-url"])
    const content = await call("pve_storage_content", { node: "pve2", storage: "local", content: "iso" })
    expect(structured<{ volumes: ReadonlyArray<Volume> }>(content).volumes.map((v) => v.volid)).not.toContain(
      "local:iso/rescue-1.2.iso"
    )
  })

  it.each([
    [{ url: "ftp://example.org/a.iso", content: "iso" }, "only http and https"],
    [{ url: "not a url", content: "iso" }, "is not a URL"],
    [{ url: "https://me:hunter2@example.org/a.iso", content: "iso" }, "URL without credentials"],
    [{ url: "https://example.org/a.iso", filename: "../../etc/passwd.iso", content: "iso" }, "not a plain file name"],
    [{ url: "https://example.org/a.qcow2", content: "iso" }, "must end in .iso or .img"],
    [
      { url: "https://example.org/t.tar.zst", content: "vztmpl", checksum: "abc" },
      "both checksum and checksumAlgorithm"
    ],
    [
      { url: "https://example.org/t.tar.zst", content: "vztmpl", checksum: "abc", checksumAlgorithm: "sha256" },
      "a sha256 checksum is 64 hex digits"
    ],
    [{ url: "https://example.org/a.iso", content: "iso", storage: "local-lvm" }, "does not hold iso content"],
    [{ url: "https://example.org/a.iso", content: "iso", storage: "nope" }, "no storage 'nope' on node pve1"]
  ])("refuses %j before sending anything: %s", async (args, message) => {
    const result = await call("pve_storage_download", { node: "pve1", storage: "local", ...args })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toContain(message)
    expect(writesSeen(server.sim)).toEqual([])
    // a password in the URL is not echoed back, nor written to the audit file
    expect(JSON.stringify(result)).not.toContain("hunter2")
    expect(readFileSync(server.auditFile, "utf8")).not.toContain("hunter2")
  })

  it("says a download from a URL needs PVE 7.2 on an older cluster", async () => {
    const version = server.sim.model.version
    ;(server.sim.model as { version: typeof version }).version = { ...version, version: "7.1-12", release: "7.1" }
    try {
      const result = await call("pve_storage_download", {
        node: "pve1",
        storage: "local",
        url: "https://example.org/a.iso",
        content: "iso"
      })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain("needs PVE 7.2 or later; this cluster runs 7.1-12")
      expect(writesSeen(server.sim)).toEqual([])
    } finally {
      ;(server.sim.model as { version: typeof version }).version = version
    }
  })
})
