// Typed readers of /proc/<pid>: the kernel's own view, shared by the runtime, the engine and lab checks.
import { readFileSync } from 'fs';

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



export function commandLine(pid: number): string[] {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return []; }
}
