import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { apiPathShapeProblem, apiRequest } from "../../src/proxmox/api.js"

const UPID = "UPID:pve1:0006D77B:00548A83:6A4E2CB0:qmclone:1000:mcp@pve!mcp:"
const request = (method: "GET" | "POST" | "PUT" | "DELETE", path: string, params = {}) =>
  Effect.runPromise(Effect.exit(apiRequest(method, path, params)))

describe("generic API paths", () => {
  it.each<[string, string, string, Record<string, string>]>([
    ["GET", "/nodes/pve1/qemu/100/config", "/nodes/{node}/qemu/{vmid}/config", { node: "pve1", vmid: "100" }],
    ["GET", "/cluster/resources", "/cluster/resources", {}],
    ["GET", `/nodes/pve1/tasks/${UPID}/status`, "/nodes/{node}/tasks/{upid}/status", { node: "pve1", upid: UPID }],
    ["GET", "/access/users/root@pam", "/access/users/{userid}", { userid: "root@pam" }],
    [
      "GET",
      "/nodes/pve1/storage/local/content/local:iso/debian-12.iso",
      "/nodes/{node}/storage/{storage}/content/{volume}",
      { node: "pve1", storage: "local", volume: "local:iso/debian-12.iso" }
    ],
    [
      "POST",
      "/nodes/pve1/qemu/100/snapshot/pre-upgrade/rollback",
      "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback",
      { node: "pve1", vmid: "100", snapname: "pre-upgrade" }
    ]
  ])("matches %s %s to its endpoint and encodes each value", async (method, path, template, params) => {
    const exit = await request(method as "GET", path)
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    expect(exit.value.path.template).toBe(template)
    expect(exit.value.path.params).toEqual(params)
    expect(exit.value.path.path).toBe(
      template.replace(/\{([\w-]+)\}/g, (_, n: string) => encodeURIComponent(params[n]!))
    )
  })

  it("names the methods a path does have", async () => {
    const exit = await request("POST", "/cluster/resources")
    expect(Exit.isFailure(exit) && String(exit.cause)).toContain(
      "has no POST endpoint in the Proxmox VE API (it has GET)"
    )
  })

  it("checks parameters against the endpoint before sending", async () => {
    const missing = await request("POST", "/nodes/pve1/qemu/100/migrate", {})
    expect(Exit.isFailure(missing) && String(missing.cause)).toContain("target: property is missing")
    const fine = await request("POST", "/nodes/pve1/qemu/100/migrate", { target: "pve2", online: true })
    expect(Exit.isSuccess(fine)).toBe(true)
  })

  it.each(["/", "/version", "/nodes/pve1/qemu/100/status/current"])("accepts the shape of %s", (path) => {
    expect(apiPathShapeProblem(path)).toBeUndefined()
  })
})
