import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { getVersion, versionEndpoint } from "../proxmox/cluster.js"
import { InvalidInput, PveNotFound } from "../proxmox/errors.js"
import { listNodes, nodesEndpoint } from "../proxmox/nodes.js"
import { segmentFormats, validateSegment } from "../proxmox/Path.js"
import { plan, planStep } from "../proxmox/Plan.js"
import {
  aplinfoEndpoint,
  ChecksumAlgorithm,
  checksumLength,
  downloadUrlEndpoint,
  listAppliances,
  listNodeStorage,
  listStorageContent,
  type NodeStorage,
  nodeStorageEndpoint,
  storageContentEndpoint,
  versionAtLeast
} from "../proxmox/storage.js"
import { type AnyTool, readTool, writeTool } from "../proxmox/Tool.js"
import { Node, Vmid } from "./fields.js"
import { bytes, iso, percent, utc } from "./format.js"
import { pageArguments, pageLine, pageOf } from "./readableUnits.js"

/** A storage id argument, checked with the path's own segment format. */
const STORAGE_ID = "Storage id, e.g. local or nfs-shared"
const StorageId = Schema.String.pipe(
  Schema.filter((value) => segmentFormats.storage.check(value) || `expected ${segmentFormats.storage.describe}`, {
    // the jsonSchema annotation replaces the generated schema, so it carries the description itself
    jsonSchema: { ...segmentFormats.storage.jsonSchema, description: STORAGE_ID },
    description: STORAGE_ID
  })
)

const ContentType = Schema.Literal("images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import").annotations({
  description: "images: VM disks, rootdir: CT volumes, vztmpl: CT templates"
})

const StorageRow = Schema.Struct({
  storage: Schema.String,
  type: Schema.String,
  content: Schema.Array(Schema.String),
  shared: Schema.Boolean,
  enabled: Schema.Boolean,
  active: Schema.Boolean,
  nodes: Schema.Array(Schema.String).annotations({
    description: "the nodes it was read on (one entry for a shared storage)"
  }),
  total: Schema.optional(Schema.Number),
  used: Schema.optional(Schema.Number),
  available: Schema.optional(Schema.Number),
  usedPercent: Schema.optional(Schema.Number)
})
type StorageRow = typeof StorageRow.Type

const rowOf = (node: string, s: NodeStorage): StorageRow => ({
  storage: s.storage,
  type: s.type,
  content: s.content.split(",").filter((c) => c !== ""),
  shared: s.shared ?? false,
  enabled: s.enabled ?? true,
  active: s.active ?? false,
  nodes: [node],
  ...(s.total === undefined ? {} : { total: s.total }),
  ...(s.used === undefined ? {} : { used: s.used }),
  ...(s.avail === undefined ? {} : { available: s.avail }),
  ...(s.total ? { usedPercent: Number((((s.used ?? 0) / s.total) * 100).toFixed(1)) } : {})
})

export const pveListStorage = readTool({
  name: "pve_list_storage",
  title: "List storage",
  description: "Storages with type, content types, used/total and shared/enabled/active, on one node or cluster-wide.",
  toolset: "storage",
  input: Schema.Struct({
    node: Schema.optional(Node.annotations({ description: "Only this node (default: every online node)" })),
    content: Schema.optional(ContentType.annotations({ description: "Only storages holding this" }))
  }),
  output: Schema.Struct({ storages: Schema.Array(StorageRow), count: Schema.Number }),
  endpoints: [nodesEndpoint, nodeStorageEndpoint],
  handler: ({ node, content }) =>
    Effect.gen(function* () {
      const nodes =
        node === undefined
          ? (yield* listNodes)
              .filter((n) => n.status === "online")
              .map((n) => n.node)
              .sort()
          : [node]
      const rows: StorageRow[] = []
      const shared = new Map<string, StorageRow & { nodes: string[] }>()
      for (const name of nodes) {
        yield* validateSegment("node", name)
        for (const s of yield* listNodeStorage(name)) {
          const row = rowOf(name, s)
          if (content !== undefined && !row.content.includes(content)) continue
          if (!row.shared) {
            rows.push(row)
            continue
          }
          const seen = shared.get(row.storage)
          if (seen === undefined) {
            const first = { ...row, nodes: [name] }
            shared.set(row.storage, first)
            rows.push(first)
          } else seen.nodes.push(name)
        }
      }
      return { storages: rows, count: rows.length }
    }),
  render: ({ storages }) =>
    storages.length === 0
      ? "no storage matches"
      : storages
          .map(
            (s) =>
              `${s.storage} (${s.type}${s.shared ? ", shared" : ""}) on ${s.shared && s.nodes.length > 1 ? `${s.nodes.length} nodes` : s.nodes.join(", ")}: ${s.total === undefined ? "usage unknown" : `${bytes(s.used ?? 0)} of ${bytes(s.total)} used (${percent((s.used ?? 0) / (s.total || 1))}), ${bytes(s.available ?? 0)} free`}; ${s.content.join(",")}${s.enabled ? "" : ", DISABLED"}${s.active ? "" : ", NOT ACTIVE"}`
          )
          .join("\n")
})

