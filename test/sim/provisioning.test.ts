/**
 * The simulator's create, clone and migrate as real PVE answers them: its texts (check_vmid_unused behind
 * "unable to create VM", linked clones, restart mode, local devices and ISOs), the locks while the task runs,
 * the drives it allocates, and the migration precondition's shape.
 */
import { describe, expect, it } from "@effect/vitest"
import { call, simulator, steppedClock } from "../support/rawSimulator.js"

const setup = () => {
  const clock = steppedClock()
  return { clock, sim: simulator({ now: clock.now, taskDurationMs: 1000 }) }
}

describe("create", () => {
  it("refuses a taken vmid with PVE's text, wherever the guest is", () => {
    const { sim } = setup()
    const answer = call(sim, "POST", "/nodes/pve2/qemu", { params: { vmid: 100, memory: 512 } })
    expect(answer.status).toBe(500)
    expect(answer.json?.message).toBe("unable to create VM 100 - VM 100 already exists on node 'pve1'\n")
    const ct = call(sim, "POST", "/nodes/pve2/lxc", {
      params: { vmid: 105, ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" }
    })
    expect(ct.json?.message).toBe("CT 105 already exists on node 'pve1'\n")
  })

  it("allocates the EFI vars and cloud-init drives and locks the VM while the task runs", () => {
    const { sim, clock } = setup()
    const answer = call(sim, "POST", "/nodes/pve1/qemu", {
      params: {
        vmid: 9290,
        scsi0: "local-lvm:16",
        efidisk0: "local-lvm:1,efitype=4m,pre-enrolled-keys=1",
        ide0: "local-lvm:cloudinit",
        bios: "ovmf"
      }
    })
    expect(answer.status).toBe(200)
    const config = () => call(sim, "GET", "/nodes/pve1/qemu/9290/config").json?.data as Record<string, unknown>
    expect(config().lock).toBe("create")
    clock.advance(2000)
    call(sim, "GET", "/version")
    expect(config()).toMatchObject({
      scsi0: "local-lvm:vm-9290-disk-0,size=16G",
      efidisk0: "local-lvm:vm-9290-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M",
      ide0: "local-lvm:vm-9290-cloudinit,media=cdrom"
    })
    expect(config().lock).toBeUndefined()
  })

  it("refuses a disk on a storage without images content (check_storage_access)", () => {
    const { sim } = setup()
    const answer = call(sim, "POST", "/nodes/pve1/qemu", { params: { vmid: 9291, scsi0: "local:8" } })
    expect(answer.status).toBe(400)
    expect(answer.json?.errors).toEqual({ storage: "storage 'local' does not support vm images" })
  })
})

describe("clone", () => {
  it("refuses a linked clone of a VM that is not a template, and a storage for a linked clone", () => {
    const { sim } = setup()
    expect(call(sim, "POST", "/nodes/pve1/qemu/100/clone", { params: { newid: 9292, full: 0 } }).json?.message).toBe(
      "Linked clone feature is not supported for drive 'scsi0'\n"
    )
    const storage = call(sim, "POST", "/nodes/pve1/qemu/9000/clone", {
      params: { newid: 9292, full: 0, storage: "local-lvm" }
    })
    expect(storage.status).toBe(400)
    expect(storage.json?.errors).toEqual({ storage: "parameter 'storage' not allowed for linked clones" })
  })
})

describe("migrate", () => {
  it("refuses the node the guest is on, and a running container without restart mode", () => {
    const { sim } = setup()
    const local = call(sim, "POST", "/nodes/pve1/qemu/100/migrate", { params: { target: "pve1", online: 1 } })
    expect(local.status).toBe(400)
    expect(local.json?.errors).toEqual({ target: "target is local node." })
    expect(call(sim, "POST", "/nodes/pve1/lxc/105/migrate", { params: { target: "pve2" } }).json?.message).toBe(
      "running container can only be migrated in restart mode\n"
    )
    expect(
      call(sim, "POST", "/nodes/pve1/lxc/105/migrate", { params: { target: "pve2", online: 1 } }).json?.message
    ).toBe("lxc live migration is currently not implemented\n")
  })

  it("answers the precondition with local disks, local ISOs and local devices", () => {
    const { sim } = setup()
    const vm = sim.model.guests.get(100)!
    vm.config.ide2 = "local:iso/debian-12.9.0-amd64-netinst.iso,media=cdrom"
    vm.config.hostpci0 = "0000:01:00.0"
    const answer = call(sim, "GET", "/nodes/pve1/qemu/100/migrate", { params: { target: "pve2" } })
    expect(answer.status).toBe(200)
    expect(answer.json?.data).toMatchObject({
      running: true,
      allowed_nodes: ["pve2", "pve3"],
      local_resources: ["hostpci0"],
      local_disks: [
        { volid: "local-lvm:vm-100-disk-0", drivename: "scsi0", cdrom: 0 },
        { volid: "local:iso/debian-12.9.0-amd64-netinst.iso", drivename: "ide2", cdrom: 1 }
      ]
    })
  })

  it("locks the guest while the migration runs; a local device ends the task with PVE's error", () => {
    const { sim, clock } = setup()
    sim.model.guests.get(100)!.config.hostpci0 = "0000:01:00.0"
    const upid = call(sim, "POST", "/nodes/pve1/qemu/100/migrate", {
      params: { target: "pve2", online: 1, "with-local-disks": 1 }
    }).json?.data as string
    expect(sim.model.guests.get(100)!.config.lock).toBe("migrate")
    clock.advance(2000)
    const status = call(sim, "GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`).json?.data as {
      exitstatus: string
    }
    expect(status.exitstatus).toBe(
      "migration aborted (duration 00:00:01): can't migrate VM which uses local devices: hostpci0"
    )
    expect(sim.model.guests.get(100)!.config.lock).toBeUndefined()
    expect(sim.model.guests.get(100)!.node).toBe("pve1")
  })
})
