/** Storage configuration, per-node status and content (ISOs, templates, disk images, backups), downloads. */
import { createHash } from "node:crypto"
import { splitList } from "../../src/proxmox/ApiSchema.js"
import { MIB, type Storage, storageAvailableOn, storageUsed, type Volume, volumesOn } from "../model.js"
import { die, paramError, type Route, type RouteContext } from "../routing.js"

export const storageAt = (ctx: RouteContext, name = ctx.str("storage")): Storage => {
  const storage = ctx.model.storages.get(name)
  if (storage === undefined) return die(`storage '${name}' does not exist`)
  return storage
}

const usable = (ctx: RouteContext, storage: Storage) =>
  ctx.can(`/storage/${storage.storage}`, ["Datastore.Audit", "Datastore.AllocateSpace"], true)

const storageConfig = (storage: Storage): Record<string, unknown> => ({
  storage: storage.storage,
  type: storage.type,
  content: [...storage.content].sort().join(","),
  ...(storage.shared ? { shared: 1 } : {}),
  ...(storage.path === undefined ? {} : { path: storage.path }),
  ...(storage.thinpool === undefined ? {} : { thinpool: storage.thinpool }),
  ...(storage.vgname === undefined ? {} : { vgname: storage.vgname }),
  ...(storage.server === undefined ? {} : { server: storage.server }),
  ...(storage.export === undefined ? {} : { export: storage.export }),
  ...(storage.prune === undefined ? {} : { "prune-backups": storage.prune }),
  ...(storage.nodes === undefined ? {} : { nodes: storage.nodes.join(",") }),
  digest: "3b2c8d1f4a5e6b7c8d9e0f1a2b3c4d5e6f7a8b9c"
})

const nodeStorageStatus = (storage: Storage, node: string): Record<string, unknown> => {
  const used = storageUsed(storage, node)
  return {
    storage: storage.storage,
    type: storage.type,
    content: [...storage.content].sort().join(","),
    active: 1,
    enabled: 1,
    shared: storage.shared ? 1 : 0,
    total: storage.total,
    used,
    avail: Math.max(0, storage.total - used),
    used_fraction: storage.total === 0 ? 0 : used / storage.total
  }
}

const listConfigs: Route = (ctx) => {
  const type = ctx.optStr("type")
  const data = [...ctx.model.storages.values()]
    .filter((storage) => (type === undefined || storage.type === type) && usable(ctx, storage))
    .map(storageConfig)
  return { data }
}

const readConfig: Route = (ctx) => ({ data: storageConfig(storageAt(ctx)) })

const listOnNode: Route = (ctx) => {
  const node = ctx.str("node")
  const content = ctx.optStr("content")
  const wanted = content === undefined ? undefined : splitList(content)
  const only = ctx.optStr("storage")
  const data = [...ctx.model.storages.values()]
    .filter(
      (storage) =>
        storageAvailableOn(storage, node) &&
        usable(ctx, storage) &&
        (only === undefined || storage.storage === only) &&
        (wanted === undefined || wanted.some((type) => storage.content.includes(type)))
    )
    .map((storage) => nodeStorageStatus(storage, node))
  return { data }
}

const availableOn = (ctx: RouteContext): Storage => {
  const storage = storageAt(ctx)
  const node = ctx.str("node")
  if (!storageAvailableOn(storage, node)) die(`storage '${storage.storage}' is not available on node '${node}'`)
  return storage
}

const status: Route = (ctx) => {
  const { storage: _name, ...rest } = nodeStorageStatus(availableOn(ctx), ctx.str("node"))
  return { data: rest }
}

const volumeEntry = (volume: Volume): Record<string, unknown> => ({
  volid: volume.volid,
  content: volume.content,
  format: volume.format,
  size: volume.size,
  ctime: volume.ctime,
  ...(volume.vmid === undefined ? {} : { vmid: volume.vmid }),
  ...(volume.content === "images" || volume.content === "rootdir" ? { used: Math.floor(volume.size * 0.4) } : {}),
  ...(volume.notes === undefined ? {} : { notes: volume.notes }),
  ...(volume.content === "backup" ? { protected: volume.protected ? 1 : 0 } : {}),
  ...(volume.verification === undefined ? {} : { verification: { ...volume.verification } })
})

