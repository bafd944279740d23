import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { formatUpid, parseUpid, Upid } from "../../src/proxmox/Upid.js"

const real = [
  "UPID:pve1:0020C066:042DF204:69C26EB0:vzdump::root@pam:",
  "UPID:pve1:0006D77B:00548A83:6A4E2CB0:qmclone:1000:mcp@pve!mcp:",
  "UPID:node1:000FF1FD:10F9374C:630D702C:vzdump:110:root@pam:",
  "UPID:big-uptime:000FF1FD:1A0F9374C:630D702C:qmstart:100:root@pam:"
]

describe("UPID", () => {
  it.each(real)("parses and formats %s back exactly", (text) => {
    const fields = parseUpid(text)
    expect(fields).toBeDefined()
    expect(formatUpid(fields!)).toBe(text)
    expect(Schema.encodeSync(Upid)(Schema.decodeSync(Upid)(text))).toBe(text)
  })

  it("reads the fields of a real vzdump UPID", () => {
    const u = parseUpid("UPID:pve1:0020C066:042DF204:69C26EB0:vzdump::root@pam:")!
    expect(u).toMatchObject({
      node: "pve1",
      pid: 0x20c066,
      pstart: 0x42df204,
      starttime: 0x69c26eb0,
      type: "vzdump",
      id: "",
      user: "root@pam"
    })
  })

  it("keeps the token in the user field", () => {
    expect(parseUpid("UPID:pve1:0006D77B:00548A83:6A4E2CB0:qmclone:1000:mcp@pve!mcp:")?.user).toBe("mcp@pve!mcp")
  })

  it("formats hex fields as upper case, zero padded to 8", () => {
    const text = formatUpid({
      node: "n1",
      pid: 10,
      pstart: 255,
      starttime: 1,
      type: "qmstart",
      id: "100",
      user: "root@pam"
    } as never)
    expect(text).toBe("UPID:n1:0000000A:000000FF:00000001:qmstart:100:root@pam:")
  })

  it.each([
    "UPID:pve1:0020C066:042DF204:69C26EB0:vzdump::root@pam",
    "UPID:pve/1:0020C066:042DF204:69C26EB0:vzdump::root@pam:",
    "UPID:pve1:20C066:042DF204:69C26EB0:vzdump::root@pam:",
    "UPID:pve1:0020C066:042DF204:69C26EB0:vz dump::root@pam:",
    "UPID:-pve1:0020C066:042DF204:69C26EB0:vzdump::root@pam:",
    "XUPID:pve1:0020C066:042DF204:69C26EB0:vzdump::root@pam:",
    ""
  ])("refuses %j", (text) => {
    expect(parseUpid(text)).toBeUndefined()
  })
})
