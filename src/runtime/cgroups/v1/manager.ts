// The cgroup v1 manager (legacy and hybrid layouts): one directory per mounted hierarchy.
//
// Placement: in every hierarchy the container's cgroup is created INSIDE the cgroup this process was
// started in (/proc/self/cgroup), never above it: base/<relative path>. Co-mounted controllers
// (cpu,cpuacct) share one directory, so every directory operation runs once per distinct directory.
// In the hybrid layout nothing is created in /sys/fs/cgroup/unified.
import * as path from 'path';
import * as fs from 'fs';
import type { Resources } from '../../spec/types';
import type { CgroupManager, CgroupStats, Layout } from '../manager';
import { MiniconError } from '../../errors';
import { mkdirError, mkdirOnce, parsePids, readCgroupFile, rmdirIfUnused, rmdirRetry, signalPids, writeCgroupFile } from '../files';
import { DEFAULT_ROOT, readSelfCgroup, SUBTREE, v1Hierarchies, type V1Controller, type V1Hierarchy } from '../layout';
import * as memory from './memory';
import * as cpu from './cpu';
import * as cpuacct from './cpuacct';
import * as cpuset from './cpuset';
import * as pids from './pids';
import * as freezer from './freezer';
import * as devices from './devices';

export interface V1Context {
  /** where each hierarchy is mounted and where this process lives in it (from openCgroups) */
  hierarchies?: Partial<Record<V1Controller, V1Hierarchy>>;
  /** cgroup mount root, for recomputing hierarchies when reopened (default /sys/fs/cgroup) */
  root?: string;
  /** /proc/self/cgroup text to use instead of reading it (tests) */
  selfCgroup?: string;
}

export class V1Manager implements CgroupManager {
  readonly layout: Layout;
  readonly paths: Record<string, string>;
  private hierarchies?: Partial<Record<V1Controller, V1Hierarchy>>;
  private readonly ctx: V1Context;
  /** directories this instance's create() made (so destroy may remove them when empty) */
  private readonly created = new Set<string>();

  constructor(layout: Layout, paths: Record<string, string>, ctx: V1Context = {}) {
    if (layout === 'unified') throw new MiniconError('cgroup: the v1 manager cannot run on the unified layout');
    this.layout = layout;
    this.paths = paths;
    this.ctx = ctx;
    this.hierarchies = ctx.hierarchies;
  }

  /** Distinct directories (cpu and cpuacct may share one). */
  private dirs(): string[] {
    return [...new Set(Object.values(this.paths))];
  }

  create(): void {
    const done = new Set<string>();
    for (const [controller, dir] of Object.entries(this.paths)) {
      if (done.has(dir)) continue;
      done.add(dir);
      this.mkdirChain(dir, this.hierarchy(controller as V1Controller)?.base);
    }
    // A new v1 cpuset cgroup is empty: give it (and new parents) the parent's cpus/mems before any
    // process joins, or cgroup.procs writes fail with ENOSPC.
    if (this.paths.cpuset) cpuset.ensure(this.paths.cpuset);
  }

