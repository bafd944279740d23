/** What real PVE answers to representative bad requests (WIRE.md), reproduced exactly; auth and 403s. */
import { describe, expect, it } from "vitest"
import { call, simulator, tokenHeader } from "../support/rawSimulator.js"

const verification = "Parameter verification failed.\n"

describe("wire: bad requests as real PVE answers them", () => {
  const sim = simulator()
  const table: ReadonlyArray<
    readonly [string, string, string, Record<string, string | number>, number, string, Record<string, string>?]
  > = [
    [
      "missing parameter",
      "POST",
      "/nodes/pve1/qemu/100/snapshot",
      {},
      400,
      verification,
      { snapname: "property is missing and it is not optional" }
    ],
    [
      "unknown parameter",
      "GET",
      "/nodes",
      { bogus: 1 },
      400,
      verification,
      { bogus: "property is not defined in schema and the schema does not allow additional properties" }
    ],
    [
      "ill-typed integer",
      "GET",
      "/nodes/pve1/tasks",
      { limit: "abc" },
      400,
      verification,
      { limit: "type check ('integer') failed - got 'abc'" }
    ],
    [
      "ill-typed boolean",
      "GET",
      "/nodes/pve1/tasks",
      { errors: "yes" },
      400,
      verification,
      { errors: "type check ('boolean') failed - got 'yes'" }
    ],
    [
      "below minimum",
      "GET",
      "/nodes/pve1/tasks",
      { limit: -1 },
      400,
      verification,
      { limit: "value must have a minimum value of 0" }
    ],
    [
      "out of enum",
      "GET",
      "/cluster/resources",
      { type: "vms" },
      400,
      verification,
      { type: "value 'vms' does not have a value in the enumeration 'vm, storage, node, sdn'" }
    ],
    [
      "bad vmid in path",
      "GET",
      "/nodes/pve1/qemu/99/status/current",
      {},
      400,
      verification,
      { vmid: "invalid format - value does not look like a valid VM ID\n" }
    ],
    [
      "non-numeric vmid in path",
      "GET",
      "/nodes/pve1/qemu/abc/config",
      {},
      400,
      verification,
      { vmid: "type check ('integer') failed - got 'abc'" }
    ],
    [
      "bad node name",
      "GET",
      "/nodes/pve_1/status",
      {},
      400,
      verification,
      { node: "invalid format - value does not look like a valid node name\n" }
    ],
    [
      "bad snapshot name",
      "POST",
      "/nodes/pve1/qemu/100/snapshot",
      { snapname: "1st" },
      400,
      verification,
      { snapname: "invalid format - invalid configuration ID '1st'\n" }
    ],
    [
      "taken VMID for nextid",
      "GET",
      "/cluster/nextid",
      { vmid: 100 },
      400,
      verification,
      { vmid: "VM 100 already exists" }
    ],
    ["unknown path", "GET", "/nodes/pve1/bogus", {}, 501, "Method 'GET /nodes/pve1/bogus' not implemented"],
    [
      "missing guest",
      "GET",
      "/nodes/pve1/qemu/999/config",
      {},
      500,
      "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist\n"
    ],
    [
      "unknown node",
      "GET",
      "/nodes/pve9/status",
      {},
      500,
      "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known\n"
    ]
  ]

  for (const [name, method, path, params, status, message, errors] of table) {
    it(name, () => {
      const answer = call(sim, method, path, { params })
      expect(answer.status).toBe(status)
      expect(answer.statusText).toBe(message.split("\n")[0])
      expect(answer.json).toEqual({ data: null, message, ...(errors === undefined ? {} : { errors }) })
    })
  }

  it("refuses other HTTP methods and bodies on GET", () => {
    expect(call(sim, "PATCH", "/version")).toMatchObject({ status: 501, statusText: "method 'PATCH' not available" })
    const withBody = sim.handle({
      method: "GET",
      url: "https://h/api2/json/version",
      headers: tokenHeader(),
      body: "a=1"
    })
    expect(withBody.status).toBe(501)
    expect(withBody.statusText).toBe("Unexpected content for method 'GET'")
  })

  it("rejects a body parameter that conflicts with the path", () => {
    const answer = call(sim, "POST", "/nodes/pve3/qemu/104/status/start", { params: { vmid: 105 } })
    expect(answer.status).toBe(400)
    expect(answer.json?.errors).toEqual({
      vmid: "duplicate parameter (already defined in URI) with conflicting values!"
    })
  })

  it("accepts JSON bodies with real booleans", () => {
    const answer = call(sim, "POST", "/nodes/pve1/qemu/100/snapshot", { json: { snapname: "j1", vmstate: true } })
    expect(answer.status).toBe(200)
    const bad = call(sim, "POST", "/nodes/pve1/qemu/100/snapshot", { json: { snapname: "j2", vmstate: "yes" } })
    expect(bad.json?.errors).toEqual({ vmstate: "type check ('boolean') failed - got 'yes'" })
  })
})

