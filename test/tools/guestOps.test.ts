/**
 * The guest operations through the real MCP client, adapter, pipeline and client over the simulator: each tool's
 * success, and each refusal (decided before anything is sent, or by PVE itself) leaving the cluster unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { textOf } from "../support/mcpClient.js"
import { errorOf, writesSeen } from "../support/observed.js"

let server: InProcessServer

beforeEach(async () => {
  server = await inProcess("v2", { env: { PVE_READONLY: "false", PVE_CONFIRM: "param" } })
})
afterEach(async () => {
  await server.close()
})

const call = (name: string, args: Record<string, unknown>) => server.callTool(name, args)
/** A destructive call, confirmed by parameter with the echoed vmid. */
const confirmed = (name: string, args: Record<string, unknown> & { vmid: number }) =>
  server.callTool(name, { ...args, confirm: true, confirmVmid: args.vmid })

const ok = (result: Awaited<ReturnType<typeof call>>) => {
  expect(result.isError, textOf(result)).toBeFalsy()
  return result.structuredContent as Record<string, unknown>
}

describe("power: reboot, reset, suspend, resume", () => {
  it("reboots a running VM and a container, waiting for the task", async () => {
    const vm = ok(await confirmed("pve_guest_reboot", { vmid: 101, timeout: 60 }))
    expect(vm).toMatchObject({ action: "reboot", exitStatus: "OK", statusAfter: "running", type: "qemu" })
    const ct = ok(await confirmed("pve_guest_reboot", { vmid: 105 }))
    expect(ct).toMatchObject({ action: "reboot", exitStatus: "OK", type: "lxc" })
    expect(writesSeen(server.sim)).toEqual([
      "POST /nodes/pve1/qemu/101/status/reboot",
      "POST /nodes/pve1/lxc/105/status/reboot"
    ])
  })

  it("resets a VM; a container's reset is refused before anything is sent", async () => {
    const refused = await confirmed("pve_guest_reset", { vmid: 105 })
    expect(refused.isError).toBe(true)
    expect(textOf(refused)).toMatch(/105 is a container: reset exists only for VMs; use pve_guest_reboot/)
    expect(errorOf(refused)).toMatchObject({ _tag: "InvalidInput" })
    expect(writesSeen(server.sim)).toEqual([])
    const reset = ok(await confirmed("pve_guest_reset", { vmid: 101, node: "pve1" }))
    expect(reset).toMatchObject({ action: "reset", exitStatus: "OK", statusAfter: "running" })
    expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve1/qemu/101/status/reset"])
  })

  it("pauses and resumes a VM, hibernates one to disk, and refuses a container's hibernation", async () => {
    ok(await confirmed("pve_guest_suspend", { vmid: 100 }))
    expect(server.sim.model.guest(100).paused).toBe(true)
    ok(await call("pve_guest_resume", { vmid: 100 }))
    expect(server.sim.model.guest(100).paused).toBe(false)

    const hibernated = ok(await confirmed("pve_guest_suspend", { vmid: 101, toDisk: true }))
    expect(hibernated.statusAfter).toBe("stopped")
    expect(server.sim.model.guest(101).config.lock).toBe("suspended")
    ok(await call("pve_guest_resume", { vmid: 101 }))
    expect(server.sim.model.guest(101).status).toBe("running")

    const ct = await confirmed("pve_guest_suspend", { vmid: 105, toDisk: true })
    expect(ct.isError).toBe(true)
    expect(textOf(ct)).toMatch(/hibernation to disk exists only for VMs/)
    expect(writesSeen(server.sim)).toEqual([
      "POST /nodes/pve1/qemu/100/status/suspend",
      "POST /nodes/pve1/qemu/100/status/resume",
      "POST /nodes/pve1/qemu/101/status/suspend",
      "POST /nodes/pve1/qemu/101/status/resume"
    ])
  })

  it("reset and reboot need confirmation: without it nothing is sent", async () => {
    const result = await call("pve_guest_reboot", { vmid: 101 })
    expect(result.isError).toBe(true)
    expect(writesSeen(server.sim)).toEqual([])
  })
})

