/**
 * How `doctor` reads PVE's permission checks (apidata.json `permissions.check`) against `GET /access/permissions`:
 * `perm` with all or any of its privileges, `and`, `or`, propagation from a parent path, and a more specific path
 * replacing what its parent gives; and the pveum lines, which keep what the token already holds on the path.
 */
import { describe, expect, it } from "vitest"
import {
  aclRoot,
  grantLines,
  heldOn,
  holds,
  missingFor,
  type Permissions,
  toolsetAccess
} from "../../src/doctor/privileges.js"
import { loadApiSchema } from "../../src/proxmox/ApiSchema.js"
import { allTools } from "../../src/tools/index.js"

const auditor: Permissions = {
  "/": { "Sys.Audit": 1, "VM.Audit": 1, "Datastore.Audit": 1 },
  "/vms": { "VM.Audit": 1 },
  // an entry on /vms/200 without propagation replaced what / gave there
  "/vms/200": { "VM.PowerMgmt": 0 }
}

describe("doctor's reading of PVE permission checks", () => {
  it("maps a template to the top of its tree", () => {
    expect(["/", "/vms/{vmid}", "/nodes/{node}", "/storage/{storage}", "/sdn/zones/{zone}"].map(aclRoot)).toEqual([
      "/",
      "/vms",
      "/nodes",
      "/storage",
      "/sdn/zones"
    ])
  })

  it("takes a path's own answer, else what propagates from above", () => {
    expect(holds(auditor, "/vms", "VM.Audit")).toBe(true)
    expect(holds(auditor, "/vms", "Sys.Audit")).toBe(false)
    expect(holds(auditor, "/nodes", "Sys.Audit")).toBe(true)
    expect(holds(auditor, "/vms/200", "VM.Audit")).toBe(false)
    expect(holds({ "/": { "Sys.Audit": 0 } }, "/nodes", "Sys.Audit")).toBe(false)
    expect(heldOn(auditor, "/nodes")).toEqual(["Sys.Audit", "VM.Audit", "Datastore.Audit"])
  })

  it("evaluates perm (all, any), and, or", () => {
    expect(missingFor(["perm", "/vms/{vmid}", ["VM.PowerMgmt"]], auditor)).toEqual([
      { path: "/vms", privileges: ["VM.PowerMgmt"], any: false }
    ])
    expect(missingFor(["perm", "/", ["Sys.Audit", "Sys.Modify"], "any", 1], auditor)).toEqual([])
    expect(missingFor(["perm", "/", ["Sys.Modify", "Sys.Console"], "any", 1], auditor)).toEqual([
      { path: "/", privileges: ["Sys.Modify", "Sys.Console"], any: true }
    ])
    const and = ["and", ["perm", "/", ["Sys.Audit"]], ["perm", "/storage/{storage}", ["Datastore.Allocate"]]]
    expect(missingFor(and, auditor)).toEqual([{ path: "/storage", privileges: ["Datastore.Allocate"], any: false }])
    const or = ["or", ["perm", "/", ["Sys.Modify"]], ["perm", "/vms/{vmid}", ["VM.Audit"]]]
    expect(missingFor(or, auditor)).toEqual([])
    // checks on the caller itself depend on each request
    expect(missingFor(["userid-param", "self"], auditor)).toEqual([])
  })

  it("prints a role that keeps what the path already grants, for the token and its user", () => {
    const lines = grantLines(
      "lifecycle",
      [{ path: "/vms", privileges: ["VM.PowerMgmt"], any: false }],
      { _tag: "Token", tokenId: "mcp@pve!mcp", secret: undefined as never },
      auditor
    )
    expect(lines).toEqual([
      "pveum role add ProxmoxMCP-lifecycle-vms --privs VM.Audit,VM.PowerMgmt",
      "pveum acl modify /vms --users mcp@pve --tokens 'mcp@pve!mcp' --roles ProxmoxMCP-lifecycle-vms"
    ])
  })

  it("covers every toolset with tools, from allTools: an Administrator token lacks nothing", async () => {
    const schema = await loadApiSchema()
    const admin: Permissions = { "/": { "Sys.Audit": 1, "Sys.Modify": 1, "VM.Audit": 1, "VM.PowerMgmt": 1 } }
    const everything = Object.fromEntries(
      schema.endpoints
        .flatMap((e) => JSON.stringify(e.permissions?.check ?? []).match(/[A-Z][A-Za-z]+\.[A-Za-z.]+/g) ?? [])
        .map((p) => [p, 1])
    )
    const access = toolsetAccess(allTools, new Set(allTools.map((t) => t.name)), schema, {
      "/": { ...admin["/"], ...everything }
    })
    expect(access.map((a) => a.toolset).sort()).toEqual([...new Set(allTools.map((t) => t.toolset))].sort())
    expect(access.filter((a) => a.missing !== undefined && a.missing.length > 0)).toEqual([])
  })
})
