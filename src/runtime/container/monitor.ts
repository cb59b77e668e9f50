// Starting minicon-init, the container's monitor: posix_spawn from the addon (no fork of Node),
// the sync socket wrapped as a net.Socket, and its exit observed through a pidfd.
import { Socket } from 'net';
import { initPath, native } from '../native';

export interface Monitor {
  pid: number;
  sock: Socket;
  /** resolves when minicon-init exits: its status is the container's (128+N for signal N) */
  exited: Promise<{ code: number | null; signal: number | null }>;
  hasExited(): boolean;
  /** lets the CLI exit while the monitor runs on (create, run --detach) */
  detach(): void;
}

export function spawnMonitor(stdio: [number, number, number] = [0, 1, 2]): Monitor {
  const n = native();
  const { pid, syncFd } = n.spawnInit(initPath(), stdio);
  const sock = new Socket({ fd: syncFd, readable: true, writable: true });
  let gone = false;
  let cancel = () => {};
  const exited = new Promise<{ code: number | null; signal: number | null }>((resolve) => {
    cancel = n.watchExit(pid, (code, signal) => { gone = true; resolve({ code, signal }); });
  });
  return { pid, sock, exited, hasExited: () => gone, detach: () => { cancel(); sock.destroy(); } };
}
