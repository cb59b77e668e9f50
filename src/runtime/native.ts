// Where the native parts live: the addon (pidfds, the cgroup v2 device filter) and the minicon-init executable, both built
// by node-gyp into build/Release. Loaded lazily: most commands need neither.
import { existsSync } from 'fs';
import { basename, join } from 'path';
import { MiniconError } from './errors';

// dist/runtime/native.js when run from tsc's output (tests), dist/minicon.js when bundled (the CLI)
const home = basename(__dirname) === 'dist' ? join(__dirname, '..') : join(__dirname, '..', '..');
const buildDir = join(home, 'build', 'Release');

export interface NativeAddon {
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  /** true once the process has exited; false after timeoutMs */
  pidfdWait(pidfd: number, timeoutMs: number): boolean;
  close(fd: number): void;
  /** an exclusive flock(2) on fd without waiting: false when another process holds it */
  tryLock(fd: number): boolean;
  /** a blocking unix stream socket connected to path, with send/receive timeouts */
  connectUnix(path: string, timeoutMs: number): number;
  /** posix_spawn of minicon-init in a new session, stdio as given, a socketpair end on its fd 3 */
  spawnInit(path: string, stdio: [number, number, number]): { pid: number; syncFd: number };
  /** reaps our child pid when it exits (pidfd on the loop); the returned function cancels the watch */
  watchExit(pid: number, cb: (exitCode: number | null, signal: number | null) => void): () => void;
  /** builds an eBPF device filter (BPF_PROG_TYPE_CGROUP_DEVICE) from rules (the last match wins;
   *  major/minor -1: any; access: letters of "rwm") and attaches it to the cgroup v2 directory
   *  (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI); the program lives until the cgroup is removed */
  attachDeviceFilter(cgroupDir: string, rules: { allow: boolean; type: 'a' | 'b' | 'c'; major: number; minor: number; access: string }[]): void;
}

let addon: NativeAddon | undefined;
export function native(): NativeAddon {
  if (!addon) {
    const path = join(buildDir, 'minicon_native.node');
    if (!existsSync(path)) throw new MiniconError(`the native addon is not built (${path})`, { hint: 'run `npm install` (or `npm run build`) in the MiniCon checkout' });
    addon = require(path) as NativeAddon;
  }
  return addon;
}

export function initPath(): string {
  const path = join(buildDir, 'minicon-init');
  if (!existsSync(path)) throw new MiniconError(`minicon-init is not built (${path})`, { hint: 'run `npm install` (or `npm run build`) in the MiniCon checkout' });
  return path;
}
