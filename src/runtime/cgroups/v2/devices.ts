// Device rules on cgroup v2.
//
// v2 has no devices.allow/devices.deny: device access control is an eBPF program
// (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup with BPF_CGROUP_DEVICE, as runc and crun do.
// The kernel runs it on every open and mknod of a device node by a process of the cgroup (and of
// its descendants); it returns 0 (EPERM) or 1 (allow). MiniCon's addon builds and attaches it
// (attachDeviceFilter in native/addon/addon.cc); this file turns the OCI rules into the list the
// program tests.
//
// Semantics (those of v1's devices controller for the rule lists runtimes write, and of runc's
// program): the rules are read in order and, for a given access, the LAST rule that matches it wins.
// A type "a" rule is the whole set (any type, any major:minor, all of rwm, as v1 reads the line
// "a"): it decides everything, so the rules before it are dropped, and a first "deny all" is the
// default deny. Without any "a" rule the default is allow (a new cgroup inherits its parent's
// behaviour; the parent's own programs, if any, still run: BPF_F_ALLOW_MULTI). A rule matches an
// access when its type and major:minor match (-1: any) and the requested access (r, w, m; r+w for
// O_RDWR) is a subset of the rule's.
import type { DeviceRule } from '../../spec/types';
import { MiniconError } from '../../errors';
import { validateRule } from '../v1/devices';

/** One rule as the addon takes it. */
export interface FilterRule { allow: boolean; type: 'a' | 'b' | 'c'; major: number; minor: number; access: string }

function num(n: number | null | undefined): number {
  return n === undefined || n === null || n < 0 ? -1 : n;
}

/** The rules the program tests, in order (pure): validated, nulls as -1, "a" as the whole set, and
 *  nothing before the last "a" rule. [] when nothing is restricted (then no program is needed). */
export function filterRules(rules: DeviceRule[] | undefined): FilterRule[] {
  let out: FilterRule[] = [];
  for (const r of rules ?? []) {
    validateRule(r);
    const type = (r.type ?? 'a') as FilterRule['type'];
    if (type === 'a') {
      out = [{ allow: r.allow, type: 'a', major: -1, minor: -1, access: 'rwm' }];
      continue;
    }
    const access = [...new Set(r.access ?? 'rwm')].sort((x, y) => 'rwm'.indexOf(x) - 'rwm'.indexOf(y)).join('');
    out.push({ allow: r.allow, type, major: num(r.major), minor: num(r.minor), access });
  }
  // no restriction at all: no rules, or only allow rules on top of an implicit or explicit allow-all
  if (out.every((r) => r.allow)) return [];
  return out;
}

/** What the program decides for one access (pure; a model of the eBPF program, for tests and traces).
 *  access: the requested letters ("r", "w", "m", "rw"). */
export function decide(rules: FilterRule[], type: 'b' | 'c', major: number, minor: number, access: string): boolean {
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i];
    if (r.type !== 'a' && r.type !== type) continue;
    if (![...access].every((ch) => r.access.includes(ch))) continue;
    if (r.major >= 0 && r.major !== major) continue;
    if (r.minor >= 0 && r.minor !== minor) continue;
    return r.allow;
  }
  return true;
}

/** Attaches the device filter for rules to the cgroup dir (nothing when nothing is restricted). */
export function apply(dir: string, rules: DeviceRule[] | undefined): void {
  const list = filterRules(rules);
  if (list.length === 0) return;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { native } = require('../../native') as typeof import('../../native');
  try {
    native().attachDeviceFilter(dir, list);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new MiniconError(`cgroup devices: attach the device filter to ${dir}: ${err.message}`, {
      step: 'cgroup devices', path: dir, errno: err.code,
      hint: 'cgroup v2 device rules need bpf(2) with BPF_PROG_TYPE_CGROUP_DEVICE (kernel >= 4.15, CONFIG_CGROUP_BPF) and root',
    });
  }
}
