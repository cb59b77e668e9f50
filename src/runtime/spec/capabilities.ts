// Linux capabilities: names (as config.json spells them) <-> numbers (include/uapi/linux/capability.h).
import { readFileSync } from 'fs';
import { MiniconError } from '../errors';

/** CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40, in kernel order. */
export const CAPABILITIES: Readonly<Record<string, number>> = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

/** The highest capability number this table knows (CAP_CHECKPOINT_RESTORE). */
export const LAST_KNOWN_CAP = 40;

/** The five capability sets of process.capabilities, in the order the kernel applies them. */
export const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
export type CapabilitySet = (typeof CAPABILITY_SETS)[number];

const byNumber: string[] = [];
for (const [name, num] of Object.entries(CAPABILITIES)) byNumber[num] = name;

export function isCapability(name: unknown): boolean {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CAPABILITIES, name);
}

/** CAP_KILL -> 5. Throws a MiniconError for an unknown name (names are case-sensitive, with the CAP_ prefix). */
export function capabilityNumber(name: string): number {
  if (!isCapability(name)) {
    const upper = typeof name === 'string' ? name.toUpperCase() : '';
    const guess = isCapability(upper) ? upper : isCapability(`CAP_${upper}`) ? `CAP_${upper}` : undefined;
    throw new MiniconError(`unknown capability ${JSON.stringify(name)}`, {
      hint: guess ? `did you mean ${guess}?` : 'use a name such as CAP_CHOWN or CAP_NET_BIND_SERVICE (see capabilities(7))',
    });
  }
  return CAPABILITIES[name as string];
}

/** 5 -> CAP_KILL; undefined for a number the table does not know. */
export function capabilityName(num: number): string | undefined {
  return byNumber[num];
}

/** The bit mask of a list of names (bit n set for capability n), as capset(2)/prctl use it. */
export function capabilityMask(names: Iterable<string>): bigint {
  let mask = 0n;
  for (const name of names) mask |= 1n << BigInt(capabilityNumber(name));
  return mask;
}

/** The names in a mask, in number order (unknown bits come out as "CAP_<n>"). */
export function capabilityNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let n = 0; mask >> BigInt(n) !== 0n; n++) {
    if ((mask >> BigInt(n)) & 1n) out.push(byNumber[n] ?? `CAP_${n}`);
  }
  return out;
}

/** The running kernel's highest capability number (/proc/sys/kernel/cap_last_cap). */
export function lastCap(procFile = '/proc/sys/kernel/cap_last_cap'): number {
  let text: string;
  try {
    text = readFileSync(procFile, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new MiniconError(`read ${procFile}: ${e.code ?? e.message}`, {
      step: 'read cap_last_cap',
      path: procFile,
      errno: e.code,
      hint: 'is /proc mounted? MiniCon needs Linux >= 3.2 for cap_last_cap',
    });
  }
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || n > 63) {
    throw new MiniconError(`read ${procFile}: unexpected content ${JSON.stringify(text.trim())}`, {
      step: 'read cap_last_cap',
      path: procFile,
      hint: 'expected a small integer such as 40',
    });
  }
  return n;
}
