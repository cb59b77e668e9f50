// `delete`: removes a stopped (or only created) container; --force kills it first. Leaves nothing:
// no process, no cgroup, no state directory. Works on half-made containers too (a CLI killed during
// create), which is what --force is for.
import { MiniconError } from '../errors';
import { isSameProcess } from '../../kernel/proc';
import { waitForExit } from './monitor';
import { runHooks } from './hooks';
import { signalPid } from './kill';
import { canDelete, Status } from './status';
import { ociState, openContainer, readRecord, removeStateDir, withLock } from './store';

export function remove(root: string, id: string, force = false, warn: (msg: string) => void = () => {}): void {
  readRecord(root, id); // "does not exist" before any lock
  withLock(root, id, () => removeLocked(root, id, force, warn));
}

function removeLocked(root: string, id: string, force: boolean, warn: (msg: string) => void): void {
  const { rec, cg, status: st } = openContainer(root, id);
  if (!canDelete(st) && !force) {
    throw new MiniconError(`cannot delete container "${id}": it is ${st}`, { hint: `stop it first (\`minicon kill ${id} KILL\`) or use \`minicon delete --force ${id}\`` });
  }
  // the cgroup holds every process of the container (frozen while signalled, so none escapes by
  // forking); it is emptied whatever the status says: processes may outlive pid 1 (no pid
  // namespace), and its rmdir needs it empty. runc does the same.
  try { cg.kill('SIGKILL'); } catch { /* no cgroup left */ }
  if (st !== Status.Stopped) {
    if (rec.pid !== undefined) { try { signalPid(rec.pid, rec.pidStartTime, 9); } catch { /* gone */ } }
    if (st === Status.Paused) cg.thaw(); // frozen tasks cannot act on SIGKILL until thawed
    if (rec.pid !== undefined) waitGone(rec.pid, rec.pidStartTime, 5000);
  }
  // the monitor records the exit and leaves; let it finish before its directory goes
  if (rec.monitorPid !== undefined) waitGone(rec.monitorPid, rec.monitorStartTime, 2000);
  try {
    runHooks('poststop', rec.hooks?.poststop, JSON.stringify(ociState(rec, Status.Stopped)));
  } catch (e) {
    warn(`${(e as Error).message} (the container is deleted anyway, as the OCI spec asks)`);
  }
  cg.destroy();
  removeStateDir(root, id);
}

function waitGone(pid: number, startTime: string | undefined, timeoutMs: number): void {
  if (isSameProcess(pid, startTime)) waitForExit(pid, timeoutMs);
}