const VolumeRow = Schema.Struct({
  volid: Schema.String,
  content: Schema.String,
  format: Schema.String,
  size: Schema.Number,
  created: Schema.optional(Schema.String),
  vmid: Schema.optional(Schema.Number),
  notes: Schema.optional(Schema.String),
  protected: Schema.optional(Schema.Boolean),
  verification: Schema.optional(Schema.String)
})

const CONTENT_PAGE = 100
const CONTENT_PAGE_MAX = 500

export const pveStorageContent = readTool({
  name: "pve_storage_content",
  title: "Storage content",
  description: "Volumes on a storage (ISOs, templates, disks, backups) with size, time, owner vmid and protection.",
  toolset: "storage",
  input: Schema.Struct({
    node: Node,
    storage: StorageId,
    content: Schema.optional(ContentType),
    vmid: Schema.optional(Vmid.annotations({ description: "Only volumes owned by this guest" })),
    ...pageArguments(CONTENT_PAGE, CONTENT_PAGE_MAX)
  }),
  output: Schema.Struct({
    node: Schema.String,
    storage: Schema.String,
    offset: Schema.Number,
    volumes: Schema.Array(VolumeRow),
    total: Schema.Number,
    nextCursor: Schema.optional(Schema.String)
  }),
  endpoints: [storageContentEndpoint],
  handler: ({ node, storage, content, vmid, limit, cursor }) =>
    Effect.gen(function* () {
      const volumes = yield* listStorageContent(node, storage, { content, vmid })
      const { page, total, offset, nextCursor } = pageOf(volumes, cursor, limit ?? CONTENT_PAGE)
      return {
        node,
        storage,
        offset,
        volumes: page.map((v) => ({
          volid: v.volid,
          content: v.content,
          format: v.format,
          size: v.size,
          ...(v.ctime === undefined ? {} : { created: iso(v.ctime) }),
          ...(v.vmid === undefined ? {} : { vmid: v.vmid }),
          ...(v.notes === undefined ? {} : { notes: v.notes }),
          ...(v.protected === undefined ? {} : { protected: v.protected }),
          ...(v.verification === undefined ? {} : { verification: v.verification.state })
        })),
        total,
        ...(nextCursor === undefined ? {} : { nextCursor })
      }
    }),
  render: ({ node, storage, offset, volumes, total, nextCursor }) =>
    [
      `${storage} on ${node}: ${pageLine("volumes", volumes.length, offset, total, nextCursor)}`,
      ...volumes.map(
        (v) =>
          `${v.volid} ${v.content} ${bytes(v.size)}${v.created ? ` ${utc(Date.parse(v.created) / 1000)}` : ""}${v.vmid === undefined ? "" : ` vmid ${v.vmid}`}${v.protected ? " protected" : ""}${v.notes ? ` "${v.notes}"` : ""}`
      )
    ].join("\n")
})

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,250}$/
const EXTENSIONS = { iso: /\.(iso|img)$/i, vztmpl: /\.tar\.(gz|xz|zst|bz2)$/ } as const

