/**
 * The real Proxmox VE API schema (generated from vendor/pve-api/apidata.json by scripts/gen-api-schema.ts):
 * endpoint lookup by method and concrete path, and parameter/result validation with the exact texts of
 * pve-common's PVE::JSONSchema (check_prop, check_type, check_format, parse_property_string).
 *
 * The generated data is large, so it is never imported statically from the product's start-up path:
 * use `loadApiSchema()` (a dynamic import, memoized) or pass the data to `makeApiSchema` yourself.
 */
import { calendarEventProblem } from "./CalendarEvent.js"

/** A JSON-schema-like property as PVE writes it (`optional: 1`, Proxmox `format`s, property-string formats). */
export interface ParamSchema {
  readonly type?: string | ReadonlyArray<string>
  readonly format?: string | { readonly [key: string]: ParamSchema }
  readonly enum?: ReadonlyArray<string | number>
  readonly minimum?: number | string
  readonly maximum?: number | string
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
  readonly optional?: number | boolean
  readonly default?: unknown
  readonly default_key?: number | boolean
  readonly alias?: string
  readonly keyAlias?: string
  readonly requires?: string | ParamSchema
  readonly items?: ParamSchema
  readonly properties?: { readonly [key: string]: ParamSchema }
  readonly additionalProperties?: number | boolean | ParamSchema
  readonly group?: string
}

export interface EndpointDef {
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  /** The path template, e.g. `/nodes/{node}/qemu/{vmid}/status/start`. */
  readonly path: string
  readonly name: string | null
  readonly parameters: ParamSchema
  readonly returns: ParamSchema
  /** From endpoints.tsv: `yes` (returns a task UPID), `object.upid`, or `no`. */
  readonly returnsUpid: string
  readonly workerTypes: ReadonlyArray<string>
  readonly allowtoken: number
  readonly protected: number
  readonly proxyto?: string
  /** `check` is PVE's permission check expression, e.g. `["perm", "/vms/{vmid}", ["VM.PowerMgmt"]]`. */
  readonly permissions?: { readonly check?: unknown; readonly user?: string }
}

export interface ApiSchemaData {
  readonly version: string
  readonly endpoints: ReadonlyArray<EndpointDef>
}

export type EndpointLookup =
  | {
      readonly _tag: "Found"
      readonly endpoint: EndpointDef
      /** Path parameters, URI-decoded, keyed by the template's names. */
      readonly pathParams: Readonly<Record<string, string>>
    }
  | { readonly _tag: "NotImplemented"; readonly message: string }

export interface ApiSchema {
  readonly version: string
  readonly endpoints: ReadonlyArray<EndpointDef>
  /** The endpoint for a method and a concrete path (without `/api2/json` and query), as PVE's router finds it. */
  readonly lookup: (method: string, path: string) => EndpointLookup
  /** The endpoint with exactly this method and path template. */
  readonly endpoint: (method: string, template: string) => EndpointDef | undefined
}

/** The 400 message PVE sends with per-parameter `errors`. */
export const PARAMETER_VERIFICATION_FAILED = "Parameter verification failed.\n"

interface RouteNode {
  readonly literals: Map<string, RouteNode>
  param: { readonly name: string; readonly node: RouteNode } | undefined
  readonly methods: Map<string, EndpointDef>
}

const newRouteNode = (): RouteNode => ({ literals: new Map(), param: undefined, methods: new Map() })

const splitPath = (path: string): Array<string> => path.split("/").filter((segment) => segment.length > 0)

