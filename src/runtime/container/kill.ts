// `kill`: a signal to the container's pid 1 through a pidfd (no pid-reuse race), or with --all to
// every process in its cgroup.
import { constants } from 'os';
import { MiniconError, kernelError } from '../errors';
import { startTime } from '../../kernel/proc';
import { native } from '../native';
import { canKill } from './status';
import { openContainer, withLock } from './store';

/** "KILL", "SIGKILL", "kill", "9" -> 9 */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
    const n = (constants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw new MiniconError(`unknown signal "${s}"`, { hint: 'use a name such as TERM, SIGKILL or a number from 1 to 64' });
}

export function kill(root: string, id: string, signal: number, all = false): void {
  withLock(root, id, () => killLocked(root, id, signal, all));
}

function killLocked(root: string, id: string, signal: number, all: boolean): void {
  const { rec, cg, status: st } = openContainer(root, id);
  if (!canKill(st)) throw new MiniconError(`cannot kill container "${id}": it is ${st}`);
  if (all) { cg.kill(signal); return; }
  signalPid(rec.pid!, rec.pidStartTime, signal);
}

/** Signals exactly the recorded process: open a pidfd, check it is still the same process, send. */
export function signalPid(pid: number, pidStartTime: string | undefined, signal: number): void {
  const n = native();
  let fd: number;
  try { fd = n.pidfdOpen(pid); } catch (e) { throw kernelError('kill', 'pidfd_open', String(pid), (e as NodeJS.ErrnoException).code ?? 'ESRCH', 'the container has exited'); }
  try {
    if (pidStartTime !== undefined && startTime(pid) !== pidStartTime) throw new MiniconError(`pid ${pid} now belongs to another process: the container has exited`);
    n.pidfdSendSignal(fd, signal);
  } catch (e) {
    if (e instanceof MiniconError) throw e;
    throw kernelError('kill', 'pidfd_send_signal', String(pid), (e as NodeJS.ErrnoException).code ?? 'EINVAL');
  } finally {
    n.close(fd);
  }
}
