// Small synchronous helpers for cgroup files, shared by every controller.
//
// cgroupfs files are written the way runc writes them: open(O_WRONLY|O_TRUNC) without O_CREAT (a
// missing file is ENOENT, not a confusing EACCES from trying to create it) and ONE write(2) per value,
// because the kernel parses each write on its own. Every failure becomes a MiniconError naming the
// step ("cgroup memory.limit_in_bytes"), the syscall, the path and the errno name.
import * as fs from 'fs';
import { kernelError, MiniconError } from '../errors';

const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_TRUNC;

function codeOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e && typeof e.code === 'string' ? e.code : 'EIO';
}

/** A default hint for common errnos when writing a cgroup file. */
function defaultHint(code: string): string | undefined {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'cgroup files can only be written by root (or the owner of a delegated subtree)';
    case 'ENOENT':
      return 'this controller is not available in this cgroup (not mounted, or not enabled in the parent\'s cgroup.subtree_control)';
    default:
      return undefined;
  }
}

/** Writes one value to dir/file with a single write(2). */
export function writeCgroupFile(dir: string, file: string, value: string | number, hint?: string): void {
  const path = `${dir}/${file}`;
  let fd: number;
  try {
    fd = fs.openSync(path, WRITE_FLAGS);
  } catch (err) {
    const code = codeOf(err);
    throw kernelError(`cgroup ${file}`, 'open', path, code, hint ?? defaultHint(code));
  }
  try {
    fs.writeSync(fd, String(value));
  } catch (err) {
    const code = codeOf(err);
    throw kernelError(`cgroup ${file}`, 'write', path, code, hint ?? defaultHint(code));
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads dir/file, trimmed. Throws a MiniconError (syscall "read") on failure. */
export function readCgroupFile(dir: string, file: string): string {
  const path = `${dir}/${file}`;
  try {
    return fs.readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = codeOf(err);
    throw kernelError(`cgroup ${file}`, 'read', path, code, defaultHint(code));
  }
}

/** Like readCgroupFile, but a missing file is undefined (optional files such as memory.peak). */
export function readOptional(dir: string, file: string): string | undefined {
  try {
    return fs.readFileSync(`${dir}/${file}`, 'utf8').trim();
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    const code = codeOf(err);
    throw kernelError(`cgroup ${file}`, 'read', `${dir}/${file}`, code, defaultHint(code));
  }
}

/** Parses "key value" lines (memory.events, cpu.stat, pids.events, memory.oom_control, cgroup.events). */
export function parseKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out[line.slice(0, sp)] = Number(line.slice(sp + 1));
  }
  return out;
}

/** Parses cgroup.procs: one pid per line. */
export function parsePids(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) if (line) out.push(Number(line));
  return out;
}

/** Reads a plain integer file; Number() of huge v1 "unlimited" values is approximate but ordered. */
export function readNumber(dir: string, file: string): number {
  return Number(readCgroupFile(dir, file));
}

export function exists(path: string): boolean {
  return fs.existsSync(path);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Synchronous sleep (the CLI is synchronous by design). */
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** mkdir one directory; true if this call created it, false if it already existed. */
export function mkdirOnce(path: string): boolean {
  try {
    fs.mkdirSync(path, { mode: 0o755 });
    return true;
  } catch (err) {
    if (codeOf(err) === 'EEXIST') return false;
    throw err; // the caller wraps it (it knows the step)
  }
}

export function mkdirError(path: string, err: unknown): MiniconError {
  const code = codeOf(err);
  return kernelError('create cgroup', 'mkdir', path, code, code === 'ENOENT' ? 'a parent cgroup directory is missing' : defaultHint(code));
}

/**
 * rmdir a container cgroup. A missing directory is fine (idempotent). EBUSY means tasks (or child
 * cgroups) remain: the tasks of a just-killed container leave the cgroup a little after the signal,
 * so we retry for a short bounded time (about 1 s in all) before giving up.
 */
export function rmdirRetry(path: string, totalMs = 1000): void {
  let waited = 0;
  let delay = 2;
  for (;;) {
    try {
      fs.rmdirSync(path);
      return;
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || waited >= totalMs) {
        throw kernelError('destroy cgroup', 'rmdir', path, code,
          code === 'EBUSY' ? 'processes (or child cgroups) are still in this cgroup: kill them first' : defaultHint(code));
      }
      sleepMs(delay);
      waited += delay;
      delay = Math.min(delay * 2, 50);
    }
  }
}

/** rmdir an intermediate directory that other containers may share: true if removed (or missing). */
export function rmdirIfUnused(path: string): boolean {
  try {
    fs.rmdirSync(path);
    return true;
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
    throw kernelError('destroy cgroup', 'rmdir', path, code, defaultHint(code));
  }
}

/** Sends a signal to each pid; a pid that already exited (ESRCH) is fine. */
export function signalPids(pids: number[], signal: NodeJS.Signals | number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if (codeOf(err) !== 'ESRCH') throw kernelError('cgroup kill', 'kill', String(pid), codeOf(err));
    }
  }
}
