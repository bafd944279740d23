/** `POST /access/ticket` (login and renewal) and `GET /access/permissions`. */
import { ALL_PRIVILEGES, normalizePath, privilegesOn } from "../auth.js"
import { type Route, SimHttpError } from "../routing.js"

/** The `cap` object of a login answer: privileges per top-level area. */
const capabilities = (privileges: ReadonlySet<string>) => {
  const area = (prefixes: ReadonlyArray<string>, extra: ReadonlyArray<string> = []) =>
    Object.fromEntries(
      ALL_PRIVILEGES.filter(
        (priv) => privileges.has(priv) && (prefixes.some((prefix) => priv.startsWith(prefix)) || extra.includes(priv))
      ).map((priv) => [priv, 1])
    )
  return {
    vms: area(["VM."], ["Permissions.Modify"]),
    storage: area(["Datastore."], ["Permissions.Modify"]),
    nodes: area(["Sys."], ["Permissions.Modify"]),
    access: area(["User.", "Group."], ["Permissions.Modify"]),
    dc: area(["SDN."], ["Sys.Audit"]),
    sdn: area(["SDN."], ["Permissions.Modify"]),
    mapping: area(["Mapping."], ["Permissions.Modify"])
  }
}

const ticket: Route = (ctx) => {
  const session = ctx.state.auth.login(ctx.str("username"), ctx.str("password"), ctx.optStr("realm"))
  if (session === undefined) throw new SimHttpError(401, "authentication failure\n")
  return {
    data: {
      username: session.userid,
      ticket: session.ticket,
      CSRFPreventionToken: session.csrf,
      clustername: ctx.model.clusterName,
      cap: capabilities(privilegesOn(session.principal, "/"))
    }
  }
}

const permissions: Route = (ctx) => {
  const path = ctx.optStr("path")
  const paths =
    path !== undefined
      ? [normalizePath(path)]
      : [
          "/",
          "/vms",
          "/storage",
          "/nodes",
          "/access",
          "/pool",
          ...[...ctx.model.guests.keys()].slice(0, 200).map((vmid) => `/vms/${vmid}`)
        ]
  const data: Record<string, Record<string, number>> = {}
  for (const p of paths) {
    const privileges = privilegesOn(ctx.principal, p, (vmid) => ctx.model.guests.get(vmid)?.pool)
    if (privileges.size > 0) data[p] = Object.fromEntries([...privileges].sort().map((priv) => [priv, 1]))
  }
  return { data }
}

export const accessRoutes: Record<string, Route> = {
  "POST /access/ticket": ticket,
  "GET /access/permissions": permissions
}
