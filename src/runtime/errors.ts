// One error convention for the whole runtime (as crun has one): every failure is a MiniconError.
// Kernel failures carry the step, the syscall, the path and the errno name, so a message reads
//   "step 7 pivot_root(/var/lib/x/rootfs): EINVAL — the new root is not a mount point".
import { constants } from 'os';

const errnoNames: Record<number, string> = {};
for (const [name, num] of Object.entries(constants.errno)) if (!(num in errnoNames)) errnoNames[num] = name;

/** EINVAL for 22; the number itself when unknown. Accepts Node's negative libuv codes too. */
export function errnoName(errno: number): string {
  return errnoNames[Math.abs(errno)] ?? `errno ${errno}`;
}

export interface ErrorDetail {
  /** what the runtime was doing: "step 7", "create cgroup", "read config.json" */
  step?: string;
  syscall?: string;
  path?: string;
  /** errno name, e.g. "EINVAL" */
  errno?: string;
  /** what to do about it */
  hint?: string;
  /** the exit status the CLI should end with (default 1): `run` of a missing command ends 127 */
  exitCode?: number;
}

export class MiniconError extends Error {
  readonly detail: ErrorDetail;
  constructor(message: string, detail: ErrorDetail = {}) {
    super(message);
    this.name = 'MiniconError';
    this.detail = detail;
  }
}

/** A failed system call: "<step> <syscall>(<path>): <ERRNO> — <hint>". */
export function kernelError(step: string, syscall: string, path: string | undefined, errno: string | number, hint?: string): MiniconError {
  const name = typeof errno === 'number' ? errnoName(errno) : errno;
  const where = path === undefined ? `${syscall}()` : `${syscall}(${path})`;
  return new MiniconError(`${step}: ${where}: ${name}${hint ? ` — ${hint}` : ''}`, { step, syscall, path, errno: name, hint });
}

/** Wraps a Node fs error (which has .code and .syscall) in the runtime's convention. */
export function fromNodeError(step: string, err: unknown, hint?: string): MiniconError {
  if (err instanceof MiniconError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.syscall) return kernelError(step, e.syscall, e.path, e.code, hint);
  return new MiniconError(`${step}: ${e && e.message ? e.message : String(err)}`, { step, hint });
}
