/**
 * The reviewed table of credential names: parameters and result fields whose values are secrets. It is kept
 * by hand from the candidates `npx tsx scripts/secret-candidates.ts` finds in vendor/pve-api/apidata.json;
 * every candidate is either here or in NOT_SECRET_NAMES with the reason, and a test fails on any schema name
 * that is in neither (so a schema update cannot bring an unreviewed secret). Names are exact (PVE's are
 * case-sensitive); `secretNamePattern` also catches password-like names of other PVE versions.
 */
import { oncePerString } from "./oncePer.js"

export interface SecretName {
  readonly name: string
  /** what the value is, where the schema has it */
  readonly why: string
  /**
   * Only at these endpoint templates (a name that is a secret in one place and plain data elsewhere). Where the
   * endpoint is not known, the name counts as a secret in parameters, and in answers inside an object that
   * also has one of `recognisedBy`.
   */
  readonly onlyAt?: ReadonlyArray<string>
  readonly recognisedBy?: ReadonlyArray<string>
}

export const SECRET_NAMES: ReadonlyArray<SecretName> = [
  { name: "password", why: "login, LDAP bind, SMTP, VNC, new user and cluster-join root passwords" },
  { name: "confirmation-password", why: "the current password, given to change a password" },
  { name: "cipassword", why: "cloud-init password of the guest user" },
  { name: "generate-password", why: "deprecated vncproxy flag; matched by the password rule, harmless to hide" },
  { name: "secret", why: "webhook notification secrets" },
  { name: "token", why: "InfluxDB (metrics server) and Gotify access tokens" },
  { name: "key", why: "PEM private key (custom certificate), subscription key, SDN DNS API key" },
  { name: "signature", why: "signature of an offline subscription key" },
  { name: "keyring", why: "Ceph client keyring of an external RBD/CephFS storage" },
  { name: "encryption-key", why: "Proxmox Backup Server client encryption key (also in POST /storage's answer)" },
  { name: "eab-hmac-key", why: "ACME External Account Binding HMAC key" },
  { name: "client-key", why: "OpenID Connect client secret of a realm" },
  {
    name: "data",
    why: "ACME DNS plugin data: the DNS provider's API credentials",
    onlyAt: ["/cluster/acme/plugins", "/cluster/acme/plugins/{id}"],
    recognisedBy: ["api", "plugin"]
  },
  { name: "input-data", why: "stdin for a command run by the guest agent (passwords are typically fed this way)" },
  { name: "totp", why: "TOTP URI, which carries the shared second-factor secret" },
  { name: "recovery", why: "TFA recovery codes" },
  { name: "challenge", why: "TFA U2F/WebAuthn registration challenge or its answer" },
  { name: "keys", why: "Yubico OTP key ids of a user's second factor" },
  { name: "otp", why: "one-time password of a login" },
  { name: "tfa-challenge", why: "signed TFA challenge of a login" },
  { name: "ticket", why: "login, VNC, terminal and migration-tunnel tickets" },
  { name: "vncticket", why: "VNC ticket for the websocket" },
  { name: "CSRFPreventionToken", why: "CSRF token handed out with a login ticket" },
  { name: "corosync_authkey", why: "the cluster's corosync authentication key" },
  { name: "http_proxy", why: "download proxy URL; its description says it may carry username:password" }
]

/** Candidate names of the schema that were reviewed and are not credentials, with the reason. */
export const NOT_SECRET_NAMES: Readonly<Record<string, string>> = {
  Key: "an APT repository file's option names (deb822 keys), not key material",
  authid: "a user or token id: an identity, not its secret",
  author: "author of notification mails",
  authsupported: "a storage's supported auth methods",
  boot: "boot order",
  cert: "path to the client certificate of a console proxy",
  certificates: "PEM certificate chain: public",
  certkey: "path to the LDAP client certificate's key file, not the key",
  ciuser: "cloud-init user name",
  "config-keys": "names of Ceph config keys",
  crypted: "flag: the password is already crypt()ed",
  "eab-kid": "ACME External Account Binding key identifier (not the HMAC key)",
  "err-data": "stderr of a guest agent command",
  expire: "expiry time of a user or token",
  force: "flag",
  full: "flag",
  "full-tokenid": "a token's id, not its secret",
  host: "host name or address",
  hotplug: "hotplug features",
  iface: "network interface name",
  id: "identifiers",
  keyboard: "keyboard layout",
  keyctl: "container feature flag",
  "lock-token": "handle of the SDN configuration lock, not a credential",
  mapping: "id of a cluster resource mapping",
  "master-pubkey": "public RSA key that encrypts a copy of the PBS encryption key",
  "ms-cert": "marker of the enrolled Microsoft UEFI certificates",
  origin: "WebAuthn origin URL",
  "out-data": "stdout of a guest agent command",
  "pre-enrolled-keys": "flag: EFI vars with the distribution's keys enrolled",
  privs: "privilege names",
  privsep: "flag: token privilege separation",
  "public-key-bits": "a certificate's public key size",
  "public-key-type": "a certificate's public key algorithm",
  "release-lock": "flag",
  rp: "WebAuthn relying party name",
  "skip-cert-verification": "flag",
  "ssh-public-keys": "public SSH keys",
  sshkeys: "public SSH keys (cloud-init)",
  stopwait: "timeout",
  sync_attributes: "LDAP attribute mapping",
  "target-disk": "config key of a disk",
  "target-volume": "config key of a volume",
  "token-coefficient": "corosync token timeout coefficient",
  tokenid: "a token's id, not its secret",
  tokens: "list of a user's API tokens: ids and options, no secrets",
  "totp-locked": "flag: the user is locked out of TOTP",
  u2f: "U2F configuration (app id, origin)",
  unprivileged: "flag",
  user: "user names",
  userid: "user ids",
  username: "user names",
  value:
    "a value column: secret only where its row's key names a secret (value-keyed rows, e.g. /pending) or at endpoints the generic API tools refuse (new token secrets, TFA)",
  "verify-certificate": "flag",
  "verify-certificates": "flag",
  webauthn: "WebAuthn configuration (relying party, origin, id)"
}

/** Password-like names a PVE version other than the vendored schema may use. */
export const secretNamePattern = /passw(or)?d|passphrase|secret|private-?key/i

/** The reviewed entry of a name, if any. */
export const secretNameEntry = (name: string): SecretName | undefined => secretNames.get(name)

const secretNames = new Map(SECRET_NAMES.map((entry) => [entry.name, entry]))

/**
 * Whether a parameter or field of this name holds a credential: a name of the reviewed table (above),
 * or a password-like name. `template` is the endpoint when known; a name that is a secret only at some
 * endpoints counts as one wherever the endpoint is unknown.
 */
export const isSecretName = (name: string, template?: string): boolean => {
  const entry = secretNames.get(name)
  if (entry === undefined) return passwordLike(name)
  return entry.onlyAt === undefined || template === undefined || entry.onlyAt.includes(template)
}

// Every field of every answer row is asked about (10,000 rows of /cluster/resources a page): the few names PVE
// uses are remembered, up to a bound that a hostile answer's invented names cannot push memory past.
const passwordLike = oncePerString((name) => secretNamePattern.test(name), 4096)
