// v1 devices controller: OCI linux.resources.devices rules -> devices.deny / devices.allow lines.
//
// A rule line is "<type> <major>:<minor> <access>", e.g. "c 1:3 rwm"; a null/-1/absent major or
// minor is "*"; type "a" means every device (the kernel reads the line "a" as the whole set).
// As runc does, a FIRST rule that denies everything is written as "a" to devices.deny: that resets
// the cgroup to deny-all with no exceptions, and the following allow rules open holes in it.
// Without such a first rule the cgroup keeps its parent's (usually allow-all) behaviour and the
// rules are applied on top, in order.
import type { DeviceRule } from '../../spec/types';
import { MiniconError } from '../../errors';
import { writeCgroupFile } from '../files';

export interface Write { file: 'devices.allow' | 'devices.deny'; value: string }

function num(n: number | null | undefined): string {
  return n === undefined || n === null || n < 0 ? '*' : String(n);
}

export function validateRule(r: DeviceRule): void {
  const type = r.type ?? 'a';
  if (type !== 'a' && type !== 'b' && type !== 'c') {
    throw new MiniconError(`cgroup devices: invalid device type "${type}" (want a, b or c)`, { step: 'cgroup devices' });
  }
  if (r.access !== undefined && !/^[rwm]{1,3}$/.test(r.access)) {
    throw new MiniconError(`cgroup devices: invalid access "${r.access}" (want a combination of r, w, m)`, { step: 'cgroup devices' });
  }
}

/** The line for one rule ("a" for the whole set). */
export function ruleLine(r: DeviceRule): string {
  const type = r.type ?? 'a';
  if (type === 'a') return 'a';
  return `${type} ${num(r.major)}:${num(r.minor)} ${r.access ?? 'rwm'}`;
}

/** The ordered writes for a rule list (pure, so it can be tested and traced). */
export function planDeviceWrites(rules: DeviceRule[]): Write[] {
  return rules.map((r) => {
    validateRule(r);
    return { file: r.allow ? 'devices.allow' : 'devices.deny', value: ruleLine(r) };
  });
}

export function apply(dir: string, rules: DeviceRule[] | undefined): void {
  if (!rules || rules.length === 0) return;
  for (const w of planDeviceWrites(rules)) {
    writeCgroupFile(dir, w.file, w.value, 'EPERM: a cgroup cannot allow devices its parent denies');
  }
}
