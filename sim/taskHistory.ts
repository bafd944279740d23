/**
 * Past tasks on a fresh cluster: a few days of finished workers per node (nightly backups, package updates,
 * starts, migrations, snapshots) with a mix of OK, WARNINGS and errors, so "what failed last night?" has an answer.
 * Their own random stream: seeding history does not shift the values the rest of the generated cluster gets.
 */
import type { SeededRandom } from "./generate.js"
import { type ClusterModel, exitStatusOf, finalLogLine, formatUpid, type Task, type TaskOutcome } from "./model.js"

interface PastTask {
  readonly type: string
  readonly id: string
  readonly user: string
  readonly durationSeconds: number
  readonly lines: ReadonlyArray<string>
  readonly outcome: TaskOutcome
}

const DAY = 86_400

const vzdumpLines = (vmid: string, outcome: TaskOutcome): ReadonlyArray<string> => [
  `INFO: starting new backup job: vzdump ${vmid} --mode snapshot --storage nfs-shared --compress zstd --mailnotification always --quiet 1`,
  `INFO: Starting Backup of VM ${vmid} (qemu)`,
  "INFO: status = running",
  "INFO: include disk 'scsi0' 'local-lvm:vm-" + vmid + "-disk-0' 32G",
  "INFO: creating vzdump archive '/mnt/pve/nfs-shared/dump/vzdump-qemu-" + vmid + ".vma.zst'",
  "INFO:  25% (8.0 GiB of 32.0 GiB) in 41s, read: 199.8 MiB/s, write: 120.3 MiB/s",
  "INFO:  62% (19.9 GiB of 32.0 GiB) in 1m 38s, read: 212.4 MiB/s, write: 118.0 MiB/s",
  ...(outcome._tag === "warnings"
    ? ["WARNING: guest-agent fs-freeze timed out after 60 seconds, continuing without freeze"]
    : []),
  ...(outcome._tag === "error"
    ? [
        "ERROR: job failed with err -5 - Input/output error",
        `ERROR: Backup of VM ${vmid} failed - job failed with err -5 - Input/output error`
      ]
    : [
        "INFO: 100% (32.0 GiB of 32.0 GiB) in 2m 31s, read: 216.9 MiB/s, write: 119.2 MiB/s",
        "INFO: backup is sparse: 18.4 GiB (57%) total zero data"
      ]),
  `INFO: Finished Backup of VM ${vmid}`,
  "INFO: Backup job finished"
]

