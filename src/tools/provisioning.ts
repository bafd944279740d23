/**
 * New guests and moving them: create a VM (from an ISO, with cloud-init and UEFI) or a container (from a template),
 * clone, migrate. Each plan reads first (next free vmid, storages, ISOs and templates, bridges, migration
 * preconditions), translates the typed arguments into PVE's encodings, checks them against the real schema, and
 * returns the writes: the create, clone or migrate task, then the start task when asked.
 */
import type { FastCheck } from "effect"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { clusterResourcesEndpoint, nextVmidEndpoint } from "../proxmox/cluster.js"
import { call } from "../proxmox/Endpoint.js"
import { InvalidInput, PveNotFound } from "../proxmox/errors.js"
import {
  type GuestRef,
  GuestType,
  getGuestStatus,
  guestStatusEndpoints,
  listGuests,
  powerEndpoints
} from "../proxmox/guests.js"
import { networkListEndpoint } from "../proxmox/network.js"
import { nodesEndpoint } from "../proxmox/nodes.js"
import type { StepDone } from "../proxmox/Plan.js"
import { plan } from "../proxmox/Plan.js"
import type { Params } from "../proxmox/ProxmoxClient.js"
import {
  cdrom,
  checkBridge,
  checkedStep,
  chooseVmid,
  cloneEndpoints,
  cloudInitDrive,
  createCtEndpoint,
  createVmEndpoint,
  ctFeatures,
  ctNet,
  diskGiB,
  efiDisk,
  encodedSshKeys,
  findVolume,
  guestLabel,
  ipConfig,
  memoryMiB,
  migrateEndpoints,
  migratePreconditionEndpoint,
  newVolume,
  storageFor,
  storagesOn,
  tagList,
  vmNet,
  withoutSecrets
} from "../proxmox/provisioning.js"
import { nodeStorageEndpoint, storageContentEndpoint } from "../proxmox/storage.js"
import { type AnyTool, writeTool } from "../proxmox/Tool.js"
import { GuestNode, Node, Vmid } from "./fields.js"

// ---------------------------------------------------------------------------------------------------------------
// Shared arguments

// The JSON Schema a model reads is kept to type and description (every tool's schema counts against the size of
// tools/list); the Schema itself still checks ranges and patterns, and says so in its errors.
const shown = (type: string, description: string) => ({
  jsonSchema: description === "" ? { type } : { type, description }
})

/** Values the simulated cluster has, for property tests: random text would almost never name a storage or an ISO. */
type Sample<A> = (fc: typeof FastCheck) => FastCheck.Arbitrary<A>
const drawn = <A>(sample: Sample<A> | undefined) => (sample === undefined ? {} : { arbitrary: () => sample })
const oneOf =
  <A>(...values: ReadonlyArray<A>): Sample<A> =>
  (fc) =>
    fc.constantFrom(...values)

/** A string of at most `max` characters. */
const Text = (max: number, description: string, sample?: Sample<string>) =>
  Schema.String.pipe(Schema.maxLength(max)).annotations({ ...shown("string", description), ...drawn(sample) })

/** A string matching `pattern`. */
const Word = (pattern: RegExp, description: string, sample?: Sample<string>) =>
  Schema.String.pipe(Schema.pattern(pattern)).annotations({ ...shown("string", description), ...drawn(sample) })

const NewVmid = Vmid.annotations(shown("integer", "Id of the new guest; default: the next free one"))
const SizeInput = (description: string, sample: Sample<string | number>) =>
  Schema.Union(Schema.Number.pipe(Schema.positive()), Schema.String.pipe(Schema.maxLength(16))).annotations({
    jsonSchema: { anyOf: [{ type: "number" }, { type: "string" }], description },
    arbitrary: () => sample
  })
