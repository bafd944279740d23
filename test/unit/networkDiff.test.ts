/** Which interfaces a `changes` diff touches, as `diff -u` prints it (three lines of context, several hunks). */
import { describe, expect, it } from "vitest"
import { pendingInterfaces } from "../../src/proxmox/network.js"

describe("pendingInterfaces", () => {
  it("names added, removed and changed stanzas, each change under the iface its hunk shows", () => {
    const diff = [
      "--- /etc/network/interfaces\t2026-11-30 10:00:00.000000000 +0000",
      "+++ /etc/network/interfaces.new\t2026-12-01 09:00:00.000000000 +0000",
      "@@ -8,9 +8,10 @@",
      " iface vmbr0 inet static",
      " \taddress 10.10.0.12/24",
      " \tgateway 10.10.0.1",
      "+\tbridge-vlan-aware yes",
      " \tbridge-ports eno1",
      "@@ -30,6 +31,4 @@",
      " \tbridge-fd 0",
      "-\tmtu 9000",
      "",
      "-auto bond0",
      "-iface bond0 inet manual",
      "@@ -40,2 +41,8 @@",
      "+auto vmbr91",
      "+iface vmbr91 inet static",
      "+\taddress 10.91.0.13/24",
      ""
    ].join("\n")
    // the mtu change's hunk shows no iface line: it names no interface
    expect(pendingInterfaces(diff)).toEqual(["vmbr0", "bond0", "vmbr91"])
  })

  it("is empty without a diff", () => {
    expect(pendingInterfaces(undefined)).toEqual([])
  })
})