describe("pve_guest_set_config", () => {
  it("applies a change with a fresh digest and reports what waits for a restart", async () => {
    const config = ok(await call("pve_guest_config", { vmid: 101 })).config as Record<string, unknown>
    const result = await call("pve_guest_set_config", {
      vmid: 101,
      set: { cores: 8, description: "primary database", onboot: false },
      delete: ["tags"],
      digest: config.digest
    })
    const r = ok(result)
    // 101 runs: cores waits for the next start, description and onboot apply at once, tags go at once
    expect(r.pending).toEqual([{ key: "cores", current: "4", pending: "8", delete: false }])
    expect(r.exitStatus).toBe("OK")
    expect(textOf(result)).toMatch(/pending until the next start or reboot: cores 4 → 8/)
    const guest = server.sim.model.guest(101)
    expect(guest.config).toMatchObject({ description: "primary database", onboot: 0, cores: 4 })
    expect(guest.config.tags).toBeUndefined()
    expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve1/qemu/101/config"])
  })

  it("sends the digest it read while planning when none is given; a container's change is synchronous", async () => {
    const r = ok(await call("pve_guest_set_config", { vmid: 107, set: { memory: 1024 } }))
    expect(r.digest).toMatch(/^[0-9a-f]{40}$/)
    expect(r.pending).toEqual([])
    expect(r.upid).toBeUndefined()
    expect(server.sim.model.guest(107).config.memory).toBe(1024)
    const sent = server.sim.requests.find((q) => q.method === "PUT")
    expect(sent?.path).toBe("/nodes/pve3/lxc/107/config")
  })

  it("a stale digest is refused by PVE and changes nothing", async () => {
    const stale = (ok(await call("pve_guest_config", { vmid: 104 })).config as Record<string, unknown>).digest
    ok(await call("pve_guest_set_config", { vmid: 104, set: { description: "changed meanwhile" } }))
    const before = { ...server.sim.model.guest(104).config }
    const result = await call("pve_guest_set_config", { vmid: 104, set: { cores: 2 }, digest: stale })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/detected modified configuration - file changed by other user\? Try again\./)
    expect(server.sim.model.guest(104).config).toEqual(before)
  })

  it("a container's stale digest is refused by PVE at once (its PUT is synchronous)", async () => {
    const stale = (ok(await call("pve_guest_config", { vmid: 107 })).config as Record<string, unknown>).digest
    ok(await call("pve_guest_set_config", { vmid: 107, set: { description: "changed meanwhile" } }))
    const result = await call("pve_guest_set_config", { vmid: 107, set: { cores: 2 }, digest: stale })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/HTTP 500: detected modified configuration/)
    expect(server.sim.model.guest(107).config.cores).toBe(1)
  })

  it("refuses to detach, destroy or resize disks, and control keys", async () => {
    const cases: ReadonlyArray<[Record<string, unknown>, RegExp]> = [
      [{ delete: ["scsi0"] }, /deleting scsi0 would detach the disk local-lvm:vm-100-disk-0/],
      [{ set: { scsi0: "local-lvm:vm-999-disk-0" } }, /would detach that disk/],
      [{ set: { scsi0: "local-lvm:vm-100-disk-0,iothread=1,size=64G" } }, /pve_guest_resize_disk/],
      [{ delete: ["unused0"] }, /destroys the detached volume/],
      [{ set: { skiplock: 1 } }, /skiplock is not a config key/],
      [{ set: { cores: 2 }, delete: ["cores"] }, /cores both set and deleted/],
      [{}, /nothing to change/]
    ]
    for (const [args, message] of cases) {
      const result = await call("pve_guest_set_config", { vmid: 100, ...args })
      expect(result.isError, JSON.stringify(args)).toBe(true)
      expect(textOf(result)).toMatch(message)
    }
    expect(writesSeen(server.sim)).toEqual([])
  })

  it("a key PVE does not know is refused by PVE's schema check, naming it", async () => {
    const result = await call("pve_guest_set_config", { vmid: 100, set: { nosuchkey: 1 } })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/nosuchkey: property is not defined in schema/)
    expect(server.sim.model.guest(100).config.nosuchkey).toBeUndefined()
  })

  it("adds a new disk and changes an existing disk's options", async () => {
    ok(
      await call("pve_guest_set_config", {
        vmid: 104,
        set: { scsi1: "local-lvm:4", scsi0: "local-lvm:vm-104-disk-0,iothread=1,discard=on,size=80G" }
      })
    )
    expect(String(server.sim.model.guest(104).config.scsi1)).toMatch(/^local-lvm:vm-104-disk-\d+,size=4G$/)
    expect(String(server.sim.model.guest(104).config.scsi0)).toContain("discard=on")
    // a running VM hot-plugs a new SCSI disk and NIC (hotplug defaults to network,disk,usb)
    const hot = ok(
      await call("pve_guest_set_config", {
        vmid: 100,
        set: { scsi1: "local-lvm:2", net1: "virtio,bridge=vmbr0,tag=20" }
      })
    )
    expect(hot.pending).toEqual([])
    expect(String(server.sim.model.guest(100).config.scsi1)).toMatch(/^local-lvm:vm-100-disk-1,size=2G$/)
  })

  it("never echoes a secret value back", async () => {
    const result = await call("pve_guest_set_config", { vmid: 101, set: { cipassword: "s3cret-pass-77" } })
    const r = ok(result)
    expect(JSON.stringify(r)).not.toContain("s3cret-pass-77")
    expect(textOf(result)).not.toContain("s3cret-pass-77")
    expect(r.set).toEqual([{ key: "cipassword", value: "[hidden]" }])
  })
})

