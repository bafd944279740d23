/**
 * Authentication and authorization as PVE does them: API tokens (`PVEAPIToken=user@realm!id=secret`), tickets
 * (`PVE:user@realm:HEX::signature`) with CSRF tokens, and per-principal ACLs evaluated like PVE's
 * permission tree (the most specific path with entries wins, `propagate` carries them down, pools add theirs).
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { hex8 } from "./model.js"

export interface AclEntry {
  readonly path: string
  /** Privilege names (`VM.PowerMgmt`) or role names (`Administrator`, `PVEAuditor`, `PVEVMUser`, …). */
  readonly privs: ReadonlyArray<string>
  readonly propagate?: boolean
}

export const ALL_PRIVILEGES: ReadonlyArray<string> = [
  "Datastore.Allocate",
  "Datastore.AllocateSpace",
  "Datastore.AllocateTemplate",
  "Datastore.Audit",
  "Group.Allocate",
  "Mapping.Audit",
  "Mapping.Modify",
  "Mapping.Use",
  "Permissions.Modify",
  "Pool.Allocate",
  "Pool.Audit",
  "Realm.Allocate",
  "Realm.AllocateUser",
  "SDN.Allocate",
  "SDN.Audit",
  "SDN.Use",
  "Sys.AccessNetwork",
  "Sys.Audit",
  "Sys.Console",
  "Sys.Incoming",
  "Sys.Modify",
  "Sys.PowerMgmt",
  "Sys.Syslog",
  "User.Modify",
  "VM.Allocate",
  "VM.Audit",
  "VM.Backup",
  "VM.Clone",
  "VM.Config.CDROM",
  "VM.Config.CPU",
  "VM.Config.Cloudinit",
  "VM.Config.Disk",
  "VM.Config.HWType",
  "VM.Config.Memory",
  "VM.Config.Network",
  "VM.Config.Options",
  "VM.Console",
  "VM.GuestAgent.Audit",
  "VM.GuestAgent.FileRead",
  "VM.GuestAgent.FileSystemMgmt",
  "VM.GuestAgent.FileWrite",
  "VM.GuestAgent.Unrestricted",
  "VM.Migrate",
  "VM.PowerMgmt",
  "VM.Replicate",
  "VM.Snapshot",
  "VM.Snapshot.Rollback"
]

const vmPrivileges = ALL_PRIVILEGES.filter((priv) => priv.startsWith("VM."))

/** PVE's built-in roles (pve-access-control AccessControl.pm), reduced to what tests grant. */
export const ROLES: Readonly<Record<string, ReadonlyArray<string>>> = {
  Administrator: ALL_PRIVILEGES,
  NoAccess: [],
  PVEAdmin: ALL_PRIVILEGES.filter((priv) => !["Permissions.Modify", "Realm.Allocate", "Sys.Modify"].includes(priv)),
  PVEAuditor: [
    "Datastore.Audit",
    "Mapping.Audit",
    "Pool.Audit",
    "SDN.Audit",
    "Sys.Audit",
    "VM.Audit",
    "VM.GuestAgent.Audit"
  ],
  PVEVMAdmin: [...vmPrivileges, "Datastore.AllocateSpace", "Datastore.Audit", "Pool.Audit"],
  PVEVMUser: [
    "VM.Audit",
    "VM.Backup",
    "VM.Config.CDROM",
    "VM.Config.Cloudinit",
    "VM.Console",
    "VM.GuestAgent.Audit",
    "VM.PowerMgmt"
  ],
  PVEDatastoreUser: ["Datastore.AllocateSpace", "Datastore.Audit"],
  PVEPoolUser: ["Pool.Audit"]
}

const expandPrivs = (names: ReadonlyArray<string>): Array<string> => names.flatMap((name) => ROLES[name] ?? [name])

/** PVE::AccessControl::normalize_path. */
export const normalizePath = (path: string): string => {
  const collapsed = `/${path}`.replace(/\/+/g, "/")
  return collapsed.length > 1 ? collapsed.replace(/\/$/, "") : collapsed
}

export interface Principal {
  /** `user@realm` or `user@realm!token`. */
  readonly authid: string
  readonly userid: string
  readonly tokenName: string | undefined
  readonly acl: ReadonlyArray<AclEntry>
  /** root@pam with a ticket: every privilege, whatever the ACL says. */
  readonly superuser: boolean
}

const allPrivileges: ReadonlySet<string> = new Set(ALL_PRIVILEGES)
const privilegeCache = new WeakMap<ReadonlyArray<AclEntry>, Map<string, ReadonlySet<string>>>()

