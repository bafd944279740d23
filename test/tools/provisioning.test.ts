/**
 * Creating, cloning and migrating guests through a real MCP client, the pipeline and the real client over the
 * simulator: the exact requests PVE receives (PVE's encodings made from typed arguments), and the refusals that
 * are answered before anything is sent.
 */
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { type InProcessServer, inProcess } from "../support/inProcess.js"
import { textOf } from "../support/mcpClient.js"
import { auditLinesIn, errorOf, writesSeen } from "../support/observed.js"

const CI_PASSWORD = "ci-secret-Pa55-7731"
const CT_PASSWORD = "ct-secret-Pa55-1177"
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk0 admin@laptop"

let server: InProcessServer

beforeEach(async () => {
  server = await inProcess("v2", { env: { PVE_READONLY: "false" }, sim: { taskDurationMs: 20 } })
})
afterEach(async () => {
  await server.close()
})

/** The body of every non-GET request the simulator saw, with its method and path. */
const writeRequests = () =>
  server.sim.requests
    .filter((r) => r.method !== "GET")
    .map((r) => ({ request: `${r.method} ${decodeURIComponent(r.path)}`, params: r.params }))

const refused = async (tool: string, args: Record<string, unknown>) => {
  const result = await server.callTool(tool, args)
  expect(result.isError, textOf(result)).toBe(true)
  expect(writesSeen(server.sim)).toEqual([])
  return textOf(result)
}

describe("pve_vm_create", () => {
  it("creates a UEFI VM from an ISO file name with cloud-init, then starts it", async () => {
    const result = await server.callTool("pve_vm_create", {
      node: "pve1",
      name: "web-new",
      cores: 2,
      memory: "4G",
      diskSize: "40G",
      storage: "local-lvm",
      iso: "debian-12.9.0-amd64-netinst.iso",
      vlan: 10,
      bios: "ovmf",
      cloudInit: {
        user: "admin",
        password: CI_PASSWORD,
        sshKeys: [KEY],
        ipconfig0: { ip: "10.0.0.5/24", gw: "10.0.0.1" },
        nameserver: "10.0.0.2",
        searchdomain: "lab.example"
      },
      pool: "lab",
      tags: ["web", "new"],
      start: true
    })
    expect(result.isError, textOf(result)).toBeFalsy()
    const vmid = (result.structuredContent as { vmid: number }).vmid
    expect(vmid).toBe(109)
    expect(writeRequests()).toEqual([
      {
        request: "POST /nodes/pve1/qemu",
        params: {
          vmid: "109",
          name: "web-new",
          cores: "2",
          memory: "4096",
          ostype: "l26",
          scsihw: "virtio-scsi-single",
          scsi0: "local-lvm:40",
          ide2: "local:iso/debian-12.9.0-amd64-netinst.iso,media=cdrom",
          boot: "order=scsi0;ide2;net0",
          net0: "virtio,bridge=vmbr0,tag=10",
          bios: "ovmf",
          efidisk0: "local-lvm:1,efitype=4m,pre-enrolled-keys=1",
          machine: "q35",
          ide0: "local-lvm:cloudinit",
          ciuser: "admin",
          cipassword: CI_PASSWORD,
          sshkeys: encodeURIComponent(KEY),
          ipconfig0: "ip=10.0.0.5/24,gw=10.0.0.1",
          nameserver: "10.0.0.2",
          searchdomain: "lab.example",
          pool: "lab",
          tags: "web;new"
        }
      },
      { request: "POST /nodes/pve1/qemu/109/status/start", params: {} }
    ])
    expect(result.structuredContent).toMatchObject({
      vmid: 109,
      node: "pve1",
      type: "qemu",
      exitStatus: "OK",
      started: true,
      statusAfter: "running"
    })
    const text = textOf(result)
    expect(text).toContain("created VM 109 on pve1: OK, started; now running")
    expect(text).toContain("efidisk0: local-lvm:1,efitype=4m,pre-enrolled-keys=1")
    // the cloud-init password was sent, and is nowhere in the answer or the audit
    expect(JSON.stringify(result)).not.toContain(CI_PASSWORD)
    expect(JSON.stringify(auditLinesIn(server.auditFile))).not.toContain(CI_PASSWORD)
    const config = (await server.callTool("pve_guest_config", { vmid: 109 })).structuredContent as {
      config: Record<string, unknown>
    }
    expect(config.config).toMatchObject({
      ide0: "local-lvm:vm-109-cloudinit,media=cdrom",
      efidisk0: "local-lvm:vm-109-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M",
      scsi0: "local-lvm:vm-109-disk-0,size=40G"
    })
  })

  it("dry-run shows the create with the cloud-init password redacted, and sends nothing", async () => {
    const result = await server.callTool("pve_vm_create", {
      node: "pve2",
      vmid: 9250,
      iso: "local:iso/debian-12.9.0-amd64-netinst.iso",
      cloudInit: { password: CI_PASSWORD, ipconfig0: "dhcp" },
      dryRun: true
    })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(JSON.stringify(result)).not.toContain(CI_PASSWORD)
    expect(textOf(result)).toMatch(/POST \/nodes\/pve2\/qemu with vmid=9250.*cipassword=\[redacted\]/)
    expect(textOf(result)).toContain('ipconfig0="ip=dhcp"')
    expect(writesSeen(server.sim)).toEqual([])
    expect(JSON.stringify(auditLinesIn(server.auditFile))).not.toContain(CI_PASSWORD)
  })

  it("refuses an ISO that is not on the node, listing the ones that are", async () => {
    const text = await refused("pve_vm_create", { node: "pve1", iso: "alpine-3.21.iso" })
    expect(text).toContain("no ISO image alpine-3.21.iso on node pve1; found:")
    expect(text).toContain("local:iso/debian-12.9.0-amd64-netinst.iso")
    expect(text).toContain("nfs-shared:iso/ubuntu-24.04.1-live-server-amd64.iso")
  })

  it("refuses an ISO file name found on two storages, listing both volume ids", async () => {
    const nfs = server.sim.model.storages.get("nfs-shared")!
    nfs.volumes.get("")!.set("nfs-shared:iso/debian-12.9.0-amd64-netinst.iso", {
      volid: "nfs-shared:iso/debian-12.9.0-amd64-netinst.iso",
      content: "iso",
      format: "iso",
      size: 661_651_456,
      ctime: 1_700_000_000
    })
    const text = await refused("pve_vm_create", { node: "pve1", iso: "debian-12.9.0-amd64-netinst.iso" })
    expect(text).toContain(
      "debian-12.9.0-amd64-netinst.iso is on several storages of node pve1: local:iso/debian-12.9.0-amd64-netinst.iso, nfs-shared:iso/debian-12.9.0-amd64-netinst.iso; give the volume id"
    )
  })

  it("refuses what the input Schema refuses: cores 0, an unknown ostype", async () => {
    expect(await refused("pve_vm_create", { node: "pve1", cores: 0 })).toMatch(/cores/)
    expect(await refused("pve_vm_create", { node: "pve1", ostype: "windows" })).toMatch(/ostype/)
  })

  it("refuses a value only PVE's schema refuses (a name that is no DNS name), with PVE's words", async () => {
    const text = await refused("pve_vm_create", { node: "pve1", name: "web_01 new" })
    expect(text).toContain("POST /nodes/{node}/qemu: name: invalid format - value does not look like a valid DNS name")
  })

  it("refuses a disk storage without images, an unknown bridge, a taken vmid", async () => {
    expect(await refused("pve_vm_create", { node: "pve1", storage: "local" })).toContain(
      "storage local on node pve1 does not hold images"
    )
    expect(await refused("pve_vm_create", { node: "pve1", bridge: "vmbr7" })).toContain(
      "bridge vmbr7 does not exist on node pve1; its bridges: vmbr0"
    )
    expect(await refused("pve_vm_create", { node: "pve1", vmid: 101 })).toContain("vmid 101 is taken")
  })
})

