// `start`: releases a created container to execve, through its monitor.
import { kernelError, MiniconError } from '../errors';
import { hintFor } from './hints';
import type { Hooks } from '../spec/types';
import { send } from './monitor-client';
import { runHooks } from './hooks';
import { canStart, Status } from './status';
import { ContainerRecord, ociState, openContainer, stateDir, withLock } from './store';

export function start(root: string, id: string, trace?: (line: string) => void): ContainerRecord {
  return withLock(root, id, () => startLocked(root, id, trace));
}

function startLocked(root: string, id: string, trace?: (line: string) => void): ContainerRecord {
  const { rec, status: st } = openContainer(root, id);
  if (!canStart(st)) throw new MiniconError(`cannot start container "${id}": it is ${st}`, { hint: st === Status.Stopped ? `\`minicon delete ${id}\`, then create it again` : undefined });
  const ns = requestStart(root, id, rec.hooks)();
  trace?.(`execve ${(ns / 1e6).toFixed(3)} ms after clone`);
  runPoststart(rec);
  return rec;
}

export function runPoststart(rec: ContainerRecord): void {
  runHooks('poststart', rec.hooks?.poststart, JSON.stringify(ociState(rec, Status.Running)));
}

/** The monitor answers once execve ran, after the startContainer hooks: wait as long as they may. */
function startTimeout(hooks: Hooks | undefined): number {
  const list = hooks?.startContainer ?? [];
  if (list.some((h) => !h.timeout)) return 2 ** 31 - 1;
  return 10000 + list.reduce((ms, h) => ms + h.timeout! * 1000, 0);
}

const START_REFUSALS: Record<string, string> = {
  'already-started': 'it has already been started',
  'container-gone': 'its process has gone',
  'exited-before-start': 'its process exited before it could start',
};

/**
 * Asks the monitor now to let pid 1 execve; the returned function waits for the answer, returns
 * the time from clone to execve in ns, and throws if execve did not happen. (`run` asks as soon as
 * pid 1 exists and waits after READY.)
 */
export function requestStart(root: string, id: string, hooks?: Hooks): () => number {
  const request = send(stateDir(root, id), 'start', startTimeout(hooks));
  return () => {
    const reply = request.reply();
    if (reply.startsWith('ok')) return Number(reply.split(' ')[1] ?? 0);
    // "error <errno> <ERRNAME> <step index> <syscall> <path>"
    const [word, , errname, index, syscall, ...path] = reply.split(' ');
    if (word !== 'error' || !syscall) throw new MiniconError(`start: the monitor answered "${reply}"`);
    const p = path.join(' ');
    if (syscall === 'start') throw new MiniconError(`cannot start container "${id}": ${START_REFUSALS[p] ?? p}`, { errno: errname });
    throw kernelError(`start: step ${Number(index) + 1}`, syscall, p === '-' ? undefined : p, errname, hintFor(syscall, errname));
  };
}
