// `start`: releases a created container to execve, through its monitor.
import { kernelError, MiniconError } from '../errors';
import { cgroupsFromPaths } from '../cgroups';
import { hintFor } from './hints';
import { ask } from './monitor-client';
import { runHooks } from './hooks';
import { canStart, Status } from './status';
import { ContainerRecord, ociState, readRecord, stateDir, status } from './store';

export async function start(root: string, id: string): Promise<ContainerRecord> {
  const rec = readRecord(root, id);
  const st = status(root, rec, () => cgroupsFromPaths(rec.cgroup.layout, rec.cgroup.paths).isFrozen());
  if (!canStart(st)) throw new MiniconError(`cannot start container "${id}": it is ${st}`, { hint: st === Status.Stopped ? `\`minicon delete ${id}\`, then create it again` : undefined });
  const reply = await ask(stateDir(root, id), 'start');
  if (reply !== 'ok') {
    // "error <errno> <ERRNAME> <step index> <syscall> <path>"
    const [, , errname, index, syscall, ...path] = reply.split(' ');
    if (!errname) throw new MiniconError(`start: the monitor answered "${reply}"`);
    const p = path.join(' ');
    throw kernelError(`start: step ${Number(index) + 1}`, syscall, p === '-' ? undefined : p, errname, hintFor(syscall, errname));
  }
  runHooks('poststart', rec.hooks?.poststart, JSON.stringify(ociState(rec, Status.Running)));
  return rec;
}