  /**
   * mkdir -p, remembering what we created. Another container's destroy() may remove a shared
   * intermediate ("minicon") between our mkdirs: an ENOENT is retried a few times.
   */
  private mkdirChain(dir: string, base: string | undefined): void {
    for (let attempt = 0; ; attempt++) {
      const missing: string[] = [];
      let cur = dir;
      while (!fs.existsSync(cur)) {
        missing.unshift(cur);
        const up = path.dirname(cur);
        if (up === cur) break;
        cur = up;
      }
      // Only ever below an existing cgroup: never mkdir into the tmpfs that holds the mount points
      // (a hierarchy that is not mounted, e.g. paths reopened from state.json after a reboot).
      const inBase = base !== undefined && (cur === base || cur.startsWith(base + '/'));
      if (missing.length > 0 && !inBase && !fs.existsSync(`${cur}/cgroup.procs`)) {
        throw new MiniconError(`create cgroup: ${cur} is not a cgroup directory (is the hierarchy mounted?)`, {
          step: 'create cgroup', syscall: 'mkdir', path: missing[0], hint: 'check the cgroup mounts under /sys/fs/cgroup',
        });
      }
      let failed: { dir: string; err: unknown } | undefined;
      for (const d of missing) {
        try {
          if (mkdirOnce(d)) this.created.add(d);
        } catch (err) {
          failed = { dir: d, err };
          break;
        }
      }
      if (!failed) return;
      if ((failed.err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw mkdirError(failed.dir, failed.err);
    }
  }

  private need(controller: V1Controller): string {
    const dir = this.paths[controller];
    if (!dir) {
      throw new MiniconError(`cgroup ${controller}: the ${controller} controller is not mounted on this host (cgroup v1)`, {
        step: `cgroup ${controller}`, hint: `remove the ${controller} settings from linux.resources, or mount the ${controller} hierarchy`,
      });
    }
    return dir;
  }

  apply(r: Resources): void {
    const m = r.memory;
    if (m && (m.limit || m.swap || m.reservation || m.swappiness != null || m.disableOOMKiller)) memory.apply(this.need('memory'), m);
    const c = r.cpu;
    if (c && (c.shares || c.quota || c.period || c.realtimePeriod || c.realtimeRuntime)) cpu.apply(this.need('cpu'), c);
    if (c && (c.cpus || c.mems)) cpuset.apply(this.need('cpuset'), c);
    if (r.pids) pids.apply(this.need('pids'), r.pids);
    if (r.devices && r.devices.length > 0) devices.apply(this.need('devices'), r.devices);
    if (r.unified && Object.keys(r.unified).length > 0) {
      throw new MiniconError('cgroup: linux.resources.unified needs cgroup v2 (this host uses cgroup v1 for its controllers)', {
        step: 'cgroup unified', hint: 'use the v1 fields of linux.resources instead',
      });
    }
  }

  addProcess(pid: number): void {
    // cpuset first: the one hierarchy that can refuse a task (ENOSPC when empty).
    const order = this.paths.cpuset ? [this.paths.cpuset, ...this.dirs().filter((d) => d !== this.paths.cpuset)] : this.dirs();
    for (const dir of order) writeCgroupFile(dir, 'cgroup.procs', String(pid), 'ESRCH: the process has exited; ENOSPC: empty cpuset');
  }

  pids(): number[] {
    const dir = this.paths.pids ?? this.paths.memory ?? this.dirs()[0];
    if (!dir) return [];
    try {
      return parsePids(readCgroupFile(dir, 'cgroup.procs'));
    } catch (err) {
      if (err instanceof MiniconError && err.detail.errno === 'ENOENT') return [];
      throw err;
    }
  }

  stats(): CgroupStats {
    const s: CgroupStats = {};
    if (this.paths.memory) s.memory = memory.stats(this.paths.memory);
    if (this.paths.cpuacct) s.cpu = { ...cpuacct.stats(this.paths.cpuacct), ...(this.paths.cpu ? cpu.stats(this.paths.cpu) : {}) };
    if (this.paths.pids) s.pids = pids.stats(this.paths.pids);
    return s;
  }

  freeze(): void {
    freezer.freeze(this.need('freezer'));
  }

  thaw(): void {
    freezer.thaw(this.need('freezer'));
  }

  isFrozen(): boolean {
    return this.paths.freezer ? freezer.isFrozen(this.paths.freezer) : false;
  }

  /**
   * Freeze, signal every pid, thaw (runc's signalAllProcesses): no task can fork in between. A
   * container that was already paused stays paused (a SIGKILLed task still dies once thawed).
   */
  kill(signal: NodeJS.Signals | number = 'SIGKILL'): void {
    // an empty cgroup (the usual case when a stopped container is deleted): nothing to freeze
    if (this.pids().length === 0) return;
    let frozen = false;
    if (this.paths.freezer && fs.existsSync(this.paths.freezer) && !freezer.isFrozen(this.paths.freezer)) {
      try {
        freezer.freeze(this.paths.freezer);
        frozen = true;
      } catch {
        // signal anyway
      }
    }
    try {
      signalPids(this.pids(), signal);
    } finally {
      if (frozen) freezer.thaw(this.paths.freezer);
    }
  }

  destroy(): void {
    let first: unknown;
    for (const dir of this.dirs()) {
      try {
        rmdirRetry(dir);
      } catch (err) {
        first ??= err;
      }
    }
    if (first) throw first;
    for (const [controller, dir] of Object.entries(this.paths)) this.removeIntermediates(controller as V1Controller, dir);
  }

  /**
   * Removes now-empty parents of a container directory: those this instance created, and the default
   * "minicon" directory (a reopened manager cannot know who created it). Never at or above the cgroup
   * this process was started in, never the hierarchy root; EBUSY/ENOTEMPTY (another container still
   * uses it) ends the walk quietly.
   */
  private removeIntermediates(controller: V1Controller, dir: string): void {
    const h = this.hierarchy(controller);
    if (!h) return;
    let cur = path.dirname(dir);
    while (cur.startsWith(h.mount + '/')) {
      if (cur === h.base || h.base.startsWith(cur + '/')) return;
      if (!this.created.has(cur) && path.basename(cur) !== SUBTREE) return;
      if (!rmdirIfUnused(cur)) return;
      cur = path.dirname(cur);
    }
  }

  private hierarchy(controller: V1Controller): V1Hierarchy | undefined {
    if (!this.hierarchies) {
      let text = this.ctx.selfCgroup;
      if (text === undefined) {
        try {
          text = readSelfCgroup();
        } catch {
          text = '';
        }
      }
      this.hierarchies = v1Hierarchies(this.ctx.root ?? DEFAULT_ROOT, text);
    }
    return this.hierarchies[controller];
  }
}