/** ACL entries by normalized path, with roles expanded, computed once per ACL list. */
const aclIndex = new WeakMap<
  ReadonlyArray<AclEntry>,
  Map<string, Array<{ privs: Array<string>; propagate: boolean }>>
>()
const indexAcl = (acl: ReadonlyArray<AclEntry>) => {
  let index = aclIndex.get(acl)
  if (index === undefined) {
    index = new Map()
    for (const entry of acl) {
      const path = normalizePath(entry.path)
      const list = index.get(path) ?? []
      list.push({ privs: expandPrivs(entry.privs), propagate: entry.propagate !== false })
      index.set(path, list)
    }
    aclIndex.set(acl, index)
  }
  return index
}

/** Privileges a principal holds on a path (pool memberships add the pool's privileges for /vms/<vmid>). */
export const privilegesOn = (
  principal: Principal,
  path: string,
  poolOf?: (vmid: number) => string | undefined
): ReadonlySet<string> => {
  if (principal.superuser) return allPrivileges
  const index = indexAcl(principal.acl)
  const target = /^\/([^/]+(\/[^/]+)*)?$/.test(path) ? path : normalizePath(path)
  const vm = /^\/vms\/(\d+)$/.exec(target)
  const pool = vm && poolOf ? poolOf(Number(vm[1])) : undefined
  // ACL lists never change once added, so answers are kept per list, path and pool.
  let cache = privilegeCache.get(principal.acl)
  if (cache === undefined) {
    cache = new Map()
    privilegeCache.set(principal.acl, cache)
  }
  const key = pool === undefined ? target : `${target}|${pool}`
  const cached = cache.get(key)
  if (cached !== undefined) return cached
  const fromTree = (aclPath: string): Set<string> => {
    const segments = aclPath === "/" ? [] : aclPath.slice(1).split("/")
    let result: ReadonlyArray<{ privs: Array<string> }> = []
    let prefix = ""
    for (let depth = 0; depth <= segments.length; depth++) {
      prefix = depth === 0 ? "/" : `${prefix === "/" ? "" : prefix}/${segments[depth - 1]}`
      const entries = index.get(prefix)
      if (entries === undefined) continue
      const exact = depth === segments.length
      const applicable = exact ? entries : entries.filter((entry) => entry.propagate)
      if (applicable.length > 0) result = applicable
    }
    return new Set(result.flatMap((entry) => entry.privs))
  }
  const privileges = fromTree(target)
  if (pool !== undefined) for (const priv of fromTree(`/pool/${pool}`)) privileges.add(priv)
  cache.set(key, privileges)
  return privileges
}

interface Account {
  readonly secret: string
  readonly acl: ReadonlyArray<AclEntry>
}

export interface AuthOptions {
  readonly seed: number
  readonly ticketLifetimeMs: number
  readonly now: () => number
}

export type AuthResult =
  | { readonly _tag: "ok"; readonly principal: Principal; readonly via: "token" | "ticket" }
  | { readonly _tag: "unauthorized"; readonly reason: string }

const base64NoPad = (buffer: Buffer): string => buffer.toString("base64").replace(/=+$/, "")