const Memory = SizeInput('MiB (2048) or with a unit ("4G")', oneOf<string | number>(512, 1024, "2G", "1.5G", 0.5))
const Cores = Schema.Int.pipe(Schema.between(1, 512)).annotations(shown("integer", "CPU cores"))
const Bridge = Word(/^[-_.\w]{1,20}$/, "Bridge, default vmbr0", oneOf("vmbr0", "vmbr0", "vmbr9"))
const Vlan = Schema.Int.pipe(Schema.between(1, 4094)).annotations(shown("integer", "VLAN tag"))
const Storage = (description: string) =>
  Word(/^[a-z][a-z0-9\-_.]{0,62}[a-z0-9]$/i, description, oneOf("local-lvm", "local-lvm", "local", "nfs-shared"))
const Tags = Schema.Array(Word(/^[a-z0-9_][a-z0-9_\-+.]*$/i, "")).annotations({ description: "Tags" })
const Pool = Word(/^[A-Za-z0-9._-]{1,64}$/, "Pool to add it to", oneOf("lab", "production", "nopool"))
const Start = Schema.Boolean.annotations({ description: "Start it afterwards" })
// the value is never echoed: an error names the rule only
const Password = (minimum: number) =>
  Schema.String.pipe(
    Schema.filter((s) => s.length >= minimum && s.length <= 256, {
      message: () => `the password must be ${minimum} to 256 characters (not shown)`,
      arbitrary: () => (fc) => fc.string({ minLength: minimum, maxLength: 32 })
    })
  ).annotations(shown("string", "Never shown back"))
// fast-check's generator for the pattern's \S+ runs for minutes: property tests draw keys of this shape instead
const SshKey = Word(/^(ssh|ecdsa|sk)-\S+ \S+/, "").annotations({
  arbitrary: () => (fc) =>
    fc
      .tuple(
        fc.constantFrom("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"),
        fc.base64String({ minLength: 4, maxLength: 64 })
      )
      .map(([kind, key]) => `${kind} ${key}`)
})
const SshKeys = Schema.Array(SshKey).annotations({
  description: "Public SSH keys"
})

const MAX_MIB = 4 * 1024 * 1024

const fail = (field: string, message: string) => Effect.fail(new InvalidInput({ field, message }))

/** An encoder's value, or its sentence (what to fix) as the refusal of `field`. */
const parsedOr = <A>(value: A | string, field: string) =>
  typeof value === "string" ? fail(field, value) : Effect.succeed(value)

const GuestCreated = {
  vmid: Schema.Number,
  node: Schema.String,
  type: GuestType,
  upid: Schema.String,
  exitStatus: Schema.String,
  started: Schema.Boolean,
  statusAfter: Schema.String,
  /** what was sent, secrets left out */
  config: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean) })
}
const CreateResult = Schema.Struct(GuestCreated)
type CreateResult = typeof CreateResult.Type

/** The end of a create or clone plan: the first task's outcome, whether a start followed, the status after. */
const finishCreate =
  (guest: GuestRef, config: Record<string, string | number | boolean>) => (done: ReadonlyArray<StepDone>) =>
    Effect.map(getGuestStatus(guest), (status) => ({
      vmid: guest.vmid,
      node: guest.node,
      type: guest.type,
      upid: done[0]!.task!.upid,
      exitStatus: done[0]!.task!.exitStatus,
      started: done.length > 1,
      statusAfter: status.status,
      config
    }))

const renderCreated = (verb: string) => (r: CreateResult) =>
  [
    `${verb} ${guestLabel(r.type)} ${r.vmid} on ${r.node}: ${r.exitStatus}${r.started ? ", started" : ""}; now ${r.statusAfter}`,
    ...Object.entries(r.config)
      .filter(([k]) => k !== "vmid")
      .map(([k, v]) => `  ${k}: ${v}`)
  ].join("\n")

const startStep = (type: "qemu" | "lxc", node: string, vmid: number) =>
  checkedStep(powerEndpoints.start[type], { node, vmid }, {})