const DownloadInput = Schema.Struct({
  node: Node.annotations({ description: "Node that downloads (and, for a local storage, holds the file)" }),
  storage: StorageId.annotations({ description: "File-based storage that holds iso or vztmpl content, e.g. local" }),
  url: Schema.String.pipe(Schema.maxLength(2048)).annotations({ description: "http(s) URL of the file" }),
  filename: Schema.optional(
    Schema.String.annotations({
      description: "Default: the URL's last segment; .iso/.img or .tar.zst/.tar.xz/.tar.gz"
    })
  ),
  content: Schema.Literal("iso", "vztmpl").annotations({
    description: "vztmpl: container template"
  }),
  checksum: Schema.optional(Schema.String.annotations({ description: "Hex; needs checksumAlgorithm" })),
  checksumAlgorithm: Schema.optional(ChecksumAlgorithm.annotations({ description: "Algorithm of checksum" })),
  verifyCertificates: Schema.optional(
    Schema.Boolean.annotations({ description: "Check TLS certificate (default true)" })
  )
})
type DownloadInput = typeof DownloadInput.Type

const invalid = (field: string, message: string) => new InvalidInput({ field, message })

/** The download's checked parameters, or what to fix. */
const checkDownload = (input: DownloadInput) =>
  Effect.gen(function* () {
    let url: URL
    try {
      url = new URL(input.url)
    } catch {
      return yield* invalid("url", `"${input.url}" is not a URL; give an http:// or https:// address`)
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return yield* invalid("url", `only http and https URLs can be downloaded, not ${url.protocol}`)
    }
    // PVE prints the URL in the task log, and the audit line carries it: no credentials in it
    if (url.username !== "" || url.password !== "") {
      return yield* invalid("url", "the URL carries a user name or password: use a URL without credentials")
    }
    const filename = input.filename ?? decodeURIComponent(url.pathname.split("/").at(-1) ?? "")
    if (!FILE_NAME.test(filename) || filename.includes("..")) {
      return yield* invalid(
        "filename",
        `"${filename}" is not a plain file name (letters, digits, '.', '_', '+', '-'; no '/' or '..')`
      )
    }
    if (!EXTENSIONS[input.content].test(filename)) {
      return yield* invalid(
        "filename",
        input.content === "iso"
          ? `"${filename}": an ISO must end in .iso or .img`
          : `"${filename}": a container template must end in .tar.gz, .tar.xz, .tar.zst or .tar.bz2`
      )
    }
    if ((input.checksum === undefined) !== (input.checksumAlgorithm === undefined)) {
      return yield* invalid("checksum", "give both checksum and checksumAlgorithm, or neither")
    }
    if (input.checksum !== undefined && input.checksumAlgorithm !== undefined) {
      const length = checksumLength[input.checksumAlgorithm]
      if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(input.checksum)) {
        return yield* invalid("checksum", `a ${input.checksumAlgorithm} checksum is ${length} hex digits`)
      }
    }
    return { url: url.toString(), filename }
  })