describe("pve_guest_resize_disk", () => {
  it("grows a disk by a size and to a size", async () => {
    const by = await call("pve_guest_resize_disk", { vmid: 100, disk: "scsi0", size: "+8G" })
    expect(ok(by)).toMatchObject({ sizeBeforeBytes: 32 * 1024 ** 3, sizeAfterBytes: 40 * 1024 ** 3, changed: true })
    expect(textOf(by)).toMatch(/scsi0 \(local-lvm:vm-100-disk-0\) of VM 100 on pve1: 32 GiB → 40 GiB \(task OK\)/)
    const to = ok(await call("pve_guest_resize_disk", { vmid: 105, disk: "rootfs", size: "12G" }))
    expect(to).toMatchObject({ sizeAfterBytes: 12 * 1024 ** 3, exitStatus: "OK" })
    expect(String(server.sim.model.guest(105).config.rootfs)).toContain("size=12G")
    expect(writesSeen(server.sim)).toEqual(["PUT /nodes/pve1/qemu/100/resize", "PUT /nodes/pve1/lxc/105/resize"])
  })

  it("refuses a shrink, computed from the config, before anything is sent", async () => {
    const result = await call("pve_guest_resize_disk", { vmid: 100, disk: "scsi0", size: "20G" })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/scsi0 of VM 100 is 32 GiB; 20G would shrink it to 20 GiB, and disks can only grow/)
    expect(writesSeen(server.sim)).toEqual([])
    expect(String(server.sim.model.guest(100).config.scsi0)).toContain("size=32G")
  })

  it("an unknown disk is refused with the guest's disks listed; the same size sends nothing", async () => {
    const unknown = await call("pve_guest_resize_disk", { vmid: 100, disk: "virtio3", size: "+1G" })
    expect(textOf(unknown)).toMatch(/VM 100 has no disk virtio3; its disks: scsi0 \(32 GiB\)/)
    const cdrom = await call("pve_guest_resize_disk", { vmid: 100, disk: "ide2", size: "+1G" })
    expect(textOf(cdrom)).toMatch(/a CD\/DVD drive, not a disk, at ide2/)
    const same = await call("pve_guest_resize_disk", { vmid: 100, disk: "scsi0", size: "32G" })
    expect(ok(same).changed).toBe(false)
    expect(textOf(same)).toMatch(/already 32 GiB, nothing sent/)
    expect(writesSeen(server.sim)).toEqual([])
  })
})