/** A create plan (VM or container): the create request, a start when asked, then the status and what was sent. */
const createPlan = (
  endpoint: typeof createVmEndpoint | typeof createCtEndpoint,
  guest: GuestRef,
  params: Params,
  start: boolean | undefined
) =>
  Effect.gen(function* () {
    const steps = [yield* checkedStep(endpoint, { node: guest.node }, params)]
    if (start) steps.push(yield* startStep(guest.type, guest.node, guest.vmid))
    return plan(steps, finishCreate(guest, withoutSecrets(params, endpoint.template)))
  })

// ---------------------------------------------------------------------------------------------------------------
// pve_vm_create

const OsType = Schema.Literal(
  "l26",
  "l24",
  "win11",
  "win10",
  "win8",
  "win7",
  "wvista",
  "w2k8",
  "w2k3",
  "w2k",
  "wxp",
  "solaris",
  "other"
).annotations({
  // 13 values: the description names the common ones, the Literal still checks (its error lists them all)
  jsonSchema: { type: "string", description: "l26 (Linux, default), win11, win10, other, …" }
})

const IpConfigInput = Schema.Union(
  Schema.Struct({ ip: Schema.String, gw: Schema.optional(Schema.String) }),
  Schema.String.pipe(Schema.maxLength(200))
).annotations({
  jsonSchema: {
    anyOf: [{ type: "string" }, { type: "object", properties: { ip: { type: "string" }, gw: { type: "string" } } }],
    description: '"dhcp", {ip: "10.0.0.5/24", gw: "10.0.0.1"} or "ip=…,gw=…"'
  }
})

const CloudInit = Schema.Struct({
  user: Schema.optional(Word(/^[a-z_][a-z0-9_.-]{0,31}$/i, "User name")),
  password: Schema.optionalWith(Password(1), { exact: true }),
  sshKeys: Schema.optional(SshKeys),
  ipconfig0: Schema.optional(IpConfigInput),
  nameserver: Schema.optional(Text(200, "DNS server")),
  searchdomain: Schema.optional(Text(200, "DNS search domain")),
  storage: Schema.optional(Storage("Default: the disk's"))
}).annotations({ description: "Adds a cloud-init drive" })

const VmCreateInput = Schema.Struct({
  node: Node,
  vmid: Schema.optional(NewVmid),
  name: Schema.optional(Text(128, "VM name (a DNS name)", oneOf("web-02", "db_03"))),
  cores: Schema.optional(Cores),
  sockets: Schema.optional(Schema.Int.pipe(Schema.between(1, 16)).annotations(shown("integer", "CPU sockets"))),
  memory: Schema.optional(Memory),
  diskSize: Schema.optional(SizeInput('GiB (32) or "32G"; default 32', oneOf<string | number>(8, "16G", "0"))),
  storage: Schema.optional(Storage("Default: the node's first for images")),
  iso: Schema.optional(
    Text(
      255,
      "Volume id (local:iso/x.iso) or file name",
      oneOf("debian-12.9.0-amd64-netinst.iso", "nfs-shared:iso/ubuntu-24.04.1-live-server-amd64.iso", "none.iso")
    )
  ),
  bridge: Schema.optional(Bridge),
  vlan: Schema.optional(Vlan),
  netModel: Schema.optional(
    Schema.Literal("virtio", "e1000", "e1000e", "vmxnet3").annotations({ description: "Default virtio" })
  ),
  ostype: Schema.optional(OsType),
  scsihw: Schema.optional(
    Schema.Literal("virtio-scsi-single", "virtio-scsi-pci", "lsi", "megasas", "pvscsi").annotations({
      description: "Default virtio-scsi-single"
    })
  ),
  bios: Schema.optional(Schema.Literal("seabios", "ovmf").annotations({ description: "ovmf: UEFI, with an EFI disk" })),
  cloudInit: Schema.optional(CloudInit),
  pool: Schema.optional(Pool),
  tags: Schema.optional(Tags),
  start: Schema.optional(Start)
})
type VmCreateInput = typeof VmCreateInput.Type