export const makeAuth = (options: AuthOptions) => {
  const key = `pve-sim-auth-key-${options.seed}`
  const tokens = new Map<string, Account>()
  const users = new Map<string, Account>()
  /**
   * Issue time (ms) of every ticket handed out, so lifetimes are exact rather than second-rounded, and its place in
   * the order of issue: expiring "every ticket so far" goes by that order, since a login can follow in the same ms.
   */
  const issued = new Map<string, { readonly at: number; readonly order: number }>()
  let issuedSoFar = 0
  let expiredUpTo = 0

  const sign = (text: string): string => createHmac("sha256", key).update(text).digest("base64")

  const safeEqual = (a: string, b: string): boolean => {
    const left = Buffer.from(a)
    const right = Buffer.from(b)
    return left.length === right.length && timingSafeEqual(left, right)
  }

  const userPrincipal = (userid: string): Principal => ({
    authid: userid,
    userid,
    tokenName: undefined,
    acl: users.get(userid)?.acl ?? [],
    superuser: userid === "root@pam"
  })

  const issueTicket = (userid: string) => {
    const time = options.now()
    const hex = hex8(Math.floor(time / 1000))
    const plain = `PVE:${userid}:${hex}`
    const ticket = `${plain}::${sign(plain)}`
    issued.set(ticket, { at: time, order: ++issuedSoFar })
    const csrf = `${hex}:${base64NoPad(createHmac("sha256", key).update(`${hex}:${userid}`).digest())}`
    return { ticket, csrf }
  }

  /** The user a ticket belongs to, if it is ours, unexpired and not revoked. */
  const verifyTicket = (ticket: string): string | undefined => {
    const match = /^PVE:([^:]+):([0-9A-F]{8})::(.+)$/.exec(ticket)
    if (!match) return undefined
    if (!safeEqual(match[3]!, sign(`PVE:${match[1]}:${match[2]}`))) return undefined
    const issue = issued.get(ticket)
    if (issue === undefined || issue.order <= expiredUpTo || options.now() - issue.at >= options.ticketLifetimeMs)
      return undefined
    return match[1]
  }

  const verifyCsrf = (token: string, userid: string): boolean => {
    const match = /^([0-9A-F]{8}):(.+)$/.exec(token)
    if (!match) return false
    const expected = base64NoPad(createHmac("sha256", key).update(`${match[1]}:${userid}`).digest())
    const age = options.now() / 1000 - Number.parseInt(match[1]!, 16)
    return safeEqual(match[2]!, expected) && age > -300 && age < options.ticketLifetimeMs / 1000 + 1
  }

  const cookieTicket = (headers: Readonly<Record<string, string>>): string | undefined => {
    const cookie = headers.cookie
    if (cookie !== undefined) {
      for (const part of cookie.split(";")) {
        const [name, ...rest] = part.trim().split("=")
        if (name === "PVEAuthCookie") {
          try {
            return decodeURIComponent(rest.join("="))
          } catch {
            return rest.join("=")
          }
        }
      }
    }
    const authorization = headers.authorization
    if (authorization?.startsWith("PVEAuthCookie=")) return authorization.slice("PVEAuthCookie=".length)
    return undefined
  }

  /** Auth stage of pveproxy: headers → principal, or the 401 reason phrase. */
  const authenticate = (method: string, headers: Readonly<Record<string, string>>): AuthResult => {
    const authorization = headers.authorization
    const token = authorization === undefined ? undefined : /^PVEAPIToken[= ](.*)$/s.exec(authorization)
    if (token) {
      const split = /^(.*)=(.*)$/s.exec(token[1]!)
      const account = split ? tokens.get(split[1]!) : undefined
      if (!split || account === undefined || !safeEqual(split[2]!, account.secret)) {
        return { _tag: "unauthorized", reason: "Authentication failed!" }
      }
      const tokenid = split[1]!
      const [userid = "", tokenName] = tokenid.split("!")
      return {
        _tag: "ok",
        via: "token",
        principal: { authid: tokenid, userid, tokenName, acl: account.acl, superuser: false }
      }
    }
    const ticket = cookieTicket(headers)
    if (ticket === undefined) return { _tag: "unauthorized", reason: "No ticket" }
    const userid = verifyTicket(ticket)
    if (userid === undefined) return { _tag: "unauthorized", reason: "Authentication failed!" }
    if (method !== "GET") {
      const csrf = headers.csrfpreventiontoken
      if (csrf === undefined || !verifyCsrf(csrf, userid)) {
        return { _tag: "unauthorized", reason: "Permission denied - invalid csrf token" }
      }
    }
    return { _tag: "ok", via: "ticket", principal: userPrincipal(userid) }
  }

  /** `POST /access/ticket`: password login, or renewal with a valid ticket as password. */
  const login = (username: string, password: string, realm: string | undefined) => {
    const userid = username.includes("@") || realm === undefined ? username : `${username}@${realm}`
    const account = users.get(userid)
    const renewing = password.startsWith("PVE:") && verifyTicket(password) === userid
    if (!renewing && (account === undefined || !safeEqual(password, account.secret))) return undefined
    return { userid, ...issueTicket(userid), principal: userPrincipal(userid) }
  }

  return {
    addToken: (tokenid: string, secret: string, acl: ReadonlyArray<AclEntry>): void => {
      tokens.set(tokenid, { secret, acl })
    },
    addUser: (userid: string, password: string, acl: ReadonlyArray<AclEntry>): void => {
      users.set(userid, { secret: password, acl })
    },
    authenticate,
    login,
    /** Every ticket issued so far becomes invalid. */
    expireTickets: (): void => {
      expiredUpTo = issuedSoFar
    }
  }
}

export type Auth = ReturnType<typeof makeAuth>
