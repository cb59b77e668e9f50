// v2 cpu controller: cpu.weight (from OCI shares), cpu.max (from quota/period), cpu.idle; stats
// from cpu.stat (already in microseconds on v2).
import type { Resources } from '../../spec/types';
import { MiniconError } from '../../errors';
import { parseKeyed, readOptional, writeCgroupFile } from '../files';
import { sharesToWeight, toCpuMax } from '../convert';

export function apply(dir: string, cpu: Resources['cpu']): void {
  if (!cpu) return;
  if (cpu.realtimeRuntime || cpu.realtimePeriod) {
    throw new MiniconError('cgroup cpu: realtime runtime/period need cgroup v1 (v2 has no cpu.rt_* files)', { step: 'cgroup cpu' });
  }
  if (cpu.shares) writeCgroupFile(dir, 'cpu.weight', String(sharesToWeight(cpu.shares)));
  const max = toCpuMax(cpu.quota, cpu.period);
  if (max !== undefined) writeCgroupFile(dir, 'cpu.max', max, 'EINVAL: quota must be >= 1000 us and period between 1000 us and 1 s');
  if (cpu.idle != null) writeCgroupFile(dir, 'cpu.idle', String(cpu.idle));
}

export function stats(dir: string): { usageUsec: number; throttledPeriods?: number; throttledUsec?: number } {
  // cpu.stat exists in every v2 cgroup (usage_usec even without the cpu controller enabled).
  const s = parseKeyed(readOptional(dir, 'cpu.stat') ?? '');
  return { usageUsec: s.usage_usec ?? 0, throttledPeriods: s.nr_throttled, throttledUsec: s.throttled_usec };
}
