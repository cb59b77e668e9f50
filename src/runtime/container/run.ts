// `run`: create + start + wait, in the foreground; the exit status is the container's (128+N when
// killed by signal N). Signals sent to the CLI are passed to the container, as runc does.
// With `detach`, returns once started and leaves the container to its monitor.
import { constants } from 'os';
import { create, CreateOptions } from './create';
import { start } from './start';
import { remove } from './delete';
import { signalPid } from './kill';
import { readExit } from './store';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function run(opts: CreateOptions & { detach?: boolean }): Promise<number> {
  const { record, monitor } = await create(opts);
  if (opts.detach) {
    try { await start(opts.root, opts.id); } catch (e) { remove(opts.root, opts.id, true); throw e; }
    monitor.detach();
    return 0;
  }
  monitor.sock.destroy();
  const exited = monitor.exited.then(({ code, signal }) => code ?? 128 + (signal ?? 0));
  const forward = (sig: NodeJS.Signals) => { try { signalPid(record.pid!, record.pidStartTime, constants.signals[sig]); } catch { /* exited */ } };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    await start(opts.root, opts.id);
    const code = await exited;
    return readExit(opts.root, opts.id)?.exitCode ?? code;
  } finally {
    for (const s of FORWARDED) process.removeListener(s, forward);
    remove(opts.root, opts.id, true);
  }
}
