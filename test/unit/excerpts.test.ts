/** Every place that echoes an input value in an error quotes it short, once, whatever its size. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { presentError } from "../../src/mcp/errorMessages.js"
import { toolStandardSchema } from "../../src/mcp/JsonSchema.js"
import { apiRequest } from "../../src/proxmox/api.js"
import { excerpt } from "../../src/proxmox/excerpt.js"
import { validateSegment } from "../../src/proxmox/Path.js"
import { interpretResponse } from "../../src/proxmox/ProxmoxClientLive.js"
import { allTools } from "../../src/tools/index.js"

const big = "B".repeat(100_000)

describe("excerpt", () => {
  it.each([
    ["pve1", '"pve1"'],
    [big, `"${"B".repeat(80)}"… (100000 characters)`],
    [42, "42"],
    [["a", 1], '["a",1]'],
    [[big, big], "an array of 2 items"],
    [{ a: big, b: 1 }, "an object with 2 keys"],
    [undefined, "undefined"]
  ] as const)("quotes %# short", (value, shown) => {
    expect(excerpt(value)).toBe(shown)
  })
})

describe("errors that echo a bad value", () => {
  it.each([
    ["pve_list_guests", 0, 500],
    ["pve_list_tasks", 5000, 200],
    ["pve_list_backups", 201, 200]
  ] as const)("%s: a page size out of range is refused with the range, not the description", (name, limit, max) => {
    const input = toolStandardSchema(allTools.find((t) => t.name === name)!, "input")
    const refused = input["~standard"].validate({ limit }) as { issues?: ReadonlyArray<{ message: string }> }
    expect(refused.issues?.map((i) => i.message)).toEqual([`expected a whole number from 1 to ${max}, actual ${limit}`])
  })

  it.each([
    [
      "pve_cluster_resources",
      { tag: "t".repeat(129) },
      "tag",
      `Expected maxLength(128), actual "${"t".repeat(80)}"… (129 characters)`
    ],
    ["pve_guest_shutdown", { vmid: 100, timeout: 7200 }, "timeout", "Expected Int & between(1, 3600), actual 7200"],
    [
      "pve_list_tasks",
      { user: "a user" },
      "user",
      'Expected a string matching the pattern ^[^\\s:]{1,64}$, actual "a user"'
    ],
    [
      "pve_vm_create",
      { node: "pve1", cloudInit: true },
      "cloudInit",
      "Expected an object with the keys user, password, sshKeys, ipconfig0, nameserver, searchdomain, storage, actual true"
    ]
  ] as const)(
    "%s: a refused argument is told what was wrong, not the field's description",
    (name, args, field, message) => {
      const input = toolStandardSchema(allTools.find((t) => t.name === name)!, "input")
      const refused = input["~standard"].validate(args) as {
        issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }>
      }
      expect(refused.issues?.filter((i) => i.path?.[0] === field).map((i) => i.message)).toEqual([message])
    }
  )

  it("a bad optional argument is told what it should be, not that it could be left out", () => {
    const input = toolStandardSchema(allTools.find((t) => t.name === "pve_guest_status")!, "input")
    const refused = input["~standard"].validate({ vmid: 100, node: "pve1/../pve2" }) as {
      issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }>
    }
    expect(refused.issues).toEqual([
      {
        message: 'expected a node name (letters, digits and inner hyphens, e.g. pve1), actual "pve1/../pve2"',
        path: ["node"]
      }
    ])
    const wrongType = input["~standard"].validate({ vmid: "100" }) as { issues?: ReadonlyArray<{ message: string }> }
    expect(wrongType.issues?.map((i) => i.message)).toEqual(['Expected number, actual "100"'])
  })

  it.each([big, [big], { node: big }])("validateSegment quotes a huge value briefly (%#)", (value) => {
    const error = Effect.runSync(Effect.flip(validateSegment("node", value)))
    expect(error.message.length).toBeLessThan(200)
    expect(error.message).toMatch(
      /^node ("B{80}"… \(100000 characters\)|an array of 1 items|an object with 1 keys) is not valid/
    )
  })

  it("the generic API tools quote a refused path value briefly", async () => {
    const path = `/nodes/${"n".repeat(200)}/status`
    const error = await Effect.runPromise(Effect.flip(apiRequest("GET", path)))
    expect(error.message).toContain(`"${"n".repeat(80)}"… (200 characters)`)
    expect(error.message.length).toBeLessThan(300)
  })

  it("the generic API tools list PVE's per-parameter problems cut short, at most ten of them", async () => {
    const long = "7x".repeat(30_000)
    const params = Object.fromEntries(
      [
        "limit",
        "start",
        "since",
        "until",
        "errors",
        "vmid",
        "typefilter",
        "statusfilter",
        "userfilter",
        "source",
        "zz1",
        "zz2",
        "zz3",
        "zz4"
      ].map((name) => [name, long])
    )
    const error = await Effect.runPromise(Effect.flip(apiRequest("GET", "/nodes/pve1/tasks", params)))
    expect(error._tag).toBe("InvalidInput")
    expect(error.message).toMatch(/got '(7x){40}[7x]*… \(600\d\d characters\)/)
    expect(error.message).toMatch(/; and 2 more$/)
    expect(error.message.length).toBeLessThan(10 * 300)
  })

  it("a PVE 400 that quotes huge values becomes a short PveParamError and tool text", () => {
    const errors = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`net${i}`, `value '${big}' is invalid`]))
    const body = JSON.stringify({ data: null, message: "Parameter verification failed.\n", errors })
    const error = Effect.runSync(Effect.flip(interpretResponse({ method: "POST", path: "/x" }, 400, body)))
    expect(error._tag).toBe("PveParamError")
    expect(JSON.stringify(error).length).toBeLessThan(2 * 21 * 300)
    const { text } = presentError(error, undefined)
    expect(text.length).toBeLessThan(21 * 300)
    expect(text).toContain("and 80 more parameters")
  })

  it("a PVE message of megabytes is cut to its first 2000 characters", () => {
    const body = JSON.stringify({ data: null, message: `command failed: ${big}` })
    const error = Effect.runSync(Effect.flip(interpretResponse({ method: "POST", path: "/x" }, 500, body)))
    expect(error.message.length).toBeLessThan(2100)
    expect(error.message).toMatch(/… \(100016 characters\)$/)
  })
})
