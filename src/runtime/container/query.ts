// Read-only commands: `state`, `list`, `ps`.
import { cgroupsFromPaths } from '../cgroups';
import { commandLine } from '../../kernel/proc';
import { MiniconError } from '../errors';
import { listIds, ociState, readRecord, status } from './store';
import { Status } from './status';

export function stateOf(root: string, id: string) {
  const rec = readRecord(root, id);
  const st = status(root, rec, () => cgroupsFromPaths(rec.cgroup.layout, rec.cgroup.paths).isFrozen());
  return ociState(rec, st);
}

export function list(root: string) {
  const out = [];
  for (const id of listIds(root)) {
    try { out.push(stateOf(root, id)); } catch { /* removed meanwhile, or not ours */ }
  }
  return out;
}

export function processes(root: string, id: string): { pid: number; args: string[] }[] {
  const rec = readRecord(root, id);
  const cg = cgroupsFromPaths(rec.cgroup.layout, rec.cgroup.paths);
  if (status(root, rec, () => cg.isFrozen()) === Status.Stopped) throw new MiniconError(`container "${id}" is not running`);
  return cg.pids().sort((a, b) => a - b).map((pid) => ({ pid, args: commandLine(pid) }));
}

export function pause(root: string, id: string): void {
  const rec = readRecord(root, id);
  const cg = cgroupsFromPaths(rec.cgroup.layout, rec.cgroup.paths);
  const st = status(root, rec, () => cg.isFrozen());
  if (st !== Status.Running) throw new MiniconError(`cannot pause container "${id}": it is ${st}`);
  cg.freeze();
}

export function resume(root: string, id: string): void {
  const rec = readRecord(root, id);
  const cg = cgroupsFromPaths(rec.cgroup.layout, rec.cgroup.paths);
  const st = status(root, rec, () => cg.isFrozen());
  if (st !== Status.Paused) throw new MiniconError(`cannot resume container "${id}": it is ${st}`);
  cg.thaw();
}
