/**
 * The appliance index (`GET /nodes/{node}/aplinfo`, pveam's list): container templates from
 * download.proxmox.com and TurnKey Linux, with the fields PVE's aplinfo.dat carries. Their sha512sum is what the
 * simulated download computes for the location, so downloading an entry with its checksum succeeds.
 */
import type { Route } from "../routing.js"
import { simulatedChecksum } from "./storage.js"

interface Appliance {
  readonly template: string
  readonly section: "system" | "turnkeylinux" | "mail"
  readonly os: string
  readonly version: string
  readonly headline: string
  readonly description: string
}

const APPLIANCES: ReadonlyArray<Appliance> = [
  {
    template: "debian-13-standard_13.1-2_amd64.tar.zst",
    section: "system",
    os: "debian-13",
    version: "13.1-2",
    headline: "Debian 13 (standard)",
    description: "A small Debian Trixie system including all standard packages."
  },
  {
    template: "debian-12-standard_12.12-1_amd64.tar.zst",
    section: "system",
    os: "debian-12",
    version: "12.12-1",
    headline: "Debian 12 (standard)",
    description: "A small Debian Bookworm system including all standard packages."
  },
  {
    template: "ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
    section: "system",
    os: "ubuntu-24.04",
    version: "24.04-2",
    headline: "Ubuntu 24.04 Noble (standard)",
    description: "A small Ubuntu 24.04 Noble Numbat system including all standard packages."
  },
  {
    template: "ubuntu-22.04-standard_22.04-1_amd64.tar.zst",
    section: "system",
    os: "ubuntu-22.04",
    version: "22.04-1",
    headline: "Ubuntu 22.04 Jammy (standard)",
    description: "A small Ubuntu 22.04 Jammy Jellyfish system including all standard packages."
  },
  {
    template: "alpine-3.22-default_20250617_amd64.tar.xz",
    section: "system",
    os: "alpine",
    version: "3.22-default",
    headline: "Alpine Linux 3.22 (default)",
    description: "A small Alpine Linux 3.22 system."
  },
  {
    template: "rockylinux-9-default_20240912_amd64.tar.xz",
    section: "system",
    os: "rockylinux",
    version: "9-default",
    headline: "Rocky Linux 9 (default)",
    description: "A small Rocky Linux 9 system."
  },
  {
    template: "almalinux-9-default_20240911_amd64.tar.xz",
    section: "system",
    os: "almalinux",
    version: "9-default",
    headline: "AlmaLinux 9 (default)",
    description: "A small AlmaLinux 9 system."
  },
  {
    template: "fedora-42-default_20250428_amd64.tar.xz",
    section: "system",
    os: "fedora",
    version: "42-default",
    headline: "Fedora 42 (default)",
    description: "A small Fedora 42 system."
  },
  {
    template: "archlinux-base_20240911-1_amd64.tar.zst",
    section: "system",
    os: "archlinux",
    version: "base-20240911-1",
    headline: "Arch Linux base",
    description: "An Arch Linux base system."
  },
  {
    template: "opensuse-15.6-default_20240910_amd64.tar.xz",
    section: "system",
    os: "opensuse",
    version: "15.6-default",
    headline: "openSUSE Leap 15.6 (default)",
    description: "A small openSUSE Leap 15.6 system."
  },
  {
    template: "centos-9-stream-default_20240828_amd64.tar.xz",
    section: "system",
    os: "centos",
    version: "9-stream-default",
    headline: "CentOS 9 Stream (default)",
    description: "A small CentOS 9 Stream system."
  },
  {
    template: "debian-12-turnkey-wordpress_18.1-1_amd64.tar.gz",
    section: "turnkeylinux",
    os: "debian-12",
    version: "18.1-1",
    headline: "TurnKey WordPress",
    description: "WordPress - Blog Publishing Platform on a TurnKey Linux base."
  },
  {
    template: "debian-12-turnkey-nextcloud_18.1-1_amd64.tar.gz",
    section: "turnkeylinux",
    os: "debian-12",
    version: "18.1-1",
    headline: "TurnKey Nextcloud",
    description: "Nextcloud - Share and Collaborate on a TurnKey Linux base."
  },
  {
    template: "debian-12-turnkey-gitlab_18.0-1_amd64.tar.gz",
    section: "turnkeylinux",
    os: "debian-12",
    version: "18.0-1",
    headline: "TurnKey GitLab",
    description: "GitLab - Self Hosted Git Repository Management."
  },
  {
    template: "debian-12-turnkey-mediawiki_18.1-1_amd64.tar.gz",
    section: "turnkeylinux",
    os: "debian-12",
    version: "18.1-1",
    headline: "TurnKey MediaWiki",
    description: "MediaWiki - Wikipedia's wiki engine."
  },
  {
    template: "debian-12-turnkey-lamp_18.0-1_amd64.tar.gz",
    section: "turnkeylinux",
    os: "debian-12",
    version: "18.0-1",
    headline: "TurnKey LAMP Stack",
    description: "LAMP Stack - Web Stack (MySQL) with Apache, MySQL/MariaDB, PHP."
  },
  {
    template: "debian-12-turnkey-nginx-php-fastcgi_18.0-1_amd64.tar.gz",
    section: "turnkeylinux",
    os: "debian-12",
    version: "18.0-1",
    headline: "TurnKey Nginx PHP FastCGI Server",
    description: "Nginx PHP FastCGI Server - Lightweight Web Server."
  },
  {
    template: "proxmox-mailgateway-8.2-standard_8.2-1_amd64.tar.zst",
    section: "mail",
    os: "debian-12",
    version: "8.2-1",
    headline: "Proxmox Mail Gateway 8.2",
    description: "Proxmox Mail Gateway: the full-featured mail proxy, in a container."
  }
]

export const applianceLocation = (appliance: Pick<Appliance, "template" | "section">): string =>
  appliance.section === "turnkeylinux"
    ? `http://mirror.turnkeylinux.org/turnkeylinux/images/proxmox/${appliance.template}`
    : `http://download.proxmox.com/images/${appliance.section}/${appliance.template}`

const entry = (appliance: Appliance): Record<string, unknown> => {
  const location = applianceLocation(appliance)
  const name = appliance.template.split("_")[0]!
  return {
    type: "lxc",
    package: name,
    template: appliance.template,
    section: appliance.section,
    os: appliance.os,
    version: appliance.version,
    headline: appliance.headline,
    description: appliance.description,
    location,
    source: location,
    infopage:
      appliance.section === "turnkeylinux"
        ? `https://www.turnkeylinux.org/${name.replace("debian-12-turnkey-", "")}`
        : "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions",
    architecture: "amd64",
    maintainer:
      appliance.section === "turnkeylinux"
        ? "Stefan Davis <stefan@turnkeylinux.org>"
        : "Proxmox Support Team <support@proxmox.com>",
    md5sum: simulatedChecksum(location, "md5"),
    sha512sum: simulatedChecksum(location, "sha512")
  }
}

const list: Route = () => ({ data: APPLIANCES.map(entry) })

export const applianceRoutes: Record<string, Route> = {
  "GET /nodes/{node}/aplinfo": list
}