/** What one node did in one day; `night` is 02:00 of that day (epoch seconds). */
const dayOf = (
  node: string,
  first: boolean,
  vmids: ReadonlyArray<string>,
  dayIndex: number,
  random: SeededRandom
): Array<PastTask & { readonly at: number }> => {
  const tasks: Array<PastTask & { readonly at: number }> = []
  const ok: TaskOutcome = { _tag: "ok" }
  const nightly = vmids.slice(0, 3)
  for (const [index, vmid] of nightly.entries()) {
    const roll = random.next()
    // the most recent night on the first node always has a failure and a warning to find
    const outcome: TaskOutcome =
      first && dayIndex === 0 && index === 0
        ? { _tag: "error", message: "job errors" }
        : first && dayIndex === 0 && index === 1
          ? { _tag: "warnings", count: 1 }
          : roll < 0.06
            ? { _tag: "error", message: "job errors" }
            : roll < 0.15
              ? { _tag: "warnings", count: 1 }
              : ok
    tasks.push({
      at: 2 * 3600 + index * 300,
      type: "vzdump",
      id: vmid,
      user: "root@pam",
      durationSeconds: 120 + random.int(0, 180),
      lines: vzdumpLines(vmid, outcome),
      outcome
    })
  }
  tasks.push({
    at: 4 * 3600 + random.int(0, 1800),
    type: "aptupdate",
    id: "",
    user: "root@pam",
    durationSeconds: random.int(5, 40),
    lines: [
      "starting apt-get update",
      "Hit:1 http://deb.debian.org/debian trixie InRelease",
      "Get:2 http://security.debian.org/debian-security trixie-security InRelease [43.4 kB]",
      "Hit:3 http://download.proxmox.com/debian/pve trixie InRelease",
      "Reading package lists...",
      ...(random.next() < 0.2
        ? [
            "W: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  Temporary failure resolving 'deb.debian.org'"
          ]
        : [])
    ],
    outcome: ok
  })
  const vmid = vmids[random.int(0, Math.max(0, vmids.length - 1))] ?? "100"
  const daytime = (): number => 8 * 3600 + random.int(0, 10 * 3600)
  const startFails = random.next() < 0.25
  tasks.push({
    at: daytime(),
    type: "qmstart",
    id: vmid,
    user: "root@pam",
    durationSeconds: random.int(1, 6),
    lines: startFails
      ? [
          "kvm: -drive file=/dev/pve/vm-" +
            vmid +
            "-disk-0: Could not open '/dev/pve/vm-" +
            vmid +
            "-disk-0': No such file or directory"
        ]
      : [],
    outcome: startFails ? { _tag: "error", message: "start failed: QEMU exited with code 1" } : ok
  })
  tasks.push({
    at: daytime(),
    type: "vncproxy",
    id: vmid,
    user: "admin@pve",
    durationSeconds: random.int(30, 900),
    lines: ["connection timed out"].slice(0, random.next() < 0.5 ? 1 : 0),
    outcome: ok
  })
  tasks.push({
    at: daytime(),
    type: "qmsnapshot",
    id: vmid,
    user: "admin@pve",
    durationSeconds: random.int(1, 20),
    lines: ["snapshotting 'drive-scsi0' (local-lvm:vm-" + vmid + "-disk-0)"],
    outcome: ok
  })
  if (random.next() < 0.5) {
    const fails = random.next() < 0.3
    tasks.push({
      at: daytime(),
      type: "qmigrate",
      id: vmid,
      user: "root@pam",
      durationSeconds: random.int(20, 300),
      lines: [
        `starting migration of VM ${vmid} to node '${node === "pve1" ? "pve2" : "pve1"}'`,
        ...(fails
          ? [
              `migration aborted (duration 00:00:12): can't migrate local disk 'local-lvm:vm-${vmid}-disk-0': can't live migrate attached local disks without with-local-disks option`
            ]
          : ["migration finished successfully (duration 00:01:07)"])
      ],
      outcome: fails ? { _tag: "error", message: "migration aborted" } : ok
    })
  }
  return tasks
}

/** Adds `days` days of finished tasks to every node, oldest first, before any task the routes start. */
export const seedTaskHistory = (model: ClusterModel, random: SeededRandom, now: number, days = 3): void => {
  const today = Math.floor(now / 1000 / DAY) * DAY
  const past: Array<Task> = []
  for (const node of model.nodes.values()) {
    const vmids = [...model.guests.values()]
      .filter((guest) => guest.node === node.name)
      .map((guest) => String(guest.vmid))
      .slice(0, 8)
    if (vmids.length === 0) continue
    let pid = 10_000 + node.nodeid * 7_919
    for (let day = 0; day < days; day++) {
      // day 0 is the last night before now (today's 02:00 if that has passed, else yesterday's)
      const base = today - day * DAY - (now / 1000 - today < 5 * 3600 ? DAY : 0)
      for (const spec of dayOf(node.name, node.nodeid === 1, vmids, day, random)) {
        const starttime = base + spec.at
        if (starttime + spec.durationSeconds >= now / 1000) continue
        pid += 1 + random.int(0, 40)
        const pstart = Math.max(1, Math.floor((starttime * 1000 - node.bootedAt) / 10))
        const upid = formatUpid({
          node: node.name,
          pid,
          pstart,
          starttime,
          type: spec.type,
          id: spec.id,
          user: spec.user
        })
        const duration = spec.durationSeconds * 1000
        const step = duration / (spec.lines.length + 1)
        past.push({
          upid,
          node: node.name,
          pid,
          pstart,
          starttime,
          type: spec.type,
          id: spec.id,
          user: spec.user,
          startedAt: starttime * 1000,
          finishAt: starttime * 1000 + duration,
          lines: [
            ...spec.lines.map((text, index) => ({ at: Math.floor(step * index), text })),
            { at: duration, text: finalLogLine(spec.outcome) }
          ],
          outcome: spec.outcome,
          onSuccess: undefined,
          onEnd: undefined,
          finished: true,
          endtime: starttime + spec.durationSeconds,
          exitstatus: exitStatusOf(spec.outcome)
        })
      }
    }
  }
  past.sort((a, b) => a.starttime - b.starttime)
  for (const task of past) model.tasks.set(task.upid, task)
  model.taskOrder.unshift(...past)
}