const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export const makeApiSchema = (data: ApiSchemaData): ApiSchema => {
  const root = newRouteNode()
  const byTemplate = new Map<string, EndpointDef>()
  for (const endpoint of data.endpoints) {
    byTemplate.set(`${endpoint.method} ${endpoint.path}`, endpoint)
    let node = root
    for (const segment of splitPath(endpoint.path)) {
      const param = /^\{(.+)\}$/.exec(segment)
      if (param) {
        node.param ??= { name: param[1]!, node: newRouteNode() }
        node = node.param.node
      } else {
        let next = node.literals.get(segment)
        if (next === undefined) {
          next = newRouteNode()
          node.literals.set(segment, next)
        }
        node = next
      }
    }
    node.methods.set(endpoint.method, endpoint)
  }

  // Literal segments win over parameters, with backtracking, like PVE's RESTHandler::find_handler.
  const match = (
    node: RouteNode,
    segments: ReadonlyArray<string>,
    index: number,
    method: string,
    params: Record<string, string>
  ): EndpointDef | undefined => {
    if (index === segments.length) return node.methods.get(method)
    const segment = segments[index]!
    const literal = node.literals.get(segment)
    if (literal !== undefined) {
      const found = match(literal, segments, index + 1, method, params)
      if (found !== undefined) return found
    }
    if (node.param !== undefined) {
      const found = match(node.param.node, segments, index + 1, method, params)
      if (found !== undefined) {
        params[node.param.name] = decodeSegment(segment)
        return found
      }
    }
    return undefined
  }

  return {
    version: data.version,
    endpoints: data.endpoints,
    endpoint: (method, template) => byTemplate.get(`${method} ${template}`),
    lookup: (method, path) => {
      const pathParams: Record<string, string> = {}
      const endpoint = match(root, splitPath(path), 0, method, pathParams)
      return endpoint === undefined
        ? { _tag: "NotImplemented", message: `Method '${method} ${path}' not implemented` }
        : { _tag: "Found", endpoint, pathParams }
    }
  }
}

let loaded: Promise<ApiSchema> | undefined

/** Loads the generated schema on first use (kept out of the start-up path). */
export const loadApiSchema = (): Promise<ApiSchema> => {
  loaded ??= import("./generated/apiSchemaData.js").then((module) => makeApiSchema(module.apiSchemaData))
  return loaded
}

// ---------------------------------------------------------------------------------------------------------------
// Validation: a port of PVE::JSONSchema check_prop / check_type / check_object / check_format.

/** Per-path error texts, as PVE's `errors` object. */
export type ValidationErrors = Record<string, string>

const isNumberText = (text: string): boolean => /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/.test(text)
const isIntegerText = (text: string): boolean => /^[+-]?\d+$/.test(text)

const addError = (errors: ValidationErrors, path: string, message: string): void => {
  const key = path === "" ? "_root" : path
  const previous = errors[key]
  // PVE joins with a literal backslash-n (single-quoted '\n' in Perl).
  errors[key] = previous === undefined ? message : `${previous}\\n${message}`
}

/** What Perl's `ref($value)` says about a decoded JSON value ("" for a plain scalar). */
const perlRef = (value: unknown): string => {
  if (Array.isArray(value)) return "ARRAY"
  if (typeof value === "boolean") return "JSON::PP::Boolean"
  if (typeof value === "object" && value !== null) return "HASH"
  return ""
}

/** The scalar as Perl would print it. */
const scalarText = (value: unknown): string => {
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(0) : String(value)
  return String(value)
}

const checkType = (path: string, type: ParamSchema["type"], value: unknown, errors: ValidationErrors): boolean => {
  if (type === undefined) return true
  if (typeof type !== "string") {
    for (const alternative of type) {
      const scratch: ValidationErrors = {}
      checkType(path, alternative, value, scratch)
      if (Object.keys(scratch).length === 0) return true
    }
    addError(errors, path, `type check ('${type.join("|")}') failed`)
    return false
  }
  if (type === "any") return true
  if (type === "null") {
    if (value !== null && value !== undefined) {
      addError(errors, path, `type check ('null') failed - value is not null`)
      return false
    }
    return true
  }
  const ref = perlRef(value)
  if (type === "array") {
    if (ref !== "ARRAY") {
      addError(errors, path, `type check ('array') failed`)
      return false
    }
    return true
  }
  if (type === "object") {
    if (ref !== "HASH") {
      addError(errors, path, `type check ('object') failed`)
      return false
    }
    return true
  }
  if (ref !== "") {
    if (type === "boolean" && ref === "JSON::PP::Boolean") return true
    addError(errors, path, `type check ('${type}') failed - got ${ref}`)
    return false
  }
  const text = scalarText(value)
  if (type === "boolean") {
    if (text === "1" || text === "0") return true
    addError(errors, path, `type check ('boolean') failed - got '${text}'`)
    return false
  }
  if (type === "integer") {
    if (isIntegerText(text)) return true
    addError(errors, path, `type check ('integer') failed - got '${text}'`)
    return false
  }
  if (type === "number") {
    if (isNumberText(text)) return true
    addError(errors, path, `type check ('number') failed - got '${text}'`)
    return false
  }
  return true
}

