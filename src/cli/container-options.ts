// Options shared by `create` and `run`, and their translation into CreateOptions.
import { resolve } from 'path';
import { createInterface } from 'readline';
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

/** --step: shows the next step and waits for Enter (or runs on when stdin ends). */
function stepPrompt() {
  const rl = createInterface({ input: process.stdin });
  const lines: string[] = [];
  let waiting: (() => void) | undefined;
  let ended = false;
  rl.on('line', (l) => { lines.push(l); waiting?.(); });
  rl.on('close', () => { ended = true; waiting?.(); });
  return async (index: number, step: Step, pid: number) => {
    process.stderr.write(`step ${index + 1}: ${step.describe}\n  (container pid ${pid}: look at /proc/${pid}/ns, /proc/${pid}/mountinfo ...) press Enter to run it `);
    if (!lines.length && !ended) await new Promise<void>((res) => { waiting = res; });
    waiting = undefined;
    lines.shift();
    if (step.describe === 'wait for start' || step.describe.startsWith('execve')) rl.close();
  };
}