export const pveStorageDownload = writeTool({
  name: "pve_storage_download",
  title: "Download an ISO or template",
  description:
    "Downloads an ISO or container template from an http(s) URL into a storage (PVE 7.2+); a checksum mismatch stores nothing.",
  toolset: "storage",
  input: DownloadInput,
  output: Schema.Struct({
    node: Schema.String,
    storage: Schema.String,
    volid: Schema.String,
    size: Schema.optional(Schema.Number),
    upid: Schema.String,
    exitStatus: Schema.String,
    checksumVerified: Schema.Boolean
  }),
  endpoints: [versionEndpoint, nodeStorageEndpoint, storageContentEndpoint, downloadUrlEndpoint],
  plan: (input) =>
    Effect.gen(function* () {
      const { url, filename } = yield* checkDownload(input)
      const version = yield* getVersion
      if (!versionAtLeast(version.version, 7, 2)) {
        return yield* invalid(
          "url",
          `downloading from a URL needs PVE 7.2 or later; this cluster runs ${version.version}: upload the file to the storage instead`
        )
      }
      yield* validateSegment("node", input.node)
      yield* validateSegment("storage", input.storage)
      const [storage] = yield* listNodeStorage(input.node, input.storage)
      if (storage === undefined) {
        return yield* new PveNotFound({
          message: `no storage '${input.storage}' on node ${input.node} (see pve_list_storage)`
        })
      }
      if (!storage.content.split(",").includes(input.content)) {
        return yield* invalid(
          "storage",
          `storage '${input.storage}' does not hold ${input.content} content (it holds ${storage.content}); choose one that does with pve_list_storage content ${input.content}`
        )
      }
      const volid = `${input.storage}:${input.content}/${filename}`
      const present = yield* listStorageContent(input.node, input.storage, { content: input.content })
      if (present.some((v) => v.volid === volid)) {
        return yield* invalid(
          "filename",
          `${volid} is already on the storage; choose another filename or use it as it is`
        )
      }
      const step = yield* planStep(
        downloadUrlEndpoint,
        { node: input.node, storage: input.storage },
        {
          url,
          filename,
          content: input.content,
          checksum: input.checksum,
          "checksum-algorithm": input.checksumAlgorithm,
          "verify-certificates": input.verifyCertificates
        }
      )
      return plan([step], (done) =>
        Effect.gen(function* () {
          const task = done[0]!.task!
          const after = yield* listStorageContent(input.node, input.storage, { content: input.content })
          const size = after.find((v) => v.volid === volid)?.size
          return {
            node: input.node,
            storage: input.storage,
            volid,
            ...(size === undefined ? {} : { size }),
            upid: task.upid,
            exitStatus: task.exitStatus,
            checksumVerified: input.checksum !== undefined
          }
        })
      )
    }),
  render: (r) =>
    `downloaded ${r.volid} on ${r.node}${r.size === undefined ? "" : ` (${bytes(r.size)})`}: ${r.exitStatus}${r.checksumVerified ? ", checksum verified" : ", no checksum given"}`
})

const TemplateRow = Schema.Struct({
  template: Schema.String,
  section: Schema.String,
  os: Schema.optional(Schema.String),
  version: Schema.optional(Schema.String),
  headline: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String),
  sha512sum: Schema.optional(Schema.String)
})

export const pveListTemplates = readTool({
  name: "pve_list_templates",
  title: "Container templates to download",
  description: "Downloadable container templates (pveam available) with url and sha512, for pve_storage_download.",
  toolset: "storage",
  input: Schema.Struct({
    node: Node,
    section: Schema.optional(
      Schema.String.pipe(Schema.pattern(/^[a-z0-9_-]{1,32}$/)).annotations({
        description: "system, turnkeylinux or mail"
      })
    ),
    name: Schema.optional(
      Schema.String.pipe(Schema.maxLength(64)).annotations({
        description: "Part of the name, e.g. debian-12"
      })
    )
  }),
  output: Schema.Struct({ node: Schema.String, templates: Schema.Array(TemplateRow), count: Schema.Number }),
  endpoints: [aplinfoEndpoint],
  handler: ({ node, section, name }) =>
    Effect.gen(function* () {
      yield* validateSegment("node", node)
      const wanted = name?.toLowerCase()
      const templates = (yield* listAppliances(node))
        .filter((a) => section === undefined || a.section === section)
        .filter(
          (a) =>
            wanted === undefined ||
            a.template.toLowerCase().includes(wanted) ||
            (a.headline ?? "").toLowerCase().includes(wanted)
        )
        .map((a) => ({
          template: a.template,
          section: a.section ?? "",
          ...(a.os === undefined ? {} : { os: a.os }),
          ...(a.version === undefined ? {} : { version: a.version }),
          ...(a.headline === undefined ? {} : { headline: a.headline }),
          ...(a.location === undefined ? {} : { url: a.location }),
          ...(a.sha512sum === undefined ? {} : { sha512sum: a.sha512sum })
        }))
      return { node, templates, count: templates.length }
    }),
  render: ({ node, templates }) =>
    templates.length === 0
      ? "no template matches"
      : [
          ...templates.map((t) => `${t.template} [${t.section}]${t.headline ? `: ${t.headline}` : ""}`),
          `To download one: pve_storage_download with node ${node}, a storage holding vztmpl (e.g. local), content vztmpl, url and checksum (sha512sum, checksumAlgorithm sha512) from structuredContent; PVE's own POST /nodes/${node}/aplinfo (template, storage) does the same through pve_api_call.`
        ].join("\n")
})

export const storageTools: ReadonlyArray<AnyTool> = [
  pveListStorage,
  pveStorageContent,
  pveStorageDownload,
  pveListTemplates
]
