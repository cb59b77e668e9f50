// Error and log output. Errors go to stderr; with --log they also go to that file, as JSON lines
// with --log-format json ({"level":"error","msg":...,"time":...}), which is what conmon reads.
import { appendFileSync } from 'fs';
import { MiniconError } from '../runtime/errors';
import type { Globals } from './command';

export function logLine(g: Globals, level: 'error' | 'warning' | 'debug', msg: string): void {
  if (!g.log) return;
  const time = new Date().toISOString();
  const line = g.logFormat === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try { appendFileSync(g.log, `${line}\n`); } catch { /* the log is best effort; stderr has it too */ }
}

export function reportError(g: Globals, err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  const hint = err instanceof MiniconError && err.detail.hint && !msg.includes(err.detail.hint) ? err.detail.hint : undefined;
  process.stderr.write(`minicon: ${msg}\n${hint ? `  hint: ${hint}\n` : ''}`);
  if (g.debug && err instanceof Error && !(err instanceof MiniconError)) process.stderr.write(`${err.stack}\n`);
  logLine(g, 'error', msg);
}

export function warn(g: Globals, msg: string): void {
  process.stderr.write(`minicon: warning: ${msg}\n`);
  logLine(g, 'warning', msg);
}

/** Left-aligned columns, as runc list and docker ps print them. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}