describe("pve_ct_create", () => {
  it("creates a container from a template file name, with a static address, and starts it", async () => {
    const result = await server.callTool("pve_ct_create", {
      node: "pve2",
      template: "ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
      vmid: 9210,
      hostname: "ct-new",
      memory: 1024,
      swap: "1G",
      diskSize: 12,
      ip: "10.0.0.7/24",
      gw: "10.0.0.1",
      vlan: 20,
      password: CT_PASSWORD,
      sshKeys: [KEY],
      features: { keyctl: true },
      tags: ["infra"],
      start: true
    })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(writeRequests()).toEqual([
      {
        request: "POST /nodes/pve2/lxc",
        params: {
          vmid: "9210",
          ostemplate: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
          hostname: "ct-new",
          cores: "1",
          memory: "1024",
          swap: "1024",
          rootfs: "local-lvm:12",
          net0: "name=eth0,bridge=vmbr0,ip=10.0.0.7/24,gw=10.0.0.1,tag=20",
          password: CT_PASSWORD,
          "ssh-public-keys": KEY,
          unprivileged: "1",
          features: "nesting=1,keyctl=1",
          tags: "infra"
        }
      },
      { request: "POST /nodes/pve2/lxc/9210/status/start", params: {} }
    ])
    expect(result.structuredContent).toMatchObject({ vmid: 9210, type: "lxc", started: true, statusAfter: "running" })
    expect(JSON.stringify(result)).not.toContain(CT_PASSWORD)
    expect(JSON.stringify(auditLinesIn(server.auditFile))).not.toContain(CT_PASSWORD)
  })

  it("refuses a template that is not found, listing the templates", async () => {
    const text = await refused("pve_ct_create", { node: "pve1", template: "alpine-3.21-default.tar.xz" })
    expect(text).toContain("no container template alpine-3.21-default.tar.xz on node pve1; found:")
    expect(text).toContain("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")
  })

  it("refuses a short password without showing it", async () => {
    const text = await refused("pve_ct_create", { node: "pve1", template: "x", password: "abc" })
    expect(text).toContain("password must be 5 to 256 characters")
    expect(text).not.toContain('"abc"')
  })
})

