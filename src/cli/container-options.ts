// Options shared by `create` and `run`, and their translation into CreateOptions.
import { resolve } from 'path';
import { readSync } from 'fs';
import type { CreateOptions } from '../runtime/container/create';
import type { Step } from '../runtime/sync/protocol';
import { Globals, Parsed, UsageError } from './command';

export const CONTAINER_OPTIONS = {
  bundle: { type: 'string', short: 'b' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'no-pivot': { type: 'boolean' },
  'no-new-keyring': { type: 'boolean' },
  'preserve-fds': { type: 'string' },
  trace: { type: 'boolean' },
  step: { type: 'boolean' },
} as const;

export const CONTAINER_HELP = `Options:
  -b, --bundle DIR     the bundle (config.json and rootfs; default: the current directory)
  --pid-file FILE      write the container's pid (host view) to FILE
  --trace              print every setup step the container side ran, with its time
  --step               pause before each setup step until Enter is pressed, to look at
                       /proc/<pid>/... from another terminal
  --no-new-keyring     accepted: MiniCon never creates a session keyring
  --console-socket, --no-pivot, --preserve-fds: not supported yet (an error)`;

export function createOptions(args: Parsed, g: Globals, id: string, usage: string): CreateOptions {
  const v = args.values;
  for (const f of ['console-socket', 'no-pivot', 'preserve-fds']) {
    if (v[f] !== undefined) throw new UsageError(`--${f} is not supported by MiniCon yet`, usage);
  }
  const trace = v.trace ? (line: string) => process.stderr.write(`trace: ${line}\n`) : undefined;
  return {
    root: g.root, id, bundle: resolve(String(v.bundle ?? '.')), pidFile: v['pid-file'] as string | undefined,
    trace, beforeStep: v.step ? stepPrompt() : undefined,
  };
}

/** --step: shows the next step and waits for Enter on stdin (or runs on once stdin has ended). */
function stepPrompt() {
  let ended = false;
  const buf = Buffer.alloc(1);
  return (index: number, step: Step, pid: number) => {
    process.stderr.write(`step ${index + 1}: ${step.describe}\n  (container pid ${pid}: look at /proc/${pid}/ns, /proc/${pid}/mountinfo ...) press Enter to run it `);
    while (!ended) {
      let n = 0;
      try { n = readSync(0, buf, 0, 1, null); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; n = 0; }
      if (n === 0) ended = true;
      else if (buf[0] === 10) break;
    }
    if (ended) process.stderr.write('\n');
  };
}
