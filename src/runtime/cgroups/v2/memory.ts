// v2 memory controller: memory.max, memory.low, memory.swap.max; stats from memory.current,
// memory.peak (kernel >= 5.19) and memory.events.
import type { Resources } from '../../spec/types';
import { MiniconError } from '../../errors';
import { exists, parseKeyed, readCgroupFile, readNumber, readOptional, writeCgroupFile } from '../files';
import { parseLimit, swapToV2, toV2Limit } from '../convert';

export function apply(dir: string, mem: Resources['memory']): void {
  if (!mem) return;
  if (mem.swappiness != null || mem.disableOOMKiller) {
    // Not silently dropped: v2 has no per-cgroup swappiness and no way to disable the OOM killer.
    throw new MiniconError('cgroup memory: memory.swappiness and disableOOMKiller need cgroup v1 (v2 has no such files)', {
      step: 'cgroup memory', hint: 'remove linux.resources.memory.swappiness / disableOOMKiller from config.json',
    });
  }
  // OCI swap is memory+swap; v2 memory.swap.max is swap alone: swap - limit (see convert.ts).
  const swap = swapToV2(mem.swap, mem.limit);
  // On v2 memory.max and memory.swap.max are independent limits, so (unlike v1) the order does not
  // matter; we keep runc's fs2 order: swap, memory, low.
  if (swap !== undefined) {
    // Without swap accounting (swapaccount=0, or no swap) the file is missing: nothing to limit.
    if (exists(`${dir}/memory.swap.max`)) writeCgroupFile(dir, 'memory.swap.max', toV2Limit(swap));
  }
  if (mem.limit) writeCgroupFile(dir, 'memory.max', toV2Limit(mem.limit), 'EBUSY: the cgroup uses more memory than the new limit and could not reclaim it');
  // Reservation -> memory.low (best-effort protection), as runc does.
  if (mem.reservation) writeCgroupFile(dir, 'memory.low', toV2Limit(mem.reservation));
}

export interface MemoryStats { usage: number; limit?: number; maxUsage?: number; oomKills?: number }

export function stats(dir: string): MemoryStats {
  const peak = readOptional(dir, 'memory.peak');
  const events = readOptional(dir, 'memory.events');
  return {
    usage: readNumber(dir, 'memory.current'),
    limit: parseLimit(readCgroupFile(dir, 'memory.max')),
    maxUsage: peak === undefined ? undefined : Number(peak),
    oomKills: events === undefined ? undefined : parseKeyed(events).oom_kill,
  };
}