const vmCreatePlan = (input: VmCreateInput) =>
  Effect.gen(function* () {
    const node = input.node
    const memory = input.memory === undefined ? 2048 : yield* parsedOr(memoryMiB(input.memory), "memory")
    if (memory < 16 || memory > MAX_MIB)
      return yield* fail("memory", `memory ${memory} MiB is not within 16 MiB to 4 TiB`)
    const size = yield* parsedOr(diskGiB(input.diskSize ?? 32), "diskSize")
    const vmid = yield* chooseVmid(input.vmid, "vmid")
    const storages = yield* storagesOn(node)
    const storage = yield* storageFor(storages, input.storage, "images", node, "storage")
    const bridge = input.bridge ?? "vmbr0"
    yield* checkBridge(node, bridge, "bridge")
    const iso = input.iso === undefined ? undefined : yield* findVolume(node, storages, input.iso, "iso", "iso")
    const ci = input.cloudInit
    const ciStorage =
      ci === undefined
        ? undefined
        : yield* storageFor(storages, ci.storage ?? storage, "images", node, "cloudInit.storage")
    const ipconfig = ci?.ipconfig0 === undefined ? undefined : ipConfig(ci.ipconfig0)
    if (ipconfig !== undefined && "problem" in ipconfig) return yield* fail("cloudInit.ipconfig0", ipconfig.problem)
    const params: Params = {
      vmid,
      name: input.name,
      cores: input.cores ?? 2,
      sockets: input.sockets,
      memory,
      ostype: input.ostype ?? "l26",
      scsihw: input.scsihw ?? "virtio-scsi-single",
      scsi0: newVolume(storage, size),
      ide2: iso === undefined ? undefined : cdrom(iso),
      boot: iso === undefined ? "order=scsi0;net0" : "order=scsi0;ide2;net0",
      net0: vmNet({ model: input.netModel ?? "virtio", bridge, vlan: input.vlan }),
      bios: input.bios,
      efidisk0: input.bios === "ovmf" ? efiDisk(storage) : undefined,
      machine: input.bios === "ovmf" ? "q35" : undefined,
      ide0: ciStorage === undefined ? undefined : cloudInitDrive(ciStorage),
      ciuser: ci?.user,
      cipassword: ci?.password,
      sshkeys: ci?.sshKeys === undefined ? undefined : encodedSshKeys(ci.sshKeys),
      ipconfig0: ipconfig?.ok,
      nameserver: ci?.nameserver,
      searchdomain: ci?.searchdomain,
      pool: input.pool,
      tags: input.tags === undefined ? undefined : tagList(input.tags)
    }
    return yield* createPlan(createVmEndpoint, { vmid, node, type: "qemu", name: input.name }, params, input.start)
  })

export const pveVmCreate = writeTool({
  name: "pve_vm_create",
  title: "Create a VM",
  description:
    "Creates a QEMU VM (disk, ISO, network, UEFI, cloud-init, pool, tags), optionally started; storages, ISO and bridge are checked first.",
  toolset: "provisioning",
  input: VmCreateInput,
  output: CreateResult,
  endpoints: [
    nextVmidEndpoint,
    nodeStorageEndpoint,
    storageContentEndpoint,
    networkListEndpoint,
    createVmEndpoint,
    powerEndpoints.start.qemu,
    guestStatusEndpoints.qemu
  ],
  plan: vmCreatePlan,
  render: renderCreated("created")
})

// ---------------------------------------------------------------------------------------------------------------
// pve_ct_create

