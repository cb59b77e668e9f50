// The runtime's state on disk: <root>/<id>/ holds state.json (written by the runtime, atomically),
// ctl.sock (the monitor's, while the container lives), started and exit.json (the monitor's).
// The status is derived from these and from the kernel, never trusted from a field alone.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { MiniconError, fromNodeError } from '../errors';
import type { CgroupManager, Layout } from '../cgroups/manager';
import { cgroupsFromPaths } from '../cgroups';
import type { Hooks, OciState } from '../spec/types';
import { isSameProcess } from '../../kernel/proc';
import { Status } from './status';
import { validateId } from './id';
import { native } from '../native';

export const OCI_VERSION = '1.0.2';

export interface ContainerRecord {
  id: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  /** 'creating' until the container is created; the live status comes from status() */
  phase: 'creating' | 'created';
  pid?: number;
  /** /proc/<pid>/stat starttime: tells our pid 1 from a later process that reused its number */
  pidStartTime?: string;
  monitorPid?: number;
  monitorStartTime?: string;
  cgroup: { layout: Layout; paths: Record<string, string> };
  annotations?: Record<string, string>;
  hooks?: Hooks;
}

export interface ExitRecord { exitCode: number; signal: number | null; finishedAt: string }

export const stateDir = (root: string, id: string) => join(root, id);

export function writeRecord(root: string, rec: ContainerRecord): void {
  writeAtomic(join(stateDir(root, rec.id), 'state.json'), JSON.stringify(rec, null, 1));
}

/** write + rename (OSTEP ch. 42): a reader sees the old file or the whole new one. No fsync: the
 *  state lives in /run, which a crash empties anyway (runc does the same). */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (e) {
    throw fromNodeError(`write ${path}`, e);
  }
}

export function readRecord(root: string, id: string): ContainerRecord {
  validateId(id);
  const path = join(stateDir(root, id), 'state.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      if (existsSync(stateDir(root, id))) return orphanRecord(id);
      throw new MiniconError(`container "${id}" does not exist`, { hint: `\`minicon --root ${root} list\` shows the containers` });
    }
    throw fromNodeError(`read ${path}`, e);
  }
  try {
    return JSON.parse(text) as ContainerRecord;
  } catch {
    throw new MiniconError(`${path} is damaged (not JSON)`, { hint: `\`minicon delete --force ${id}\` removes the container` });
  }
}

/** A state directory whose state.json was never written (the CLI died at once): only deletable. */
function orphanRecord(id: string): ContainerRecord {
  return { id, bundle: '', rootfs: '', created: '', owner: '', phase: 'creating', cgroup: { layout: 'hybrid', paths: {} } };
}

export function readExit(root: string, id: string): ExitRecord | undefined {
  try { return JSON.parse(readFileSync(join(stateDir(root, id), 'exit.json'), 'utf8')) as ExitRecord; } catch { return undefined; }
}

export function status(root: string, rec: ContainerRecord, cg: CgroupManager): Status {
  if (readExit(root, rec.id)) return Status.Stopped;
  // no pid recorded (the CLI died before PID): only the cgroup can tell whether pid 1 lives
  if (rec.pid === undefined) return Object.keys(rec.cgroup.paths).length && safePids(cg).length ? Status.Creating : Status.Stopped;
  if (!isSameProcess(rec.pid, rec.pidStartTime)) return Status.Stopped;
  if (rec.phase === 'creating') return Status.Creating;
  if (!existsSync(join(stateDir(root, rec.id), 'started'))) return Status.Created;
  return cg.isFrozen() ? Status.Paused : Status.Running;
}

function safePids(cg: CgroupManager): number[] {
  try { return cg.pids(); } catch { return []; }
}

/** A container's record, its cgroups and its status: what every lifecycle command starts from. */
export function openContainer(root: string, id: string): { rec: ContainerRecord; cg: CgroupManager; status: Status } {
  const rec = readRecord(root, id);
  const cg = cgroupsFromPaths(rec.cgroup.layout, rec.cgroup.paths);
  return { rec, cg, status: status(root, rec, cg) };
}

export function ociState(rec: ContainerRecord, st: Status): OciState & Record<string, unknown> {
  return {
    ociVersion: OCI_VERSION, id: rec.id, pid: st === Status.Stopped ? 0 : rec.pid ?? 0, status: st,
    bundle: rec.bundle, rootfs: rec.rootfs, created: rec.created, owner: rec.owner, annotations: rec.annotations ?? {},
  };
}

export function makeStateDir(root: string, id: string): string {
  try { mkdirSync(root, { recursive: true, mode: 0o711 }); } catch (e) { throw fromNodeError(`create the state root ${root}`, e); }
  const dir = stateDir(root, id);
  try {
    mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new MiniconError(`container "${id}" already exists`, { hint: `choose another ID, or \`minicon delete ${id}\` first` });
    throw fromNodeError(`create the state directory ${dir}`, e);
  }
  return dir;
}

export function removeStateDir(root: string, id: string): void {
  rmSync(stateDir(root, id), { recursive: true, force: true });
}

export function listIds(root: string): string[] {
  try { return readdirSync(root).filter((n) => !n.startsWith('.')).sort(); } catch { return []; }
}

/**
 * The container's lock: an flock on its state directory, held by create for its whole handshake
 * and by start, kill, delete, pause and resume, so that two commands never change one container at
 * once. Waits up to timeoutMs for another command to finish. Released by the returned function, or
 * by the kernel when the process dies.
 */
export function lockContainer(root: string, id: string, timeoutMs = 10000): () => void {
  validateId(id);
  let fd: number;
  try {
    fd = openSync(stateDir(root, id), 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MiniconError(`container "${id}" does not exist`, { hint: `\`minicon --root ${root} list\` shows the containers` });
    throw fromNodeError(`open the state directory of ${id}`, e);
  }
  const deadline = Date.now() + timeoutMs;
  while (!native().tryLock(fd)) {
    if (Date.now() > deadline) {
      closeSync(fd);
      throw new MiniconError(`container "${id}" is busy: another minicon command is changing it`, { hint: 'wait for it to finish (a `create --step` holds it until the last step)' });
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return () => closeSync(fd);
}

export function withLock<T>(root: string, id: string, fn: () => T): T {
  const unlock = lockContainer(root, id);
  try { return fn(); } finally { unlock(); }
}
