// Talks to a container's monitor over ctl.sock in its state directory (see native/init/sync.h):
// one request line, one reply line, on a blocking socket with a timeout.
import { closeSync, openSync, readSync, writeSync } from 'fs';
import { join } from 'path';
import { MiniconError } from '../errors';
import { native } from '../native';

export interface Request { reply(): string }

/** Sends the request now; reply() reads the answer (it may be called later: `run` does). */
export function send(stateDir: string, request: string, timeoutMs = 10000): Request {
  // sun_path holds 108 bytes; a long --root or ID goes through our own fd of the directory
  let path = join(stateDir, 'ctl.sock');
  let dirFd: number | undefined;
  if (path.length > 100) { dirFd = openSync(stateDir, 'r'); path = `/proc/self/fd/${dirFd}/ctl.sock`; }
  let fd: number;
  try {
    fd = native().connectUnix(path, timeoutMs);
    writeSync(fd, `${request}\n`);
  } catch (e) {
    throw new MiniconError(`cannot reach the container's monitor (${join(stateDir, 'ctl.sock')}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'the monitor has exited: the container is stopped' });
  } finally {
    if (dirFd !== undefined) closeSync(dirFd);
  }
  return {
    reply() {
      let text = '';
      const buf = Buffer.alloc(4500);
      try {
        while (!text.includes('\n')) {
          const n = readSync(fd, buf);
          if (n === 0) break;
          text += buf.toString('utf8', 0, n);
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new MiniconError(code === 'EAGAIN' ? `the container's monitor did not answer "${request}" within ${timeoutMs} ms` : `reading the monitor's answer: ${code}`);
      } finally {
        closeSync(fd);
      }
      if (!text) throw new MiniconError(`the container's monitor closed the connection without answering "${request}"`);
      return text.trim();
    },
  };
}
