// Read-only commands (`state`, `list`, `ps`) and the freezer (`pause`, `resume`).
import { commandLine } from '../../kernel/proc';
import { MiniconError } from '../errors';
import { listIds, ociState, openContainer, withLock } from './store';
import { canPause, canResume, Status } from './status';

export function stateOf(root: string, id: string) {
  const { rec, status } = openContainer(root, id);
  return ociState(rec, status);
}

export function list(root: string) {
  const out = [];
  for (const id of listIds(root)) {
    try { out.push(stateOf(root, id)); } catch { /* removed meanwhile, or not ours */ }
  }
  return out;
}

export function processes(root: string, id: string): { pid: number; args: string[] }[] {
  const { cg, status } = openContainer(root, id);
  if (status === Status.Stopped) throw new MiniconError(`container "${id}" is not running`);
  return cg.pids().sort((a, b) => a - b).map((pid) => ({ pid, args: commandLine(pid) }));
}

export function pause(root: string, id: string): void {
  withLock(root, id, () => {
    const { cg, status } = openContainer(root, id);
    if (!canPause(status)) throw new MiniconError(`cannot pause container "${id}": it is ${status}`);
    cg.freeze();
  });
}

export function resume(root: string, id: string): void {
  withLock(root, id, () => {
    const { cg, status } = openContainer(root, id);
    if (!canResume(status)) throw new MiniconError(`cannot resume container "${id}": it is ${status}`);
    cg.thaw();
  });
}
