// Talks to a container's monitor over ctl.sock in its state directory (see native/init/sync.h).
import { closeSync, openSync } from 'fs';
import { connect } from 'net';
import { join } from 'path';
import { MiniconError } from '../errors';

/** Sends one request line, resolves with the one reply line. */
export function ask(stateDir: string, request: string, timeoutMs = 10000): Promise<string> {
  // sun_path holds 108 bytes; a long --root or ID goes through our own fd of the directory
  let dirFd: number | undefined;
  let path = join(stateDir, 'ctl.sock');
  if (path.length > 100) { dirFd = openSync(stateDir, 'r'); path = `/proc/self/fd/${dirFd}/ctl.sock`; }
  return new Promise<string>((resolve, reject) => {
    const sock = connect(path);
    let reply = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (dirFd !== undefined) { closeSync(dirFd); dirFd = undefined; }
      err ? reject(err) : resolve(reply.trim());
    };
    const timer = setTimeout(() => done(new MiniconError(`the container's monitor did not answer "${request}" within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.write(`${request}\n`));
    sock.on('data', (d) => { reply += d.toString(); if (reply.includes('\n')) done(); });
    sock.on('error', (e: NodeJS.ErrnoException) => done(new MiniconError(`cannot reach the container's monitor (${path}): ${e.code ?? e.message}`, { hint: 'the monitor has exited: the container is stopped' })));
    sock.on('end', () => done(reply ? undefined : new MiniconError(`the container's monitor closed the connection without answering "${request}"`)));
  });
}
