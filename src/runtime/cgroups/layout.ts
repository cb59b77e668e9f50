// Which cgroup layout this machine has, and where this process lives in it.
//
//   unified  /sys/fs/cgroup is cgroup2 (it has cgroup.controllers): Ubuntu 24.04, the learners' VM
//   hybrid   v1 hierarchies under /sys/fs/cgroup/<controller>, plus cgroup2 at /sys/fs/cgroup/unified
//            (often with no controllers): this build machine
//   legacy   v1 hierarchies only
//
// Detection only tests for files (no mount table parsing, no statfs), so it also works on fixture trees.
import * as fs from 'fs';
import type { Layout } from './manager';

export const DEFAULT_ROOT = '/sys/fs/cgroup';

/** MiniCon's directory name: v2 subtree root/minicon, v1 default intermediate <own>/minicon/<id>. */
export const SUBTREE = 'minicon';

/** The v1 controllers MiniCon manages (blkio, net_cls, ... are left alone). */
export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'freezer', 'devices'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export function detectLayout(root: string = DEFAULT_ROOT): Layout {
  if (fs.existsSync(`${root}/cgroup.controllers`)) return 'unified';
  if (fs.existsSync(`${root}/unified/cgroup.controllers`) && hasV1Hierarchy(root)) return 'hybrid';
  return 'legacy';
}

function hasV1Hierarchy(root: string): boolean {
  for (const c of V1_CONTROLLERS) if (fs.existsSync(`${root}/${c}/cgroup.procs`)) return true;
  return false;
}

export interface ProcCgroupLine {
  /** hierarchy id; 0 is the v2 (unified) hierarchy */
  hierarchy: number;
  /** ["cpu", "cpuacct"] for "cpu,cpuacct"; ["name=systemd"]; [] for the v2 line */
  controllers: string[];
  /** path inside that hierarchy, e.g. "/process_api/c6dc..." */
  path: string;
}

/** Parses /proc/self/cgroup ("4:memory:/a/b", "1:cpu,cpuacct:/", "9:name=systemd:/", "0::/user.slice/..."). */
export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const out: ProcCgroupLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const list = line.slice(a + 1, b);
    // The path may itself contain ':' (it is the rest of the line).
    out.push({ hierarchy: Number(line.slice(0, a)), controllers: list ? list.split(',') : [], path: line.slice(b + 1) });
  }
  return out;
}

/**
 * controller -> own cgroup path, from /proc/self/cgroup text. Co-mounted controllers each get an
 * entry ("cpu" and "cpuacct"); named hierarchies keep their name ("name=systemd"); the v2 line is ''.
 */
export function ownCgroups(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of parseProcCgroup(text)) {
    if (l.controllers.length === 0) out[''] = l.path;
    else for (const c of l.controllers) out[c] = l.path;
  }
  return out;
}

export interface V1Hierarchy {
  /** mount point of the hierarchy, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup/cpu,cpuacct */
  mount: string;
  /** this process's cgroup in it, e.g. "/process_api/c6dc..." or "/" */
  own: string;
  /** mount + own: the directory this process was started in */
  base: string;
}

/**
 * For each managed v1 controller that is mounted, where its hierarchy is and where this process is in
 * it. The mount is root/<joined list> ("cpu,cpuacct") or root/<controller> (often a symlink to it);
 * a candidate counts only if it holds cgroup.procs.
 */
export function v1Hierarchies(root: string, selfCgroupText: string): Partial<Record<V1Controller, V1Hierarchy>> {
  const out: Partial<Record<V1Controller, V1Hierarchy>> = {};
  const managed = new Set<string>(V1_CONTROLLERS);
  for (const l of parseProcCgroup(selfCgroupText)) {
    const mine = l.controllers.filter((c) => managed.has(c)) as V1Controller[];
    if (mine.length === 0) continue;
    const candidates = [l.controllers.join(','), ...mine];
    let mount: string | undefined;
    for (const name of candidates) {
      if (fs.existsSync(`${root}/${name}/cgroup.procs`)) {
        mount = `${root}/${name}`;
        break;
      }
    }
    if (!mount) continue;
    const own = l.path || '/';
    const base = own === '/' ? mount : mount + own;
    for (const c of mine) out[c] = { mount, own, base };
  }
  return out;
}

export function readSelfCgroup(): string {
  return fs.readFileSync('/proc/self/cgroup', 'utf8');
}
