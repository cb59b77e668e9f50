// Device rules on cgroup v2.
//
// v2 has no devices.allow/devices.deny: device access control is an eBPF program
// (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup, which MiniCon does not load. We must not
// pretend to enforce rules we cannot enforce. So the rules are played through like v1's devices
// controller would (a cgroup starts as its parent: allow-all; "a" rules reset the whole set), and:
//
//   * the DEFAULT policy — deny everything, then allow only (a subset of) the standard devices every
//     OCI container gets (/dev/null, zero, full, random, urandom, tty, console, ptmx, pts/*,
//     net/tun, and mknod "m" on any c/b device) — is skipped: the runtime enforces that policy
//     another way, by creating only those device nodes in the container's /dev. A subset is fine
//     too: the OCI runtime spec makes the runtime supply the standard nodes whatever the rules say
//     (runc likewise always appends allow rules for them, and so does MiniCon's create).
//   * rules that restrict nothing (no rules, only allow rules, an allow-all) are skipped too: v1
//     would enforce "everything allowed", and so does v2 without a program.
//   * anything else (an extra device after a deny-all, a specific deny) throws: "device cgroup
//     rules need cgroup v1 here".
//
// Caveat (the boundary of that claim): creating only the allowed nodes is enough only while the
// container cannot mknod new nodes itself, i.e. it has no CAP_MKNOD or runs in a user namespace.
import type { DeviceRule } from '../../spec/types';
import { MiniconError } from '../../errors';
import { validateRule } from '../v1/devices';

/** type major:minor -> the access the default policy allows. */
const DEFAULT_ALLOWED: Record<string, string> = {
  'c *:*': 'm', 'b *:*': 'm',
  'c 1:3': 'rwm', 'c 1:5': 'rwm', 'c 1:7': 'rwm', 'c 1:8': 'rwm', 'c 1:9': 'rwm', // null zero full random urandom
  'c 5:0': 'rwm', 'c 5:1': 'rwm', 'c 5:2': 'rwm', // tty console ptmx
  'c 136:*': 'rwm', // /dev/pts/*
  'c 10:200': 'rwm', // /dev/net/tun
};

function num(n: number | null | undefined): string {
  return n === undefined || n === null || n < 0 ? '*' : String(n);
}

function isDefaultAllow(r: DeviceRule): boolean {
  const type = r.type ?? 'a';
  const allowed = DEFAULT_ALLOWED[`${type} ${num(r.major)}:${num(r.minor)}`];
  if (allowed === undefined) return false;
  return [...(r.access ?? 'rwm')].every((ch) => allowed.includes(ch));
}

/** True when the rules can be honestly skipped on v2 (see above). */
export function isDefaultPolicy(rules: DeviceRule[] | undefined): boolean {
  let denyAll = false; // a new cgroup inherits its parent's behaviour: allow all
  for (const r of rules ?? []) {
    validateRule(r);
    if ((r.type ?? 'a') === 'a') {
      denyAll = !r.allow; // "a" resets the whole set, in either direction
    } else if (!r.allow) {
      return false; // a specific deny: a restriction we cannot enforce
    } else if (denyAll && !isDefaultAllow(r)) {
      return false; // a hole in deny-all for a device outside the default set
    }
    // an allow while everything is allowed changes nothing
  }
  return true;
}

/** Throws unless the rules can be honestly skipped on v2. */
export function check(rules: DeviceRule[] | undefined): void {
  if (isDefaultPolicy(rules)) return;
  throw new MiniconError('cgroup devices: device cgroup rules need cgroup v1 here (on cgroup v2 they need an eBPF program, which MiniCon does not load)', {
    step: 'cgroup devices',
    hint: 'keep linux.resources.devices to the default (deny all, allow the standard /dev nodes), or run on a cgroup v1/hybrid host',
  });
}