describe("pve_guest_delete", () => {
  it("refuses a running guest without stop, and stops then deletes it with stop: true", async () => {
    const refused = await confirmed("pve_guest_delete", { vmid: 102 })
    expect(refused.isError).toBe(true)
    expect(textOf(refused)).toMatch(
      /VM 102 is running; shut it down first \(pve_guest_shutdown\), or call again with stop: true/
    )
    expect(writesSeen(server.sim)).toEqual([])

    const deleted = await confirmed("pve_guest_delete", { vmid: 102, stop: true })
    expect(ok(deleted)).toMatchObject({
      stoppedFirst: true,
      purge: true,
      destroyUnreferencedDisks: true,
      exitStatus: "OK"
    })
    expect(textOf(deleted)).toMatch(/VM 102 \(build-runner\) on pve2 deleted after a hard stop: OK/)
    expect(writesSeen(server.sim)).toEqual(["POST /nodes/pve2/qemu/102/status/stop", "DELETE /nodes/pve2/qemu/102"])
    expect(server.sim.model.guests.has(102)).toBe(false)
    const destroy = server.sim.requests.find((q) => q.method === "DELETE")
    expect(destroy?.params).toMatchObject({ purge: "1", "destroy-unreferenced-disks": "1" })
  })

  it("a dry run of deleting a running guest with stop shows both steps and sends nothing", async () => {
    const result = await call("pve_guest_delete", { vmid: 102, stop: true, dryRun: true })
    const requests = (ok(result).requests as Array<{ method: string; path: string; params?: unknown }>).map((r) => [
      r.method,
      r.path,
      r.params
    ])
    expect(requests).toEqual([
      ["POST", "/nodes/pve2/qemu/102/status/stop", {}],
      ["DELETE", "/nodes/pve2/qemu/102", { purge: true, "destroy-unreferenced-disks": true }]
    ])
    expect(writesSeen(server.sim)).toEqual([])
    expect(server.sim.model.guest(102).status).toBe("running")
  })

  it("deletes a stopped container and a template; purge removes it from backup jobs", async () => {
    ok(await confirmed("pve_guest_delete", { vmid: 9000, purge: false, destroyUnreferencedDisks: false }))
    expect(server.sim.model.guests.has(9000)).toBe(false)
    await confirmed("pve_guest_stop", { vmid: 105 })
    ok(await confirmed("pve_guest_delete", { vmid: 105, node: "pve1" }))
    expect(server.sim.model.guests.has(105)).toBe(false)
    expect(server.sim.model.backupJobs.get("backup-7a1c2e3f-01")?.vmid).toBe("100,101")
  })

  it("purge also removes the guest's replication jobs and HA rules", async () => {
    ok(await confirmed("pve_guest_delete", { vmid: 100, stop: true }))
    expect([...server.sim.model.replicationJobs.keys()]).not.toContain("100-0")
    expect(server.sim.model.haRules.has("web-on-pve1")).toBe(false)
    expect(server.sim.model.haRules.get("web-with-db")?.resources).toBe("vm:101")
  })

  it("a protected guest is refused by PVE, and the answer says which step failed", async () => {
    server.sim.model.guest(104).config.protection = 1
    const result = await confirmed("pve_guest_delete", { vmid: 104 })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/can't remove VM 104 - protection mode enabled/)
    expect(server.sim.model.guests.has(104)).toBe(true)
  })
})

describe("pve_guest_convert_to_template", () => {
  it("converts a stopped VM (a task) and a stopped container (synchronous)", async () => {
    const vm = await confirmed("pve_guest_convert_to_template", { vmid: 108 })
    expect(ok(vm)).toMatchObject({ exitStatus: "OK", type: "qemu" })
    expect(textOf(vm)).toMatch(/VM 108 \(old-monitoring\) on pve3 is now a template/)
    expect(server.sim.model.guest(108).config.template).toBe(1)
    const ct = ok(await confirmed("pve_guest_convert_to_template", { vmid: 107, node: "pve3" }))
    expect(ct.upid).toBeUndefined()
    expect(server.sim.model.guest(107).config.template).toBe(1)
  })

  it("refuses a running guest and a template before anything is sent", async () => {
    const running = await confirmed("pve_guest_convert_to_template", { vmid: 100 })
    expect(running.isError).toBe(true)
    expect(textOf(running)).toMatch(/VM 100 is running; a running guest cannot become a template/)
    const template = await confirmed("pve_guest_convert_to_template", { vmid: 9000 })
    expect(textOf(template)).toMatch(/VM 9000 is already a template/)
    expect(writesSeen(server.sim)).toEqual([])
  })
})

