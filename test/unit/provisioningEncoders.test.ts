/** The encoders that turn typed arguments into PVE's own property strings, and the sizes they accept or refuse. */
import { describe, expect, it } from "@effect/vitest"
import {
  cdrom,
  cloudInitDrive,
  ctFeatures,
  ctNet,
  diskGiB,
  efiDisk,
  encodedSshKeys,
  ipConfig,
  memoryMiB,
  newVolume,
  tagList,
  vmNet
} from "../../src/proxmox/provisioning.js"

describe("sizes", () => {
  it("memory: MiB as a number, or a text with a unit", () => {
    expect(memoryMiB(2048)).toBe(2048)
    expect(memoryMiB("4G")).toBe(4096)
    expect(memoryMiB("4GiB")).toBe(4096)
    expect(memoryMiB("512M")).toBe(512)
    expect(memoryMiB("1.5G")).toBe(1536)
    expect(memoryMiB("1T")).toBe(1_048_576)
    expect(memoryMiB("768")).toBe(768)
  })

  it("memory: a fraction of a MiB or no size at all is a sentence saying what to give", () => {
    expect(memoryMiB(1.5)).toBe("memory 1.5 is not a whole number of MiB")
    expect(memoryMiB("lots")).toMatch(/is not a size: give MiB \(2048\) or a unit/)
    expect(memoryMiB("0.3M")).toMatch(/not a whole number of MiB/)
  })

  it("disk: GiB as a number, or a text with a unit (GiB when none)", () => {
    expect(diskGiB(32)).toBe(32)
    expect(diskGiB("32G")).toBe(32)
    expect(diskGiB("32")).toBe(32)
    expect(diskGiB("512M")).toBe(0.5)
    expect(diskGiB("1T")).toBe(1024)
    expect(diskGiB("0")).toMatch(/is not a size/)
    expect(diskGiB(-1)).toMatch(/is not a size/)
  })
})

describe("PVE encodings", () => {
  it("disks, CD-ROM, EFI vars and the cloud-init drive", () => {
    expect(newVolume("local-lvm", 32)).toBe("local-lvm:32")
    expect(cdrom("local:iso/x.iso")).toBe("local:iso/x.iso,media=cdrom")
    expect(efiDisk("local-lvm")).toBe("local-lvm:1,efitype=4m,pre-enrolled-keys=1")
    expect(cloudInitDrive("local-lvm")).toBe("local-lvm:cloudinit")
  })

  it("a VM network device: model, bridge, VLAN, firewall", () => {
    expect(vmNet({ model: "virtio", bridge: "vmbr0" })).toBe("virtio,bridge=vmbr0")
    expect(vmNet({ model: "virtio", bridge: "vmbr0", vlan: 10 })).toBe("virtio,bridge=vmbr0,tag=10")
    expect(vmNet({ model: "e1000", bridge: "vmbr1", vlan: 20, firewall: true })).toBe(
      "e1000,bridge=vmbr1,tag=20,firewall=1"
    )
  })

  it("ipconfig0: dhcp, an address with a gateway, PVE's own form; anything else says what to give", () => {
    expect(ipConfig("dhcp")).toEqual({ ok: "ip=dhcp" })
    expect(ipConfig({ ip: "10.0.0.5/24", gw: "10.0.0.1" })).toEqual({ ok: "ip=10.0.0.5/24,gw=10.0.0.1" })
    expect(ipConfig({ ip: "10.0.0.5/24" })).toEqual({ ok: "ip=10.0.0.5/24" })
    expect(ipConfig("ip=10.0.0.5/24,gw=10.0.0.1,ip6=auto")).toEqual({ ok: "ip=10.0.0.5/24,gw=10.0.0.1,ip6=auto" })
    expect(ipConfig({ ip: "10.0.0.5" })).toEqual({
      problem: 'ip "10.0.0.5" is not an IPv4 address with a prefix length, e.g. 10.0.0.5/24'
    })
    expect(ipConfig({ ip: "10.0.0.5/24", gw: "gateway" })).toEqual({
      problem: 'gw "gateway" is not an IPv4 address, e.g. 10.0.0.1'
    })
    expect(ipConfig("10.0.0.5/24")).toHaveProperty("problem")
  })

  it("sshkeys are URL-encoded as PVE's format urlencoded wants, one key per line", () => {
    const keys = ["ssh-ed25519 AAAA1 a@b", "ssh-rsa AAAA2+/= c@d"]
    const encoded = encodedSshKeys(keys)
    expect(encoded).toBe("ssh-ed25519%20AAAA1%20a%40b%0Assh-rsa%20AAAA2%2B%2F%3D%20c%40d")
    expect(encoded).toMatch(/^[-%a-zA-Z0-9_.!~*'()]*$/)
    expect(decodeURIComponent(encoded)).toBe(keys.join("\n"))
  })

  it("a container network device, features and tags", () => {
    expect(ctNet({ bridge: "vmbr0", ip: "dhcp" })).toBe("name=eth0,bridge=vmbr0,ip=dhcp")
    expect(ctNet({ bridge: "vmbr0", ip: "10.0.0.7/24", gw: "10.0.0.1", vlan: 20 })).toBe(
      "name=eth0,bridge=vmbr0,ip=10.0.0.7/24,gw=10.0.0.1,tag=20"
    )
    expect(ctFeatures({ nesting: true, keyctl: true })).toBe("nesting=1,keyctl=1")
    expect(ctFeatures({ nesting: true, fuse: false })).toBe("nesting=1,fuse=0")
    expect(ctFeatures({})).toBe("")
    expect(tagList(["web", "prod"])).toBe("web;prod")
  })
})
