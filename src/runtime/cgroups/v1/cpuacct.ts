// v1 cpuacct controller: accounting only. cpuacct.usage is the total CPU time of the cgroup in ns.
import { readCgroupFile } from '../files';

export function stats(dir: string): { usageUsec: number } {
  return { usageUsec: Math.floor(Number(readCgroupFile(dir, 'cpuacct.usage')) / 1000) };
}
