/**
 * Storages as a node sees them (`GET /nodes/{node}/storage`: type, content types, usage, shared, enabled and
 * active), their content, downloads from a URL into a storage (PVE 7.2+), and the appliance index (`aplinfo`).
 */
import * as Schema from "effect/Schema"
import { call, endpoint, TaskUpid } from "./Endpoint.js"
import { PveBoolean, PveInt, PveNumber } from "./WireSchemas.js"

export const NodeStorage = Schema.Struct({
  storage: Schema.String,
  type: Schema.String,
  content: Schema.String,
  active: Schema.optional(PveBoolean),
  enabled: Schema.optional(PveBoolean),
  shared: Schema.optional(PveBoolean),
  total: Schema.optional(PveNumber),
  used: Schema.optional(PveNumber),
  avail: Schema.optional(PveNumber),
  used_fraction: Schema.optional(PveNumber)
})
export type NodeStorage = typeof NodeStorage.Type

export const StorageVolume = Schema.Struct({
  volid: Schema.String,
  content: Schema.String,
  format: Schema.String,
  size: PveNumber,
  used: Schema.optional(PveNumber),
  ctime: Schema.optional(PveNumber),
  vmid: Schema.optional(PveInt),
  notes: Schema.optional(Schema.String),
  protected: Schema.optional(PveBoolean),
  parent: Schema.optional(Schema.String),
  verification: Schema.optional(Schema.Struct({ state: Schema.String, upid: Schema.optional(Schema.String) }))
})
export type StorageVolume = typeof StorageVolume.Type

/** One entry of the appliance index (pveam's aplinfo.dat); every field but the template is optional in PVE. */
export const Appliance = Schema.Struct({
  template: Schema.String,
  package: Schema.optional(Schema.String),
  section: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  os: Schema.optional(Schema.String),
  version: Schema.optional(Schema.String),
  headline: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  location: Schema.optional(Schema.String),
  infopage: Schema.optional(Schema.String),
  architecture: Schema.optional(Schema.String),
  sha512sum: Schema.optional(Schema.String),
  md5sum: Schema.optional(Schema.String)
})
export type Appliance = typeof Appliance.Type

export const nodeStorageEndpoint = endpoint("GET", "/nodes/{node}/storage", Schema.Array(NodeStorage))
export const storageContentEndpoint = endpoint(
  "GET",
  "/nodes/{node}/storage/{storage}/content",
  Schema.Array(StorageVolume)
)
export const downloadUrlEndpoint = endpoint("POST", "/nodes/{node}/storage/{storage}/download-url", TaskUpid)
export const aplinfoEndpoint = endpoint("GET", "/nodes/{node}/aplinfo", Schema.Array(Appliance))

export const listNodeStorage = (node: string, storage?: string) => call(nodeStorageEndpoint, { node }, { storage })

export const listStorageContent = (
  node: string,
  storage: string,
  filter: { readonly content?: string | undefined; readonly vmid?: number | undefined } = {}
) => call(storageContentEndpoint, { node, storage }, filter)

export const listAppliances = (node: string) => call(aplinfoEndpoint, { node })

export const ChecksumAlgorithm = Schema.Literal("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
export type ChecksumAlgorithm = typeof ChecksumAlgorithm.Type

/** Hex digits of each algorithm's digest. */
export const checksumLength: Readonly<Record<ChecksumAlgorithm, number>> = {
  md5: 32,
  sha1: 40,
  sha224: 56,
  sha256: 64,
  sha384: 96,
  sha512: 128
}

/** Whether "9.1.2" (or "7.2-3") is at least major.minor. */
export const versionAtLeast = (version: string, major: number, minor: number): boolean => {
  const [a = 0, b = 0] = version.split(/[.-]/).map(Number)
  return a > major || (a === major && b >= minor)
}