/** PVE::Tools::split_list. */
export const splitList = (text: string): Array<string> =>
  text.includes("\0")
    ? text.split("\0")
    : text
        .replace(/[,;]/g, " ")
        .trim()
        .split(/\s+/)
        .filter((item) => item.length > 0)

class FormatError extends Error {}

const fail = (message: string): never => {
  throw new FormatError(message)
}

const ipv4Pattern = "(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)"
const ipv4Re = new RegExp(`^${ipv4Pattern}$`)
const isIpv6 = (text: string): boolean => {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return false
  const [head, ...rest] = text.split("::")
  if (rest.length > 1) return false
  const groups = (part: string | undefined) => (part === undefined || part === "" ? [] : part.split(":"))
  const all = [...groups(head), ...groups(rest[0])]
  let count = 0
  for (const [index, group] of all.entries()) {
    if (index === all.length - 1 && group.includes(".")) {
      if (!ipv4Re.test(group)) return false
      count += 2
    } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) count += 1
    else return false
  }
  return rest.length === 1 ? count < 8 : count === 8
}
const cidrBits = (text: string, isAddress: (address: string) => boolean, low: number, high: number): boolean => {
  const match = /^(.+)\/(\d+)$/.exec(text)
  return match !== null && isAddress(match[1]!) && Number(match[2]) > low && Number(match[2]) <= high
}
const dnsNameRe = /^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)\.)*([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/
const storageContentTypes = new Set(["images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import", "none"])

/** The registered PVE format validators we know; each throws the text PVE dies with. */
const namedFormats: Record<string, (value: string) => void> = {
  "pve-node": (v) =>
    /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v) || fail("value does not look like a valid node name"),
  "pve-vmid": (v) => /^[1-9][0-9]{2,8}$/.test(v) || fail("value does not look like a valid VM ID"),
  "pve-configid": (v) => /^[a-z][a-z0-9_-]+$/i.test(v) || fail(`invalid configuration ID '${v}'`),
  "pve-storage-id": (v) =>
    /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v) || fail(`storage ID '${v}' contains illegal characters`),
  "pve-bridge-id": (v) => /^[-_.\w\d]+$/.test(v) || fail(`invalid bridge ID '${v}'`),
  "pve-iface": (v) => /^[a-z][a-z0-9_]{1,20}([:.]\d+)?$/i.test(v) || fail(`invalid network interface name '${v}'`),
  "pve-poolid": (v) => /^[A-Za-z0-9.\-_]+$/.test(v) || fail(`pool name '${v}' contains invalid characters`),
  "pve-groupid": (v) => /^[A-Za-z0-9.\-_]+$/.test(v) || fail(`group name '${v}' contains invalid characters`),
  "pve-roleid": (v) => /^[A-Za-z0-9.\-_]+$/.test(v) || fail(`role name '${v}' contains invalid characters`),
  "pve-realm": (v) => /^[A-Za-z][A-Za-z0-9.\-_]+$/.test(v) || fail(`realm '${v}' contains invalid characters`),
  "pve-userid": (v) =>
    (/^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$/.test(v) && v.length <= 64) ||
    fail(`value '${v}' does not look like a valid user name`),
  "pve-tokenid": (v) => /^[A-Za-z][A-Za-z0-9.\-_]+$/.test(v) || fail(`invalid token ID '${v}'`),
  "pve-volume-id": (v) => /^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$/is.test(v) || fail(`unable to parse volume ID '${v}'`),
  "pve-tag": (v) => /^[a-z0-9_][a-z0-9_\-+.]*$/i.test(v) || fail("invalid characters in tag"),
  "pve-storage-content": (v) => storageContentTypes.has(v) || fail(`invalid content type '${v}'`),
  "pve-task-status-type": (v) => /^(ok|error|warning|unknown)$/i.test(v) || fail(`invalid status '${v}'`),
  "pve-startup-order": (v) =>
    v.split(",").every((part) => /^\s*$/.test(part) || /^((order=)?\d+|up=\d+|down=\d+)$/.test(part)) ||
    fail("unable to parse startup options"),
  urlencoded: (v) => /^[-%a-zA-Z0-9_.!~*'()]*$/.test(v) || fail(`invalid urlencoded string: ${v}`),
  "mac-addr": (v) =>
    /^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i.test(v) || fail("value does not look like a valid unicast MAC address"),
  ipv4: (v) => ipv4Re.test(v) || fail("value does not look like a valid IPv4 address"),
  ipv6: (v) => isIpv6(v) || fail("value does not look like a valid IPv6 address"),
  ip: (v) => ipv4Re.test(v) || isIpv6(v) || fail("value does not look like a valid IP address"),
  CIDRv4: (v) =>
    cidrBits(v, (a) => ipv4Re.test(a), 7, 32) || fail("value does not look like a valid IPv4 CIDR network"),
  CIDRv6: (v) => cidrBits(v, isIpv6, 7, 128) || fail("value does not look like a valid IPv6 CIDR network"),
  CIDR: (v) =>
    cidrBits(v, (a) => ipv4Re.test(a), 7, 32) ||
    cidrBits(v, isIpv6, 7, 128) ||
    fail("value does not look like a valid CIDR network"),
  "dns-name": (v) => dnsNameRe.test(v) || fail("value does not look like a valid DNS name"),
  address: (v) =>
    ipv4Re.test(v) || isIpv6(v) || dnsNameRe.test(v) || fail(`value does not look like a valid address: ${v}`),
  email: (v) =>
    /^[\w+\-~]+(\.[\w+\-~]+)*@[a-zA-Z0-9\-.]+$/.test(v) || fail("value does not look like a valid email address"),
  "pve-calendar-event": (v) => {
    const problem = calendarEventProblem(v)
    if (problem !== undefined) fail(`invalid calendar event '${v}' - ${problem}`)
  },
  "disk-size": (v) => /^(\d+(\.\d+)?)([KMGT])?$/.test(v) || fail(`value does not look like a valid disk size: ${v}`),
  string: () => undefined
}

/** PVE::JSONSchema::check_format: named formats (with `-list` / `-opt`) and property-string formats. */
const checkFormat = (format: NonNullable<ParamSchema["format"]>, value: string, path: string): void => {
  if (typeof format !== "string") {
    parsePropertyString(format, value, path)
    return
  }
  if (format === "regex") return
  const [, name = format, kind = "none"] = /^(.*?)(?:-(list|opt))?$/.exec(format) ?? []
  const validator = namedFormats[name]
  // Formats we do not model (mostly property strings registered in other packages) are accepted.
  if (validator === undefined) return
  if (kind === "list") for (const item of splitList(value)) validator(item)
  else if (kind === "opt") {
    if (value !== "" && value !== "0") validator(value)
  } else validator(value)
}

const parseBoolean = (text: string): string | undefined => {
  if (/^(1|on|yes|true)$/i.test(text)) return "1"
  if (/^(0|off|no|false)$/i.test(text)) return "0"
  return undefined
}

class RaisedErrors extends Error {
  constructor(
    message: string,
    readonly errors: ValidationErrors
  ) {
    super(message)
  }
}

/** PVE::JSONSchema::parse_property_string (additional properties not allowed). */
export const parsePropertyString = (
  format: { readonly [key: string]: ParamSchema },
  data: string,
  path: string
): Record<string, string> => {
  const result: Record<string, string> = {}
  let defaultKey: string | undefined
  for (const part of data.split(",")) {
    if (/^\s*$/.test(part)) continue
    const keyValue = /^([^=]+)=(.+)$/s.exec(part)
    if (keyValue) {
      let key = keyValue[1]!
      let value = keyValue[2]!
      if (result[key] !== undefined) fail(`duplicate key in comma-separated list property: ${key}`)
      let schema = format[key]
      if (schema?.alias !== undefined) {
        if (schema.keyAlias !== undefined) {
          if (result[schema.keyAlias] !== undefined) fail(`key alias '${schema.keyAlias}' is already defined`)
          result[schema.keyAlias] = key
        }
        key = schema.alias
        schema = format[key]
      }
      if (schema === undefined) fail(`invalid key in comma-separated list property: ${key}`)
      if (schema?.type === "boolean") value = parseBoolean(value) ?? value
      result[key] = value
    } else if (!part.includes("=")) {
      if (defaultKey !== undefined) fail(`duplicate key in comma-separated list property: ${defaultKey}`)
      for (const [key, schema] of Object.entries(format)) {
        if (schema.default_key) {
          defaultKey = key
          if (!result[key]) {
            result[key] = part
            break
          }
          fail(`duplicate key in comma-separated list property: ${key}`)
        }
      }
      if (defaultKey === undefined) fail("value without key, but schema does not define a default key")
    } else {
      fail("missing key in comma-separated list property")
    }
  }
  const errors: ValidationErrors = {}
  checkObject(path, format, result, 0, errors)
  if (Object.keys(errors).length > 0) throw new RaisedErrors("format error\n", errors)
  return result
}

/** PVE::Exception stringify: the message, then `key: text` lines for attached errors. */
const exceptionText = (error: unknown): string => {
  if (error instanceof RaisedErrors) {
    return (
      error.message +
      Object.entries(error.errors)
        .map(([key, text]) => `${key}: ${text}\n`)
        .join("")
    )
  }
  if (error instanceof Error) return error.message.endsWith("\n") ? error.message : `${error.message}\n`
  return `${String(error)}\n`
}

const isOptional = (schema: ParamSchema): boolean =>
  Boolean(schema.optional) || schema.alias !== undefined || schema.group !== undefined

const compilePattern = (() => {
  const cache = new Map<string, RegExp | null>()
  return (pattern: string): RegExp | null => {
    let compiled = cache.get(pattern)
    if (compiled === undefined) {
      try {
        compiled = new RegExp(`^${pattern}$`, "s")
      } catch {
        compiled = null
      }
      cache.set(pattern, compiled)
    }
    return compiled
  }
})()

/** PVE::JSONSchema::check_prop: validates one value against its schema, adding errors under `path`. */
export const checkProp = (value: unknown, schema: ParamSchema, path: string, errors: ValidationErrors): void => {
  if (value === undefined || value === null) {
    if (schema.type === "null") return
    if (!isOptional(schema)) addError(errors, path, "property is missing and it is not optional")
    return
  }
  if (!checkType(path, schema.type, value, errors)) return

  const ref = perlRef(value)
  if (ref === "ARRAY") {
    if (schema.items !== undefined) {
      for (const [index, item] of (value as ReadonlyArray<unknown>).entries()) {
        checkProp(item, schema.items, `${path}[${index}]`, errors)
      }
    }
    return
  }
  if (ref === "HASH") {
    if (schema.properties !== undefined || schema.additionalProperties) {
      checkObject(path, schema.properties ?? {}, value as Record<string, unknown>, schema.additionalProperties, errors)
    }
    return
  }
  if (ref !== "") return

  const text = scalarText(value)
  if (schema.format !== undefined) {
    try {
      checkFormat(schema.format, text, path)
    } catch (error) {
      addError(errors, path, `invalid format - ${exceptionText(error)}`)
      return
    }
  }
  if (schema.pattern !== undefined) {
    const pattern = compilePattern(schema.pattern)
    if (pattern !== null && !pattern.test(text)) {
      addError(errors, path, "value does not match the regex pattern")
      return
    }
  }
  if (schema.maxLength !== undefined && [...text].length > schema.maxLength) {
    addError(errors, path, `value may only be ${schema.maxLength} characters long`)
    return
  }
  if (schema.minLength !== undefined && [...text].length < schema.minLength) {
    addError(errors, path, `value must be at least ${schema.minLength} characters long`)
    return
  }
  if (isNumberText(text)) {
    if (schema.maximum !== undefined && Number(text) > Number(schema.maximum)) {
      addError(errors, path, `value must have a maximum value of ${schema.maximum}`)
      return
    }
    if (schema.minimum !== undefined && Number(text) < Number(schema.minimum)) {
      addError(errors, path, `value must have a minimum value of ${schema.minimum}`)
      return
    }
  }
  if (schema.enum !== undefined && !schema.enum.some((allowed) => String(allowed) === text)) {
    addError(errors, path, `value '${text}' does not have a value in the enumeration '${schema.enum.join(", ")}'`)
  }
}

/**
 * Highest index of PVE's indexed keys, which apidata.json collapses to `net[n]` and the like
 * (qemu-server MAX_NETS, MAX_SCSI_DISKS…, pve-container MAX_MOUNT_POINTS…).
 */
const indexedKeyLimits: Readonly<Record<string, number>> = {
  net: 31,
  scsi: 30,
  ide: 3,
  sata: 5,
  virtio: 15,
  unused: 255,
  hostpci: 15,
  usb: 13,
  serial: 3,
  parallel: 2,
  ipconfig: 31,
  numa: 7,
  virtiofs: 9,
  mp: 255,
  dev: 255,
  link: 7,
  acmedomain: 5
}

/** The schema of a property, resolving `net0` to `net[n]`. */
export const propertySchema = (
  properties: { readonly [key: string]: ParamSchema },
  key: string
): ParamSchema | undefined => {
  const direct = Object.hasOwn(properties, key) ? properties[key] : undefined
  if (direct !== undefined) return direct
  const indexed = /^([a-z]+)(\d+)$/.exec(key)
  if (!indexed) return undefined
  const limit = indexedKeyLimits[indexed[1]!] ?? 31
  return Number(indexed[2]) <= limit ? properties[`${indexed[1]}[n]`] : undefined
}

/** PVE::JSONSchema::check_object. */
export const checkObject = (
  path: string,
  properties: { readonly [key: string]: ParamSchema },
  value: Readonly<Record<string, unknown>>,
  additionalProperties: ParamSchema["additionalProperties"],
  errors: ValidationErrors
): void => {
  const join = (key: string) => (path === "" ? key : `${path}.${key}`)
  for (const [key, schema] of Object.entries(properties)) {
    if (!key.endsWith("[n]")) checkProp(value[key], schema, join(key), errors)
  }
  for (const key of Object.keys(value)) {
    const schema = propertySchema(properties, key)
    if (schema !== undefined && !Object.hasOwn(properties, key)) checkProp(value[key], schema, join(key), errors)
    if (schema !== undefined) {
      if (
        typeof schema.requires === "string" &&
        (value[schema.requires] === undefined || value[schema.requires] === null)
      ) {
        addError(errors, join(schema.requires), `missing property - '${join(key)}' requires this property`)
      }
      continue
    }
    if (additionalProperties !== undefined && !additionalProperties) {
      addError(
        errors,
        join(key),
        "property is not defined in schema and the schema does not allow additional properties"
      )
      continue
    }
    if (typeof additionalProperties === "object") checkProp(value[key], additionalProperties, join(key), errors)
  }
}

/**
 * Validates request parameters (path parameters merged in) against an endpoint, as PVE does before calling the
 * handler. Empty result: valid. Otherwise answer 400 `Parameter verification failed.` with these `errors`.
 */
export const validateParameters = (
  endpoint: EndpointDef,
  params: Readonly<Record<string, unknown>>
): ValidationErrors => {
  const errors: ValidationErrors = {}
  const schema = endpoint.parameters
  checkObject("", schema.properties ?? {}, params, schema.additionalProperties, errors)
  return errors
}

/**
 * Validates a handler's result against the endpoint's `returns` schema, as PVE's RESTHandler does
 * ("Result verification failed"). Empty result: valid.
 */
export const validateResult = (endpoint: EndpointDef, data: unknown): ValidationErrors => {
  const errors: ValidationErrors = {}
  if (Object.keys(endpoint.returns).length > 0) checkProp(data, endpoint.returns, "", errors)
  return errors
}