const CtCreateInput = Schema.Struct({
  node: Node,
  template: Text(
    255,
    "Volume id (local:vztmpl/x.tar.zst) or file name",
    oneOf("debian-12-standard_12.7-1_amd64.tar.zst", "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst", "x")
  ),
  vmid: Schema.optional(NewVmid),
  hostname: Schema.optional(Text(128, "Host name (a DNS name)", oneOf("ct-02", "ct 03"))),
  cores: Schema.optional(Cores),
  memory: Schema.optional(Memory),
  swap: Schema.optional(
    Schema.Union(Schema.Number.pipe(Schema.nonNegative()), Schema.String.pipe(Schema.maxLength(16))).annotations({
      jsonSchema: { anyOf: [{ type: "number" }, { type: "string" }], description: "Like memory; default 512" },
      arbitrary: () => oneOf<string | number>(0, 512, "1G")
    })
  ),
  diskSize: Schema.optional(SizeInput('Root disk, GiB (8) or "8G"; default 8', oneOf<string | number>(4, "8G", -1))),
  storage: Schema.optional(Storage("Default: the node's first for rootdir")),
  bridge: Schema.optional(Bridge),
  vlan: Schema.optional(Vlan),
  ip: Schema.optional(Text(64, '"dhcp" (default) or 10.0.0.5/24', oneOf("dhcp", "10.0.0.5/24", "10.0.0.5"))),
  gw: Schema.optional(Text(64, "Gateway of a static ip", oneOf("10.0.0.1"))),
  password: Schema.optionalWith(Password(5), { exact: true }),
  sshKeys: Schema.optional(SshKeys),
  unprivileged: Schema.optional(Schema.Boolean.annotations({ description: "Default true" })),
  features: Schema.optional(
    Schema.Struct({
      nesting: Schema.optional(Schema.Boolean),
      keyctl: Schema.optional(Schema.Boolean),
      fuse: Schema.optional(Schema.Boolean)
    }).annotations({ description: "nesting defaults to true when unprivileged" })
  ),
  pool: Schema.optional(Pool),
  tags: Schema.optional(Tags),
  start: Schema.optional(Start)
})
type CtCreateInput = typeof CtCreateInput.Type

const ctCreatePlan = (input: CtCreateInput) =>
  Effect.gen(function* () {
    const node = input.node
    const memory = input.memory === undefined ? 512 : yield* parsedOr(memoryMiB(input.memory), "memory")
    if (memory < 16 || memory > MAX_MIB)
      return yield* fail("memory", `memory ${memory} MiB is not within 16 MiB to 4 TiB`)
    const swap = input.swap === undefined ? 512 : yield* parsedOr(memoryMiB(input.swap), "swap")
    const size = yield* parsedOr(diskGiB(input.diskSize ?? 8), "diskSize")
    const ip = input.ip ?? "dhcp"
    const address = ip === "dhcp" ? { ok: "ip=dhcp" } : ipConfig({ ip, gw: input.gw })
    if ("problem" in address) return yield* fail("ip", address.problem)
    if (ip === "dhcp" && input.gw !== undefined) return yield* fail("gw", "a gateway goes with a static ip, not dhcp")
    const vmid = yield* chooseVmid(input.vmid, "vmid")
    const storages = yield* storagesOn(node)
    const storage = yield* storageFor(storages, input.storage, "rootdir", node, "storage")
    const bridge = input.bridge ?? "vmbr0"
    yield* checkBridge(node, bridge, "bridge")
    const template = yield* findVolume(node, storages, input.template, "vztmpl", "template")
    const unprivileged = input.unprivileged ?? true
    const features = ctFeatures({ nesting: unprivileged ? true : undefined, ...input.features })
    const params: Params = {
      vmid,
      ostemplate: template,
      hostname: input.hostname,
      cores: input.cores ?? 1,
      memory,
      swap,
      rootfs: newVolume(storage, size),
      net0: ctNet({ bridge, ip: ip === "dhcp" ? "dhcp" : ip, gw: input.gw, vlan: input.vlan }),
      password: input.password,
      "ssh-public-keys": input.sshKeys === undefined ? undefined : input.sshKeys.join("\n"),
      unprivileged: unprivileged ? 1 : 0,
      features: features === "" ? undefined : features,
      pool: input.pool,
      tags: input.tags === undefined ? undefined : tagList(input.tags)
    }
    return yield* createPlan(createCtEndpoint, { vmid, node, type: "lxc", name: input.hostname }, params, input.start)
  })