describe("wire: authentication and permissions", () => {
  it("answers 401 with an empty body before routing", () => {
    const sim = simulator()
    for (const [headers, reason] of [
      [{ authorization: "" }, "No ticket"],
      [tokenHeader("root@pam!mcp", "wrong"), "Authentication failed!"],
      [{ cookie: "PVEAuthCookie=PVE:root@pam:00000000::bad" }, "Authentication failed!"]
    ] as const) {
      const response = sim.handle({ method: "GET", url: "https://h/api2/json/does/not/exist", headers })
      expect(response).toMatchObject({ status: 401, statusText: reason, body: "" })
    }
  })

  it("gives a token without VM.PowerMgmt the exact 403 of real PVE", () => {
    const sim = simulator()
    sim.addToken({ tokenid: "ops@pve!audit", secret: "s3cret", acl: [{ path: "/", privs: ["PVEAuditor"] }] })
    const headers = tokenHeader("ops@pve!audit", "s3cret")
    // a fresh cluster has a history of tasks: the refused stop adds none
    const tasksBefore = sim.model.tasks.size
    expect(call(sim, "GET", "/nodes/pve1/qemu/100/status/current", { headers }).status).toBe(200)
    const denied = call(sim, "POST", "/nodes/pve1/qemu/100/status/stop", { headers })
    expect(denied.status).toBe(403)
    expect(denied.statusText).toBe("Permission check failed (/vms/100, VM.PowerMgmt)")
    expect(denied.json).toEqual({ data: null, message: "Permission check failed (/vms/100, VM.PowerMgmt)\n" })
    expect(sim.model.tasks.size).toBe(tasksBefore)
  })

  it("scopes ACLs by path and propagation, and filters listings", () => {
    const sim = simulator()
    sim.addToken({
      tokenid: "dev@pve!one",
      secret: "x",
      acl: [
        { path: "/vms/100", privs: ["PVEVMUser"] },
        { path: "/nodes", privs: ["Sys.Audit"] }
      ]
    })
    const headers = tokenHeader("dev@pve!one", "x")
    const vms = call(sim, "GET", "/cluster/resources", { params: { type: "vm" }, headers }).json?.data as Array<{
      vmid: number
    }>
    expect(vms.map((vm) => vm.vmid)).toEqual([100])
    expect(call(sim, "POST", "/nodes/pve1/qemu/100/status/shutdown", { headers }).status).toBe(200)
    expect(call(sim, "POST", "/nodes/pve1/qemu/101/status/shutdown", { headers }).statusText).toBe(
      "Permission check failed (/vms/101, VM.PowerMgmt)"
    )
  })

  it("refuses a ticket-only endpoint to API tokens", () => {
    const sim = simulator()
    const answer = call(sim, "PUT", "/access/password", { params: { userid: "root@pam", password: "newpassword1" } })
    expect(answer.status).toBe(403)
    expect(answer.json?.message).toBe(
      "URI '/api2/json/access/password' not available with API token, need proper ticket.\n"
    )
  })

  it("logs in with a ticket, needs CSRF on writes, renews, and honours the lifetime", () => {
    let now = Date.UTC(2026, 0, 1)
    const sim = simulator({ now: () => now, ticketLifetimeMs: 60_000 })
    const bad = call(sim, "POST", "/access/ticket", {
      params: { username: "root@pam", password: "wrong" },
      headers: { authorization: "" }
    })
    expect(bad).toMatchObject({ status: 401, statusText: "authentication failure" })
    const login = call(sim, "POST", "/access/ticket", {
      params: { username: "root@pam", password: "simulator" },
      headers: { authorization: "" }
    })
    const { ticket, CSRFPreventionToken } = login.json!.data as { ticket: string; CSRFPreventionToken: string }
    expect(ticket).toMatch(/^PVE:root@pam:[0-9A-F]{8}::/)
    expect(CSRFPreventionToken).toMatch(/^[0-9A-F]{8}:[A-Za-z0-9+/]{43}$/)
    const cookie = { authorization: "", cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}` }
    expect(call(sim, "GET", "/version", { headers: cookie }).status).toBe(200)
    const noCsrf = call(sim, "POST", "/nodes/pve3/qemu/104/status/start", { headers: cookie })
    expect(noCsrf).toMatchObject({ status: 401, statusText: "Permission denied - invalid csrf token", body: "" })
    const withCsrf = { ...cookie, csrfpreventiontoken: CSRFPreventionToken }
    expect(call(sim, "POST", "/nodes/pve3/qemu/104/status/start", { headers: withCsrf }).status).toBe(200)
    now += 50_000
    const renewed = call(sim, "POST", "/access/ticket", {
      params: { username: "root@pam", password: ticket },
      headers: { authorization: "" }
    })
    expect(renewed.status).toBe(200)
    now += 20_000
    expect(call(sim, "GET", "/version", { headers: cookie }).statusText).toBe("Authentication failed!")
    const fresh = (renewed.json!.data as { ticket: string }).ticket
    const freshCookie = { authorization: "", cookie: `PVEAuthCookie=${encodeURIComponent(fresh)}` }
    expect(call(sim, "GET", "/version", { headers: freshCookie }).status).toBe(200)
    sim.faults.expireTickets()
    expect(call(sim, "GET", "/version", { headers: freshCookie }).status).toBe(401)
    // a login in the same millisecond as the expiry gives a ticket that works (clients re-login that fast)
    const again = call(sim, "POST", "/access/ticket", {
      params: { username: "root@pam", password: "simulator" },
      headers: { authorization: "" }
    })
    const next = (again.json!.data as { ticket: string }).ticket
    const nextCookie = { authorization: "", cookie: `PVEAuthCookie=${encodeURIComponent(next)}` }
    expect(call(sim, "GET", "/version", { headers: nextCookie }).status).toBe(200)
  })
})