const listContent: Route = (ctx) => {
  const storage = availableOn(ctx)
  const content = ctx.optStr("content")
  const vmid = ctx.optInt("vmid")
  const data = [...volumesOn(storage, ctx.str("node")).values()]
    .filter(
      (volume) => (content === undefined || volume.content === content) && (vmid === undefined || volume.vmid === vmid)
    )
    .sort((a, b) => a.volid.localeCompare(b.volid))
    .map(volumeEntry)
  return { data }
}

/** The volume named by {volume}: a full volid or a name relative to {storage}. */
export const volumeAt = (ctx: RouteContext, storage: Storage): Volume => {
  const name = ctx.str("volume")
  const volid = name.includes(":") ? name : `${storage.storage}:${name}`
  const volume = volumesOn(storage, ctx.str("node")).get(volid)
  if (volume === undefined) die(`volume '${volid}' does not exist`)
  return volume!
}

const volumePath = (storage: Storage, volume: Volume): string => {
  const name = volume.volid.slice(volume.volid.indexOf(":") + 1)
  if (storage.type === "lvmthin") return `/dev/${storage.vgname}/${name}`
  if (storage.type === "pbs") return `pbs://${storage.server}/${storage.datastore}/${name.replace(/^backup\//, "")}`
  const sub = { iso: "template/iso", vztmpl: "template/cache", backup: "dump", images: "images", rootdir: "images" }
  const file = name.replace(/^(iso|vztmpl|backup)\//, "")
  return `${storage.path}/${sub[volume.content]}/${file}`
}

const readVolume: Route = (ctx) => {
  const storage = availableOn(ctx)
  const volume = volumeAt(ctx, storage)
  return {
    data: {
      path: volumePath(storage, volume),
      size: volume.size,
      used: volume.size,
      format: volume.format,
      ...(volume.notes === undefined ? {} : { notes: volume.notes }),
      ...(volume.content === "backup" ? { protected: volume.protected ? 1 : 0 } : {})
    }
  }
}

const updateVolume: Route = (ctx) => {
  const volume = volumeAt(ctx, availableOn(ctx))
  const notes = ctx.optStr("notes")
  if (notes !== undefined) volume.notes = notes
  if (ctx.optStr("protected") !== undefined) volume.protected = ctx.bool("protected")
  return { data: null }
}

const deleteVolume: Route = (ctx) => {
  const storage = availableOn(ctx)
  const volume = volumeAt(ctx, storage)
  if (volume.protected) die(`unable to remove protected volume '${volume.volid}'`)
  if (volume.vmid !== undefined && (volume.content === "images" || volume.content === "rootdir")) {
    const owner = ctx.model.guests.get(volume.vmid)
    if (
      owner !== undefined &&
      Object.values(owner.config).some((value) => String(value).startsWith(`${volume.volid},`))
    ) {
      die(
        `unable to delete volume '${volume.volid}' - volume is used by ${owner.type === "qemu" ? "VM" : "CT"} ${owner.vmid}`
      )
    }
  }
  const node = ctx.str("node")
  const task = ctx.state.tasks.start({
    node,
    type: "imgdel",
    id: "",
    user: ctx.principal.authid,
    lines: [`Removed volume '${volume.volid}'`],
    onSuccess: () => volumesOn(storage, node).delete(volume.volid)
  })
  return { data: task.upid }
}

const contentIndex: Route = (ctx) => {
  availableOn(ctx)
  return {
    data: ["content", "download-url", "prunebackups", "rrd", "rrddata", "status", "upload"].map((subdir) => ({
      subdir
    }))
  }
}

/** What a simulated download's file hashes to: the "file" is the URL's text. */
export const simulatedChecksum = (url: string, algorithm: string): string =>
  createHash(algorithm).update(url).digest("hex")

const templateFormat = (filename: string): string =>
  filename.endsWith(".tar.zst") ? "tzst" : filename.endsWith(".tar.xz") ? "txz" : "tgz"

/**
 * pve-manager Storage/Status.pm download_url: the checks before the worker, then a `download` task that prints
 * wget's progress, verifies the checksum (PVE's mismatch text) and only then puts the file in place.
 */
const downloadUrl: Route = (ctx) => {
  const storage = availableOn(ctx)
  const node = ctx.str("node")
  const content = ctx.str("content") as "iso" | "vztmpl" | "import"
  if (storage.path === undefined) die(`can't upload to storage type '${storage.type}', not a file based storage!`)
  if (!storage.content.includes(content)) {
    die(`storage '${storage.storage}' is not configured for content-type '${content}'`)
  }
  const filename = ctx.str("filename").replace(/[^\w\-_.]/g, "_")
  const extension =
    content === "iso"
      ? /\.(iso|img)$/i
      : content === "vztmpl"
        ? /\.tar\.(gz|xz|zst|bz2)$/
        : /\.(ova|ovf|qcow2|raw|vmdk)$/
  if (!extension.test(filename)) paramError({ filename: "wrong file extension" })
  const url = ctx.str("url")
  const algorithm = ctx.optStr("checksum-algorithm")
  const expected = ctx.optStr("checksum")
  const dir = content === "iso" ? "template/iso" : content === "vztmpl" ? "template/cache" : "import"
  const dest = `${storage.path}/${dir}/${filename}`
  const volid = `${storage.storage}:${content}/${filename}`
  const size = 50 * MIB + (Number.parseInt(simulatedChecksum(url, "md5").slice(0, 6), 16) % 850) * MIB
  const got = algorithm === undefined ? undefined : simulatedChecksum(url, algorithm)
  const exists = volumesOn(storage, node).has(volid)
  const mismatch = got !== undefined && expected !== undefined && got.toLowerCase() !== expected.toLowerCase()
  const mb = Math.round(size / MIB)
  const progress = [5, 25, 50, 75, 100].map(
    (percent) =>
      `${String(Math.floor((mb * 1024 * percent) / 100)).padStart(8)}K ........ ........ ........ ........ ${String(percent).padStart(3)}% 48.3M ${Math.max(0, Math.round((mb / 48) * (1 - percent / 100)))}s`
  )
  const lines = [
    `downloading ${url} to ${dest}`,
    ...(exists
      ? []
      : [
          `--${new Date(ctx.now).toISOString().replace("T", " ").slice(0, 19)}--  ${url}`,
          `Length: ${size} (${mb}M) [application/octet-stream]`,
          `Saving to: '${dest}.tmp_dwnl.${ctx.model.nodes.get(node)?.nextPid ?? 0}'`,
          ...progress,
          ...(got === undefined ? [] : ["calculating checksum..."]),
          ...(got === undefined || mismatch ? [] : ["OK, checksum verified"]),
          ...(mismatch ? [""] : [`download of '${url}' to '${dest}' finished`])
        ])
  ]
  const task = ctx.state.tasks.start({
    node,
    type: "download",
    id: filename,
    user: ctx.principal.authid,
    lines,
    ...(exists
      ? { outcome: { _tag: "error" as const, message: `refusing to override existing file '${dest}'` } }
      : mismatch
        ? { outcome: { _tag: "error" as const, message: `checksum mismatch: got '${got}' != expect '${expected}'` } }
        : {}),
    onSuccess: () =>
      volumesOn(storage, node).set(volid, {
        volid,
        content: content === "import" ? "iso" : content,
        format: content === "iso" ? "iso" : templateFormat(filename),
        size,
        ctime: Math.floor(ctx.state.now() / 1000)
      })
  })
  return { data: task.upid }
}

export const storageRoutes: Record<string, Route> = {
  "POST /nodes/{node}/storage/{storage}/download-url": downloadUrl,
  "GET /storage": listConfigs,
  "GET /storage/{storage}": readConfig,
  "GET /nodes/{node}/storage": listOnNode,
  "GET /nodes/{node}/storage/{storage}": contentIndex,
  "GET /nodes/{node}/storage/{storage}/status": status,
  "GET /nodes/{node}/storage/{storage}/content": listContent,
  "GET /nodes/{node}/storage/{storage}/content/{volume}": readVolume,
  "PUT /nodes/{node}/storage/{storage}/content/{volume}": updateVolume,
  "DELETE /nodes/{node}/storage/{storage}/content/{volume}": deleteVolume
}