describe("pve_guest_clone", () => {
  it("makes a linked clone of a template by default, under the next free id", async () => {
    const result = await server.callTool("pve_guest_clone", { vmid: 9000, name: "from-tpl", pool: "lab" })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(writeRequests()).toEqual([
      {
        request: "POST /nodes/pve1/qemu/9000/clone",
        params: { newid: "109", name: "from-tpl", full: "0", pool: "lab" }
      }
    ])
    expect(result.structuredContent).toMatchObject({ vmid: 109, node: "pve1", exitStatus: "OK", started: false })
    expect((result.structuredContent as { config: Record<string, unknown> }).config).toMatchObject({ mode: "linked" })
  })

  it("makes a full clone of a VM on another node and storage, and starts it", async () => {
    const result = await server.callTool("pve_guest_clone", {
      vmid: 108,
      newid: 9220,
      target: "pve1",
      storage: "local-lvm",
      start: true
    })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(writeRequests()).toEqual([
      {
        request: "POST /nodes/pve3/qemu/108/clone",
        params: { newid: "9220", full: "1", target: "pve1", storage: "local-lvm" }
      },
      { request: "POST /nodes/pve1/qemu/9220/status/start", params: {} }
    ])
    expect(result.structuredContent).toMatchObject({ vmid: 9220, node: "pve1", started: true, statusAfter: "running" })
  })

  it("refuses a linked clone of a VM that is not a template, and says a full clone is needed", async () => {
    const text = await refused("pve_guest_clone", { vmid: 100, full: false })
    expect(text).toContain("VM 100 is not a template: a linked clone needs one. Clone it with full: true")
  })

  it("refuses a taken new id before sending anything", async () => {
    const text = await refused("pve_guest_clone", { vmid: 9000, newid: 105 })
    expect(text).toContain("vmid 105 is taken by CT 105 (dns-01) on pve1")
  })
})

describe("pve_guest_migrate", () => {
  it("migrates a running VM online, copying its local disks (learned from the precondition)", async () => {
    const result = await server.callTool("pve_guest_migrate", { vmid: 100, target: "pve2" })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(writeRequests()).toEqual([
      { request: "POST /nodes/pve1/qemu/100/migrate", params: { target: "pve2", online: "1", "with-local-disks": "1" } }
    ])
    expect(server.sim.requests.some((r) => r.method === "GET" && r.path === "/nodes/pve1/qemu/100/migrate")).toBe(true)
    expect(result.structuredContent).toMatchObject({
      vmid: 100,
      from: "pve1",
      to: "pve2",
      mode: "online",
      withLocalDisks: true,
      exitStatus: "OK",
      nodeAfter: "pve2",
      statusAfter: "running"
    })
    expect(textOf(result)).toContain(
      "migrated VM 100 from pve1 to pve2 (online, with local disks): OK; now running on pve2"
    )
  })

  it("refuses an online migration without local disks when the VM has some, with the reason", async () => {
    const text = await refused("pve_guest_migrate", { vmid: 100, target: "pve2", withLocalDisks: false })
    expect(text).toContain("VM 100 is running with local disks (local-lvm:vm-100-disk-0)")
  })

  it("migrates a running container in restart mode", async () => {
    const result = await server.callTool("pve_guest_migrate", { vmid: 106, target: "pve3", restart: true })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(writeRequests()).toEqual([
      { request: "POST /nodes/pve2/lxc/106/migrate", params: { target: "pve3", restart: "1" } }
    ])
    expect(result.structuredContent).toMatchObject({ mode: "restart", nodeAfter: "pve3", exitStatus: "OK" })
  })

  it("refuses a running container without restart mode", async () => {
    const text = await refused("pve_guest_migrate", { vmid: 106, target: "pve3" })
    expect(text).toContain("CT 106 is running: a running container migrates only in restart mode (restart: true")
  })

  it("refuses a migration to the node the guest is on", async () => {
    const text = await refused("pve_guest_migrate", { vmid: 101, target: "pve1" })
    expect(text).toContain("VM 101 is already on node pve1; choose another target node")
  })

  it("refuses a VM with a local ISO in its CD-ROM drive, naming it", async () => {
    const created = await server.callTool("pve_vm_create", {
      node: "pve3",
      vmid: 9230,
      iso: "debian-12.9.0-amd64-netinst.iso"
    })
    expect(created.isError, textOf(created)).toBeFalsy()
    const before = writesSeen(server.sim).length
    const result = await server.callTool("pve_guest_migrate", { vmid: 9230, target: "pve1" })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toContain("local ISO in its CD-ROM drive (ide2: local:iso/debian-12.9.0-amd64-netinst.iso)")
    expect(errorOf(result)).toBeDefined()
    expect(writesSeen(server.sim).length).toBe(before)
  })
})
