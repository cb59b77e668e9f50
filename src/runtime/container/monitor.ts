// Starting minicon-init, the container's monitor (posix_spawn from the addon: no fork of Node),
// and observing its exit through a pidfd. The sync socket stays a plain blocking fd: the
// handshake is a sequence of reads and writes, and `net` would cost more to load than it saves.
import { closeSync } from 'fs';
import { initPath, native } from '../native';

export interface Monitor {
  pid: number;
  /** our end of the sync socket (blocking) */
  syncFd: number;
  /** resolves when minicon-init exits: its status is the container's (128+N for signal N) */
  exited: Promise<{ code: number | null; signal: number | null }>;
  hasExited(): boolean;
  closeSync(): void;
  /** lets the CLI exit while the monitor runs on (create, run --detach) */
  detach(): void;
}

export function spawnMonitor(stdio: [number, number, number] = [0, 1, 2]): Monitor {
  const n = native();
  const { pid, syncFd } = n.spawnInit(initPath(), stdio);
  let gone = false;
  let open = true;
  let cancel = () => {};
  const exited = new Promise<{ code: number | null; signal: number | null }>((resolve) => {
    cancel = n.watchExit(pid, (code, signal) => { gone = true; resolve({ code, signal }); });
  });
  const closeSocket = () => { if (open) { open = false; closeSync(syncFd); } };
  return { pid, syncFd, exited, hasExited: () => gone, closeSync: closeSocket, detach: () => { if (!gone) cancel(); closeSocket(); } };
}

/** Blocks until the process has exited (or timeoutMs passed); for the few places that must. */
export function waitForExit(pid: number, timeoutMs: number): void {
  const n = native();
  let fd: number;
  try { fd = n.pidfdOpen(pid); } catch { return; }
  try { n.pidfdWait(fd, timeoutMs); } finally { n.close(fd); }
}
