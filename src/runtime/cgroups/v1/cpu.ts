// v1 cpu controller: cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us, cpu.rt_period_us, cpu.rt_runtime_us.
import type { Resources } from '../../spec/types';
import { MiniconError } from '../../errors';
import { parseKeyed, readOptional, writeCgroupFile } from '../files';

type Cpu = NonNullable<Resources['cpu']>;

function isEinval(err: unknown): boolean {
  return err instanceof MiniconError && err.detail.errno === 'EINVAL';
}

export function apply(dir: string, cpu: Resources['cpu']): void {
  if (!cpu) return;
  // Shares: the kernel clamps to [2, 262144] silently.
  if (cpu.shares) writeCgroupFile(dir, 'cpu.shares', String(cpu.shares));
  // Realtime: period before runtime (runtime must fit the period).
  if (cpu.realtimePeriod) writeCgroupFile(dir, 'cpu.rt_period_us', String(cpu.realtimePeriod));
  if (cpu.realtimeRuntime) writeCgroupFile(dir, 'cpu.rt_runtime_us', String(cpu.realtimeRuntime));
  applyCfs(dir, cpu);
}

/**
 * CFS bandwidth, as runc: the PERIOD first, then the quota. The kernel may reject a smaller period
 * with EINVAL (old quota / new period would exceed the parent's bandwidth); if a quota is also being
 * set, runc ignores that error, writes the quota, then writes the period again.
 * quota -1 = unlimited; 0/unset = leave alone.
 */
function applyCfs(dir: string, cpu: Cpu): void {
  let retryPeriod = false;
  if (cpu.period) {
    try {
      writeCgroupFile(dir, 'cpu.cfs_period_us', String(cpu.period));
    } catch (err) {
      if (!isEinval(err) || !cpu.quota) throw err;
      retryPeriod = true;
    }
  }
  if (cpu.quota) {
    writeCgroupFile(dir, 'cpu.cfs_quota_us', String(cpu.quota), 'EINVAL: quota must be -1 or >= 1000 us and fit the parent\'s bandwidth');
    if (retryPeriod) writeCgroupFile(dir, 'cpu.cfs_period_us', String(cpu.period));
  }
}

/** Throttling counters from cpu.stat (throttled_time is in ns on v1). */
export function stats(dir: string): { throttledPeriods?: number; throttledUsec?: number } {
  const text = readOptional(dir, 'cpu.stat');
  if (text === undefined) return {};
  const s = parseKeyed(text);
  return {
    throttledPeriods: s.nr_throttled,
    throttledUsec: s.throttled_time === undefined ? undefined : Math.floor(s.throttled_time / 1000),
  };
}
