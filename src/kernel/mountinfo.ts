// /proc/<pid>/mountinfo, one parsed line per mount (see proc(5)).
import { readFileSync } from 'fs';

export interface MountInfo {
  id: number;
  parent: number;
  root: string;
  mountPoint: string;
  options: string;
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string;
}

// mountinfo escapes space, tab, newline and backslash as octal (\040 ...)
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0) continue;
    out.push({
      id: Number(f[0]), parent: Number(f[1]), root: unescape(f[3]), mountPoint: unescape(f[4]), options: f[5],
      optional: f.slice(6, dash), fstype: f[dash + 1], source: unescape(f[dash + 2]), superOptions: f[dash + 3] ?? '',
    });
  }
  return out;
}

export function readMountInfo(pid: number | 'self' = 'self'): MountInfo[] {
  return parseMountInfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}
