// `run`: create + start + wait, in the foreground; the exit status is the container's (128+N when
// killed by signal N). Signals sent to the CLI are passed to the container, as runc does.
// With `detach`, returns once started and leaves the container to its monitor.
// The start request goes to the monitor as soon as pid 1 exists: pid 1 finds it waiting when it
// has finished its steps, so `run` pays no round trip between READY and execve.
import { constants } from 'os';
import { create, CreateOptions } from './create';
import { requestStart, runPoststart } from './start';
import { remove } from './delete';
import { signalPid } from './kill';
import { readExit } from './store';
import { MiniconError } from '../errors';
import type { Spec } from '../spec/types';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function run(opts: CreateOptions & { detach?: boolean }): Promise<number> {
  // Signals are caught from the start (a Ctrl-C during create must not kill the CLI halfway and
  // leave the container behind); they reach the container once it runs, as runc forwards them.
  let target: { pid: number; startTime?: string } | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (sig: NodeJS.Signals) => {
    if (!target) { pending.push(sig); return; }
    try { signalPid(target.pid, target.startTime, constants.signals[sig]); } catch { /* exited */ }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    let started: (() => number) | undefined;
    const askEarly = (_pid: number, spec: Spec) => {
      // if pid 1 has failed already the monitor may be gone: then create's own error is the one to tell
      try { started = requestStart(opts.root, opts.id, spec.hooks); } catch (e) { started = () => { throw e; }; }
    };
    // step mode pauses before each step: start only once the person has stepped through
    const { record, monitor } = create({ ...opts, onPid: opts.beforeStep ? undefined : askEarly });
    try {
      const ns = (started ?? requestStart(opts.root, opts.id, record.hooks))();
      opts.trace?.(`execve ${(ns / 1e6).toFixed(3)} ms after clone`);
      runPoststart(record);
    } catch (e) {
      // execve failed or pid 1 died before it: the container's own status (127 for a command not
      // found, 126 for one that cannot run) is the status of `run`, as for a shell
      const exit = await Promise.race([monitor.exited, new Promise((res) => setTimeout(res, 2000).unref())]).then(() => readExit(opts.root, opts.id));
      monitor.detach();
      remove(opts.root, opts.id, true);
      if (e instanceof MiniconError && exit && exit.exitCode !== 0) e.detail.exitCode = exit.exitCode;
      throw e;
    }
    target = { pid: record.pid!, startTime: record.pidStartTime };
    for (const sig of pending.splice(0)) forward(sig);
    if (opts.detach) { monitor.detach(); return 0; }
    monitor.closeSync();
    try {
      const { code, signal } = await monitor.exited;
      return readExit(opts.root, opts.id)?.exitCode ?? code ?? 128 + (signal ?? 0);
    } finally {
      remove(opts.root, opts.id, true);
    }
  } finally {
    for (const s of FORWARDED) process.removeListener(s, forward);
  }
}
