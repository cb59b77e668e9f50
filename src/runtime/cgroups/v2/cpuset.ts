// v2 cpuset controller: cpuset.cpus, cpuset.mems. Unlike v1, an empty value means "use the parent's
// effective set", so nothing needs copying on create.
import type { Resources } from '../../spec/types';
import { writeCgroupFile } from '../files';

export function apply(dir: string, cpu: Resources['cpu']): void {
  if (!cpu) return;
  if (cpu.cpus) writeCgroupFile(dir, 'cpuset.cpus', cpu.cpus);
  if (cpu.mems) writeCgroupFile(dir, 'cpuset.mems', cpu.mems);
}
