// The cgroup v2 manager (unified layout): one directory, /sys/fs/cgroup/minicon/<relative path>.
//
// The no-internal-process rule: a cgroup that has controllers enabled for its children
// (cgroup.subtree_control) may not hold processes itself, except the root. So processes only ever go
// into the container's leaf directory; the root and every intermediate directory get "+memory +cpu
// +pids +cpuset" (those the level offers in its cgroup.controllers) in cgroup.subtree_control, and
// never a process.
import * as path from 'path';
import * as fs from 'fs';
import type { Resources } from '../../spec/types';
import type { CgroupManager, CgroupStats, Layout } from '../manager';
import { MiniconError } from '../../errors';
import { mkdirError, mkdirOnce, parsePids, readCgroupFile, rmdirIfUnused, rmdirRetry, signalPids, writeCgroupFile } from '../files';
import { DEFAULT_ROOT, SUBTREE } from '../layout';
import * as memory from './memory';
import * as cpu from './cpu';
import * as cpuset from './cpuset';
import * as pids from './pids';
import * as freezer from './freeze';
import * as devices from './devices';

export const WANTED_CONTROLLERS = ['cpu', 'cpuset', 'memory', 'pids'];

/** Enables the wanted controllers that dir offers (cgroup.controllers) and has not yet enabled. */
export function enableControllers(dir: string, wanted: string[] = WANTED_CONTROLLERS): void {
  const available = new Set(readCgroupFile(dir, 'cgroup.controllers').split(/\s+/));
  const enabled = new Set(readCgroupFile(dir, 'cgroup.subtree_control').split(/\s+/));
  const missing = wanted.filter((c) => available.has(c) && !enabled.has(c));
  if (missing.length === 0) return;
  writeCgroupFile(dir, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '),
    'EBUSY: this cgroup holds processes, and cgroup v2 only lets a cgroup without processes (or the root) enable controllers for its children (the no-internal-process rule)');
}

export class V2Manager implements CgroupManager {
  readonly layout: Layout = 'unified';
  readonly paths: Record<string, string>;
  private readonly dir: string;
  private readonly root: string;

  constructor(dir: string, root: string = DEFAULT_ROOT) {
    this.dir = dir;
    this.root = root;
    this.paths = { '': dir };
  }

  private get top(): string {
    return `${this.root}/${SUBTREE}`;
  }

  create(): void {
    const rel = path.relative(this.root, this.dir);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new MiniconError(`create cgroup: ${this.dir} is not below ${this.root}`, { step: 'create cgroup', path: this.dir });
    }
    const segments = rel.split('/');
    // Retried on ENOENT: another container's destroy() may remove a shared intermediate meanwhile.
    for (let attempt = 0; ; attempt++) {
      let cur = this.root;
      try {
        for (const seg of segments) {
          enableControllers(cur); // the root and each intermediate, down to the container's parent
          const next = `${cur}/${seg}`;
          try {
            mkdirOnce(next);
          } catch (err) {
            throw mkdirError(next, err);
          }
          cur = next;
        }
        return;
      } catch (err) {
        const retry = err instanceof MiniconError && err.detail.errno === 'ENOENT' && attempt < 3 && cur !== this.root;
        if (!retry) throw err;
      }
    }
  }

  apply(r: Resources): void {
    devices.filterRules(r.devices); // validates the rules before anything is written
    memory.apply(this.dir, r.memory);
    cpu.apply(this.dir, r.cpu);
    cpuset.apply(this.dir, r.cpu);
    pids.apply(this.dir, r.pids);
    // linux.resources.unified: raw "file": "value" pairs written as is (runc does the same).
    for (const [file, value] of Object.entries(r.unified ?? {})) {
      if (!/^[a-z0-9_]+\.[a-z0-9_.]+$/.test(file) || file.startsWith('cgroup.')) {
        throw new MiniconError(`cgroup unified: invalid file name "${file}"`, { step: 'cgroup unified', hint: 'use a controller file such as "memory.high"' });
      }
      writeCgroupFile(this.dir, file, value);
    }
    if (r.devices && r.devices.length > 0) devices.apply(this.dir, r.devices);
  }

  addProcess(pid: number): void {
    writeCgroupFile(this.dir, 'cgroup.procs', String(pid), 'ESRCH: the process has exited; EBUSY: the cgroup has children with controllers enabled');
  }

  pids(): number[] {
    try {
      return parsePids(readCgroupFile(this.dir, 'cgroup.procs'));
    } catch (err) {
      if (err instanceof MiniconError && err.detail.errno === 'ENOENT') return [];
      throw err;
    }
  }

  stats(): CgroupStats {
    const s: CgroupStats = { cpu: cpu.stats(this.dir) };
    if (fs.existsSync(`${this.dir}/memory.current`)) s.memory = memory.stats(this.dir);
    if (fs.existsSync(`${this.dir}/pids.current`)) s.pids = pids.stats(this.dir);
    return s;
  }

  freeze(): void {
    freezer.freeze(this.dir);
  }

  thaw(): void {
    freezer.thaw(this.dir);
  }

  isFrozen(): boolean {
    return fs.existsSync(this.dir) ? freezer.isFrozen(this.dir) : false;
  }

  /**
   * SIGKILL through cgroup.kill (kernel >= 5.14) when present; else freeze, signal each pid, thaw
   * (a container that was already paused stays paused).
   */
  kill(signal: NodeJS.Signals | number = 'SIGKILL'): void {
    if ((signal === 'SIGKILL' || signal === 9) && fs.existsSync(`${this.dir}/cgroup.kill`)) {
      writeCgroupFile(this.dir, 'cgroup.kill', '1');
      return;
    }
    let frozen = false;
    if (fs.existsSync(this.dir) && !freezer.isFrozen(this.dir)) {
      try {
        freezer.freeze(this.dir);
        frozen = true;
      } catch {
        // signal anyway
      }
    }
    try {
      signalPids(this.pids(), signal);
    } finally {
      if (frozen) freezer.thaw(this.dir);
    }
  }

  /**
   * rmdir the leaf (retrying briefly on EBUSY), then every now-empty directory above it inside the
   * minicon subtree, up to and including root/minicon; never the root. EBUSY/ENOTEMPTY there means
   * another container still uses it, and ends the walk quietly.
   */
  destroy(): void {
    rmdirRetry(this.dir);
    const top = this.top;
    let cur = path.dirname(this.dir);
    while (cur === top || cur.startsWith(top + '/')) {
      if (!rmdirIfUnused(cur)) return;
      cur = path.dirname(cur);
    }
  }
}