describe("pve_guest_network", () => {
  it("lists a VM's addresses from its guest agent, without loopback unless asked", async () => {
    const result = await call("pve_guest_network", { vmid: 100 })
    const r = ok(result)
    expect(r.source).toBe("qemu-guest-agent")
    const interfaces = r.interfaces as Array<{ name: string; mac: string; ipv4: string[]; ipv6: string[] }>
    expect(interfaces.map((i) => i.name)).toEqual(["ens18"])
    expect(interfaces[0]!.ipv4).toEqual(["10.20.0.102/24"])
    expect(interfaces[0]!.ipv6).toContain("fd00:20::64/64")
    const mac = /virtio=([0-9A-F:]{17})/i.exec(String(server.sim.model.guest(100).config.net0))![1]!.toLowerCase()
    expect(interfaces[0]!.mac).toBe(mac)
    expect(textOf(result)).toMatch(
      /VM 100 \(web-01\) on pve1, from the QEMU guest agent:\n {2}ens18 [0-9a-f:]{17}: 10\.20\.0\.102\/24; fd00:20::64\/64/
    )
    const withLo = ok(await call("pve_guest_network", { vmid: 100, includeLoopback: true }))
    expect((withLo.interfaces as Array<{ name: string }>).map((i) => i.name)).toEqual(["lo", "ens18"])
  })

  it("lists a container's addresses from PVE; a stopped guest has none", async () => {
    const ct = ok(await call("pve_guest_network", { vmid: 105, node: "pve1" }))
    expect(ct).toMatchObject({ source: "lxc", running: true })
    expect(ct.interfaces).toEqual([
      expect.objectContaining({ name: "eth0", ipv4: ["10.20.0.107/24"], ipv6: ["fd00:20::69/64"] })
    ])
    const stopped = await call("pve_guest_network", { vmid: 104 })
    expect(ok(stopped)).toMatchObject({ running: false, interfaces: [] })
    expect(textOf(stopped)).toMatch(/VM 104 \(win-test\) on pve3 is not running: no addresses/)
    const stoppedCt = ok(await call("pve_guest_network", { vmid: 107 }))
    expect(stoppedCt).toMatchObject({ running: false, interfaces: [] })
  })

  it("says what to do when the agent is not configured", async () => {
    const result = await call("pve_guest_network", { vmid: 102 })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(
      /VM 102 has no QEMU guest agent configured \(PVE: "No QEMU guest agent configured"\): set agent to 1 with pve_guest_set_config/
    )
  })

  it("says what to do when the agent does not answer", async () => {
    await confirmed("pve_guest_suspend", { vmid: 100 })
    const result = await call("pve_guest_network", { vmid: 100 })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(
      /the QEMU guest agent of VM 100 does not answer \(PVE: "QEMU guest agent is not running"\): the guest may still be booting or paused/
    )
  })
})

describe("pve_next_vmid", () => {
  it("names the next free id, and whether a wanted one is free", async () => {
    expect(ok(await call("pve_next_vmid", {}))).toEqual({ nextFree: 109 })
    const taken = await call("pve_next_vmid", { vmid: 101 })
    expect(ok(taken)).toEqual({ nextFree: 109, requested: 101, requestedFree: false })
    expect(textOf(taken)).toBe("101 is taken; the next free id is 109")
    expect(ok(await call("pve_next_vmid", { vmid: 9150 }))).toEqual({
      nextFree: 109,
      requested: 9150,
      requestedFree: true
    })
  })
})
