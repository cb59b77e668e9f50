// The one cgroup manager interface. v1 (legacy and hybrid layouts) and v2 (unified) implement it;
// each controller lives in its own file under v1/ or v2/ and takes a directory path, so its logic
// can be tested on a temporary directory.
import type { Resources } from '../spec/types';

export type Layout = 'unified' | 'legacy' | 'hybrid';

export interface CgroupStats {
  memory?: { usage: number; limit?: number; maxUsage?: number; oomKills?: number; failcnt?: number };
  cpu?: { usageUsec: number; throttledPeriods?: number; throttledUsec?: number };
  /** maxEvents: forks refused because of pids.max (pids.events "max") */
  pids?: { current: number; limit?: number; maxEvents?: number };
}

export interface CgroupManager {
  readonly layout: Layout;
  /** controller name -> absolute directory of this container's cgroup ('' is the v2 directory) */
  readonly paths: Record<string, string>;
  /** mkdir every directory (idempotent); v1 cpuset gets cpus/mems from its parent, v2 enables controllers */
  create(): void;
  apply(resources: Resources): void;
  addProcess(pid: number): void;
  /** pids in the cgroup (v2 cgroup.procs; v1 the pids or memory hierarchy) */
  pids(): number[];
  stats(): CgroupStats;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /**
   * Signals every process in the cgroup (default SIGKILL). v2 uses cgroup.kill for SIGKILL when the
   * kernel has it; otherwise each pid of cgroup.procs is signalled (v1 freezes first, so no task can
   * fork a new one between the read and the signal, then thaws).
   */
  kill(signal?: NodeJS.Signals | number): void;
  /** removes every directory; waits briefly for exiting tasks; idempotent (missing is fine) */
  destroy(): void;
}
