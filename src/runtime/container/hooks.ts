// OCI hooks that run in the runtime's namespaces (prestart, createRuntime, poststart, poststop):
// the hook gets the container's state JSON on stdin; a non-zero exit or a timeout is an error.
// (createContainer and startContainer run inside the container: they are steps of the plan.)
import type { Hook } from '../spec/types';
import { MiniconError } from '../errors';

export function runHooks(kind: string, hooks: Hook[] | undefined, stateJson: string): void {
  if (!hooks?.length) return;
  // loaded only when there are hooks: child_process brings net and streams, ms of start latency
  const { spawnSync } = require('child_process') as typeof import('child_process');
  for (const h of hooks) {
    const args = h.args && h.args.length ? h.args : [h.path];
    const r = spawnSync(h.path, args.slice(1), {
      argv0: args[0], input: stateJson, env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      timeout: h.timeout ? h.timeout * 1000 : undefined, stdio: ['pipe', 'inherit', 'inherit'],
    });
    if (r.error) throw new MiniconError(`${kind} hook ${h.path}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`, { step: `${kind} hook`, path: h.path });
    if (r.status !== 0) throw new MiniconError(`${kind} hook ${h.path} ${r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`}`, { step: `${kind} hook`, path: h.path });
  }
}