export const pveCtCreate = writeTool({
  name: "pve_ct_create",
  title: "Create a container",
  description: "Creates an LXC container from an OS template (unprivileged by default), optionally started.",
  toolset: "provisioning",
  input: CtCreateInput,
  output: CreateResult,
  endpoints: [
    nextVmidEndpoint,
    nodeStorageEndpoint,
    storageContentEndpoint,
    networkListEndpoint,
    createCtEndpoint,
    powerEndpoints.start.lxc,
    guestStatusEndpoints.lxc
  ],
  plan: ctCreatePlan,
  render: renderCreated("created")
})

// ---------------------------------------------------------------------------------------------------------------
// pve_guest_clone

/** The guest of `vmid` from /cluster/resources, on `node` when given. */
const findGuest = (vmid: number, node: string | undefined) =>
  Effect.gen(function* () {
    const guests = yield* listGuests()
    const guest = guests.find((g) => g.vmid === vmid)
    if (guest === undefined)
      return yield* new PveNotFound({ message: `no VM or container with id ${vmid} in the cluster` })
    if (node !== undefined && guest.node !== node)
      return yield* fail("node", `${guestLabel(guest.type)} ${vmid} is on node ${guest.node}, not ${node}`)
    return { guest, guests }
  })

const CloneInput = Schema.Struct({
  vmid: Vmid.annotations(shown("integer", "Guest to clone")),
  node: Schema.optional(GuestNode),
  newid: Schema.optional(NewVmid),
  name: Schema.optional(Text(128, "Name (a container's hostname)", oneOf("clone-01", "clone 02"))),
  full: Schema.optional(
    Schema.Boolean.annotations({
      description: "false: linked (templates only, their default)"
    })
  ),
  target: Schema.optional(
    Node.annotations({
      ...shown("string", "Node of the clone; default the source's"),
      ...drawn(oneOf("pve1", "pve2", "pve9"))
    })
  ),
  storage: Schema.optional(Storage("Storage of a full clone's disks")),
  pool: Schema.optional(Pool),
  start: Schema.optional(Start)
})

export const pveGuestClone = writeTool({
  name: "pve_guest_clone",
  title: "Clone a VM or container",
  description:
    "Clones a guest, full or linked (from a template), under a new id, optionally to another node or storage.",
  toolset: "provisioning",
  input: CloneInput,
  output: CreateResult,
  endpoints: [
    clusterResourcesEndpoint,
    nextVmidEndpoint,
    nodesEndpoint,
    nodeStorageEndpoint,
    ...Object.values(cloneEndpoints),
    ...Object.values(powerEndpoints.start),
    guestStatusEndpoints.qemu,
    guestStatusEndpoints.lxc
  ],
  plan: (input) =>
    Effect.gen(function* () {
      const { guest: source, guests } = yield* findGuest(input.vmid, input.node)
      const label = `${guestLabel(source.type)} ${source.vmid}`
      const full = input.full ?? !source.template
      if (!full && !source.template)
        return yield* fail(
          "full",
          `${label} is not a template: a linked clone needs one. Clone it with full: true (a full copy), or convert it to a template first`
        )
      if (!full && input.storage !== undefined)
        return yield* fail(
          "storage",
          "storage applies to full clones only; a linked clone stays on the template's storage"
        )
      if (input.newid !== undefined) {
        const taken = guests.find((g) => g.vmid === input.newid)
        if (taken !== undefined)
          return yield* fail(
            "newid",
            `vmid ${input.newid} is taken by ${guestLabel(taken.type)} ${taken.vmid}${taken.name ? ` (${taken.name})` : ""} on ${taken.node}; choose a free one, or leave newid out for the next free id`
          )
      }
      const target = input.target ?? source.node
      if (target !== source.node) {
        const nodes = yield* call(nodesEndpoint, {})
        const found = nodes.find((n) => n.node === target)
        if (found === undefined)
          return yield* fail(
            "target",
            `no node ${target} in the cluster; nodes: ${nodes.map((n) => n.node).join(", ")}`
          )
        if (found.status !== "online") return yield* fail("target", `node ${target} is ${found.status}`)
      }
      if (input.storage !== undefined) {
        const storages = yield* storagesOn(target)
        yield* storageFor(storages, input.storage, source.type === "qemu" ? "images" : "rootdir", target, "storage")
      }
      const newid = input.newid ?? (yield* chooseVmid(undefined, "newid"))
      const params: Params = {
        newid,
        [source.type === "qemu" ? "name" : "hostname"]: input.name,
        full: full ? 1 : 0,
        target: target === source.node ? undefined : target,
        storage: input.storage,
        pool: input.pool
      }
      const endpoint = cloneEndpoints[source.type]
      const steps = [yield* checkedStep(endpoint, { node: source.node, vmid: source.vmid }, params)]
      if (input.start) steps.push(yield* startStep(source.type, target, newid))
      const clone: GuestRef = { vmid: newid, node: target, type: source.type, name: input.name }
      return plan(
        steps,
        finishCreate(clone, {
          source: source.vmid,
          mode: full ? "full" : "linked",
          ...withoutSecrets(params, endpoint.template)
        })
      )
    }),
  render: renderCreated("cloned into")
})

