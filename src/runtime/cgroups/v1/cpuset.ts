// v1 cpuset controller: cpuset.cpus, cpuset.mems.
//
// A new v1 cpuset cgroup starts EMPTY (unless cgroup.clone_children is set), and a task cannot join a
// cpuset with no cpus or no mems (ENOSPC). So every directory on the way down gets its parent's
// values before anything joins, as runc's cpuset ensureParent/copyIfNeeded does.
import * as path from 'path';
import type { Resources } from '../../spec/types';
import { readOptional, writeCgroupFile } from '../files';

/**
 * Makes dir joinable: when its cpuset.cpus or cpuset.mems is empty, first makes sure the parent has
 * values (recursively, up to the first non-empty ancestor; the hierarchy root is never empty), then
 * copies the parent's values down. Returns dir's values afterwards, so each level is read once.
 * A directory without cpuset files (above the mount, or a fixture without them) is left alone.
 */
export function ensure(dir: string): { cpus: string; mems: string } | undefined {
  const cpus = readOptional(dir, 'cpuset.cpus');
  const mems = readOptional(dir, 'cpuset.mems');
  if (cpus === undefined || mems === undefined) return undefined;
  if (cpus !== '' && mems !== '') return { cpus, mems };
  const parent = path.dirname(dir);
  const p = parent === dir ? undefined : ensure(parent);
  if (!p) return { cpus, mems };
  if (cpus === '' && p.cpus !== '') writeCgroupFile(dir, 'cpuset.cpus', p.cpus);
  if (mems === '' && p.mems !== '') writeCgroupFile(dir, 'cpuset.mems', p.mems);
  return { cpus: cpus || p.cpus, mems: mems || p.mems };
}

export function apply(dir: string, cpu: Resources['cpu']): void {
  if (!cpu) return;
  if (cpu.cpus) writeCgroupFile(dir, 'cpuset.cpus', cpu.cpus, 'EINVAL: the cpus must be a subset of the parent\'s cpuset.cpus');
  if (cpu.mems) writeCgroupFile(dir, 'cpuset.mems', cpu.mems, 'EINVAL: the mems must be a subset of the parent\'s cpuset.mems');
}
