// Typed readers of /proc/<pid>: the kernel's own view, shared by the runtime, the engine and lab checks.
import { readFileSync, readlinkSync } from 'fs';

/** Field 22 of /proc/<pid>/stat (clock ticks since boot): with the pid it names one process for good. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat state letter (R, S, D, Z, T, ...), or undefined when the pid is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Alive and the same process as recorded (not a reused pid, not a zombie). */
export function isSameProcess(pid: number, recordedStartTime: string | undefined): boolean {
  const st = processState(pid);
  if (st === undefined || st === 'Z' || st === 'X') return false;
  return recordedStartTime === undefined || startTime(pid) === recordedStartTime;
}

/** /proc/<pid>/status as key -> value ("NSpid" -> "1234\t1"). */
export function readStatus(pid: number | 'self'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** The namespace link of a process, e.g. "pid:[4026531836]". */
export function namespaceOf(pid: number | 'self', type: string): string | undefined {
  try { return readlinkSync(`/proc/${pid}/ns/${type}`); } catch { return undefined; }
}

export function commandLine(pid: number): string[] {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return []; }
}