// ---------------------------------------------------------------------------------------------------------------
// pve_guest_migrate

const MigrateInput = Schema.Struct({
  vmid: Vmid,
  node: Schema.optional(GuestNode),
  target: Node.annotations({ ...shown("string", "Node to move it to"), ...drawn(oneOf("pve1", "pve2", "pve3")) }),
  online: Schema.optional(Schema.Boolean.annotations({ description: "VM: live; default for a running VM" })),
  withLocalDisks: Schema.optional(Schema.Boolean.annotations({ description: "VM: copy local disks (default if any)" })),
  restart: Schema.optional(Schema.Boolean.annotations({ description: "Container: stop, move, start (if running)" })),
  targetStorage: Schema.optional(Storage("Storage for the disks on the target"))
})

const MigrateResult = Schema.Struct({
  vmid: Schema.Number,
  type: GuestType,
  from: Schema.String,
  to: Schema.String,
  mode: Schema.Literal("online", "offline", "restart"),
  withLocalDisks: Schema.Boolean,
  upid: Schema.String,
  exitStatus: Schema.String,
  nodeAfter: Schema.String,
  statusAfter: Schema.String
})

export const pveGuestMigrate = writeTool({
  name: "pve_guest_migrate",
  title: "Migrate a VM or container",
  description:
    "Moves a guest to another node: a running VM live, a running container with restart, a stopped one offline.",
  toolset: "provisioning",
  input: MigrateInput,
  output: MigrateResult,
  endpoints: [
    clusterResourcesEndpoint,
    nodesEndpoint,
    migratePreconditionEndpoint,
    nodeStorageEndpoint,
    ...Object.values(migrateEndpoints),
    guestStatusEndpoints.qemu,
    guestStatusEndpoints.lxc
  ],
  plan: (input) =>
    Effect.gen(function* () {
      const { guest } = yield* findGuest(input.vmid, input.node)
      const label = `${guestLabel(guest.type)} ${guest.vmid}`
      const target = input.target
      if (target === guest.node)
        return yield* fail("target", `${label} is already on node ${target}; choose another target node`)
      const running = guest.status === "running"
      let withLocalDisks = false
      let mode: "online" | "offline" | "restart" = "offline"
      if (guest.type === "qemu") {
        if (input.restart !== undefined)
          return yield* fail("restart", "restart mode is for containers; a VM migrates online")
        const pre = yield* call(migratePreconditionEndpoint, { node: guest.node, vmid: guest.vmid }, { target })
        const refused = pre.not_allowed_nodes?.[target]
        if (refused !== undefined) {
          const why = [
            ...(refused.unavailable_storages ?? []).map((s) => `storage ${s} is not available there`),
            ...(refused.unavailable_resources ?? []).map((r) => `resource ${r} is not available there`)
          ]
          return yield* fail(
            "target",
            `${label} cannot migrate to ${target}: ${why.join("; ") || "PVE does not allow it"}`
          )
        }
        if (!(pre.allowed_nodes ?? []).includes(target)) {
          return yield* fail(
            "target",
            `${label} cannot migrate to ${target}: not a node it may go to (allowed: ${(pre.allowed_nodes ?? []).join(", ") || "none"})`
          )
        }
        if (pre.local_resources.length > 0)
          return yield* fail(
            "vmid",
            `${label} uses local resources (${pre.local_resources.join(", ")}) that keep it on ${guest.node}; remove them first`
          )
        const cdroms = pre.local_disks.filter((d) => d.cdrom === true)
        if (cdroms.length > 0)
          return yield* fail(
            "vmid",
            `${label} has a local ISO in its CD-ROM drive (${cdroms.map((d) => `${d.drivename ?? "?"}: ${d.volid}`).join(", ")}); eject it first (set the drive to none,media=cdrom)`
          )
        const disks = pre.local_disks.filter((d) => d.cdrom !== true)
        if (running) {
          if (input.online === false)
            return yield* fail(
              "online",
              `${label} is running: it migrates online only; shut it down first for an offline migration`
            )
          mode = "online"
          if (disks.length > 0 && input.withLocalDisks === false)
            return yield* fail(
              "withLocalDisks",
              `${label} is running with local disks (${disks.map((d) => d.volid).join(", ")}): an online migration must copy them (withLocalDisks: true), or shut it down first`
            )
          withLocalDisks = input.withLocalDisks ?? disks.length > 0
        } else withLocalDisks = input.withLocalDisks ?? false
      } else {
        if (input.online === true)
          return yield* fail(
            "online",
            "containers cannot migrate live; a running container migrates with restart: true"
          )
        if (input.withLocalDisks !== undefined)
          return yield* fail(
            "withLocalDisks",
            "withLocalDisks is for VMs; a container's local volumes are moved anyway"
          )
        if (running && input.restart !== true)
          return yield* fail(
            "restart",
            `${label} is running: a running container migrates only in restart mode (restart: true: it is shut down, moved and started again), or shut it down first`
          )
        mode = running ? "restart" : "offline"
      }
      if (input.targetStorage !== undefined) {
        const storages = yield* storagesOn(target)
        yield* storageFor(
          storages,
          input.targetStorage,
          guest.type === "qemu" ? "images" : "rootdir",
          target,
          "targetStorage"
        )
      }
      const params: Params =
        guest.type === "qemu"
          ? {
              target,
              online: mode === "online" ? 1 : undefined,
              "with-local-disks": withLocalDisks ? 1 : undefined,
              targetstorage: input.targetStorage
            }
          : { target, restart: mode === "restart" ? 1 : undefined, "target-storage": input.targetStorage }
      const step = yield* checkedStep(migrateEndpoints[guest.type], { node: guest.node, vmid: guest.vmid }, params)
      const moved: GuestRef = { vmid: guest.vmid, node: target, type: guest.type, name: guest.name }
      return plan([step], (done) =>
        Effect.map(getGuestStatus(moved), (status) => ({
          vmid: guest.vmid,
          type: guest.type,
          from: guest.node,
          to: target,
          mode,
          withLocalDisks,
          upid: done[0]!.task!.upid,
          exitStatus: done[0]!.task!.exitStatus,
          nodeAfter: target,
          statusAfter: status.status
        }))
      )
    }),
  render: (r) =>
    `migrated ${guestLabel(r.type)} ${r.vmid} from ${r.from} to ${r.to} (${r.mode}${r.withLocalDisks ? ", with local disks" : ""}): ${r.exitStatus}; now ${r.statusAfter} on ${r.nodeAfter}`
})

export const provisioningTools: ReadonlyArray<AnyTool> = [pveVmCreate, pveCtCreate, pveGuestClone, pveGuestMigrate]
