// v1 memory controller: memory.limit_in_bytes, memory.soft_limit_in_bytes, memory.memsw.limit_in_bytes.
import type { Resources } from '../../spec/types';
import { MiniconError } from '../../errors';
import { exists, parseKeyed, readCgroupFile, readNumber, readOptional, writeCgroupFile } from '../files';
import { parseLimit } from '../convert';

type Memory = NonNullable<Resources['memory']>;

const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';

export interface Write { file: string; value: string }

/**
 * The ordered writes for memory limit + swap, as runc's setMemoryAndSwap.
 *
 * v1 keeps memsw (memory+swap) >= memory at every moment, so the ORDER of the two writes matters:
 *   - new memsw is -1, or the current limit is below the new memsw: write memsw FIRST (raising memsw
 *     first makes room for the new memory limit; writing memory first could exceed the old memsw);
 *   - otherwise (memsw is being lowered below the current limit): write memory FIRST, then memsw.
 * Values: OCI limit/swap 0 (or unset) = leave alone, -1 = unlimited. OCI swap is memory+swap, which
 * is exactly v1's memsw, so it is written as is.
 *
 * hasMemsw: memory.memsw.limit_in_bytes exists (swap accounting is on). Without it a swap value is
 * skipped: v1 has no other place to put it. currentLimit: read only when both values are set.
 */
export function planMemoryWrites(mem: Memory, hasMemsw: boolean, currentLimit: () => number): Write[] {
  const limit = mem.limit ?? 0;
  let swap = mem.swap ?? 0;
  // Unlimited memory with swap unset means "unlimited memory+swap too" (runc).
  if (limit === -1 && swap === 0) swap = -1;
  if (!hasMemsw) swap = 0;
  const w: Write[] = [];
  const m = (): void => void w.push({ file: LIMIT, value: String(limit) });
  const s = (): void => void w.push({ file: MEMSW, value: String(swap) });
  if (limit !== 0 && swap !== 0) {
    if (swap === -1 || currentLimit() < swap) { s(); m(); } else { m(); s(); }
  } else {
    if (limit !== 0) m();
    if (swap !== 0) s();
  }
  return w;
}

export function apply(dir: string, mem: Resources['memory']): void {
  if (!mem) return;
  if (mem.limit !== undefined && mem.limit < -1) throw invalid('limit', mem.limit);
  if (mem.swap !== undefined && mem.swap < -1) throw invalid('swap', mem.swap);
  const needSwapFile = (mem.swap ?? 0) !== 0 || mem.limit === -1;
  const hasMemsw = needSwapFile && exists(`${dir}/${MEMSW}`);
  for (const { file, value } of planMemoryWrites(mem, hasMemsw, () => readNumber(dir, LIMIT))) {
    writeCgroupFile(dir, file, value,
      file === LIMIT ? 'EBUSY: the cgroup already uses more memory than the new limit; EINVAL: memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes'
        : 'EINVAL: memory+swap must be >= memory.limit_in_bytes');
  }
  // Reservation: a soft limit, reclaimed towards under memory pressure.
  if (mem.reservation) writeCgroupFile(dir, 'memory.soft_limit_in_bytes', String(mem.reservation));
  if (mem.swappiness != null) {
    if (mem.swappiness < 0 || mem.swappiness > 100) throw invalid('swappiness', mem.swappiness);
    writeCgroupFile(dir, 'memory.swappiness', String(mem.swappiness));
  }
  if (mem.disableOOMKiller) writeCgroupFile(dir, 'memory.oom_control', '1');
  // memory.kmem.* (kernel, kernelTCP) are deprecated and ignored by the kernel since 5.x-6.x; runc
  // 1.2 ignores them too, and so do we.
}

function invalid(field: string, v: number): MiniconError {
  return new MiniconError(`cgroup memory: invalid linux.resources.memory.${field} ${v}`, { step: 'cgroup memory' });
}

export interface MemoryStats { usage: number; limit?: number; maxUsage?: number; oomKills?: number; failcnt?: number }

export function stats(dir: string): MemoryStats {
  const oom = readOptional(dir, 'memory.oom_control');
  return {
    usage: readNumber(dir, 'memory.usage_in_bytes'),
    limit: parseLimit(readCgroupFile(dir, LIMIT)),
    maxUsage: readNumber(dir, 'memory.max_usage_in_bytes'),
    failcnt: readNumber(dir, 'memory.failcnt'),
    oomKills: oom === undefined ? undefined : parseKeyed(oom).oom_kill,
  };
}
