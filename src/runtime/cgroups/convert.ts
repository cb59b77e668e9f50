// Conversions between OCI (cgroup v1 flavoured) resource values and cgroup v2 files, in one place.
// OCI's linux.resources was designed on cgroup v1; on v2 the runtime translates, exactly as runc and
// crun do. Each function states its formula. These are lab material: keep them small and pure.
import { MiniconError } from '../errors';

/** v1 cpu.shares range, as the kernel clamps it (MIN_SHARES, MAX_SHARES). */
export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
/** v2 cpu.weight range. */
export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 10000;
/** The kernel's default CFS period (100 ms) in microseconds. */
export const DEFAULT_PERIOD_US = 100000;

/**
 * cpu.shares (v1, 2..262144, default 1024) -> cpu.weight (v2, 1..10000, default 100).
 * The runc/crun linear map of [2, 262144] onto [1, 10000], integer division:
 *     weight = 1 + ((shares - 2) * 9999) / 262142
 * So 2 -> 1, 1024 -> 39 (not 100: the defaults do not map onto each other), 262144 -> 10000.
 * 0 means "unset" and stays 0. Out-of-range shares are clamped first, as the v1 kernel would.
 */
export function sharesToWeight(shares: number): number {
  if (!shares) return 0;
  const s = Math.min(Math.max(Math.trunc(shares), MIN_SHARES), MAX_SHARES);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/**
 * cpu.weight (v2) -> cpu.shares (v1), the inverse map:
 *     shares = 2 + ceil(((weight - 1) * 262142) / 9999)
 * Rounding UP gives the smallest shares value that maps back to the same weight, so
 * weight -> shares -> weight round-trips exactly (with floor it would lose 1 almost every time).
 * shares -> weight -> shares does not: 1024 -> 39 -> 999 (many shares values share one weight).
 */
export function weightToShares(weight: number): number {
  if (!weight) return 0;
  const w = Math.min(Math.max(Math.trunc(weight), MIN_WEIGHT), MAX_WEIGHT);
  return 2 + Math.ceil(((w - 1) * 262142) / 9999);
}

/**
 * v1 cpu.cfs_quota_us + cpu.cfs_period_us -> the v2 "cpu.max" string "$QUOTA $PERIOD":
 *     quota > 0        -> "<quota> <period>"
 *     quota -1 / unset -> "max <period>"        (no limit)
 *     period unset     -> period = 100000 (100 ms, the kernel default)
 * Returns undefined when neither is set (leave cpu.max alone).
 */
export function toCpuMax(quota?: number, period?: number): string | undefined {
  if (!quota && !period) return undefined;
  const q = quota !== undefined && quota > 0 ? String(quota) : 'max';
  return `${q} ${period && period > 0 ? period : DEFAULT_PERIOD_US}`;
}

/** "cpu.max" -> { quota, period } with quota -1 for "max" (v1's unlimited cfs_quota_us). */
export function fromCpuMax(text: string): { quota: number; period: number } {
  const [q, p] = text.trim().split(/\s+/);
  return { quota: q === 'max' ? -1 : Number(q), period: p === undefined ? DEFAULT_PERIOD_US : Number(p) };
}

/**
 * OCI memory.swap -> v2 memory.swap.max.
 * OCI (like v1's memory.memsw.limit_in_bytes) counts memory + swap together; v2 counts swap alone:
 *     memory.swap.max = swap - limit
 * Special values, as runc's ConvertMemorySwapToCgroupV2Value:
 *     limit -1 and swap unset -> -1 ("max": unlimited memory means unlimited swap too)
 *     swap -1                 -> -1 ("max")
 *     swap 0 / unset          -> undefined (leave memory.swap.max alone)
 * Errors: a swap limit without a memory limit, or swap < limit.
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): number | undefined {
  const s = swap ?? 0;
  const l = limit ?? 0;
  if (l === -1 && s === 0) return -1;
  if (s === -1) return -1;
  if (s === 0) return undefined;
  if (l === 0 || l === -1) {
    throw new MiniconError('cgroup memory.swap.max: a swap limit needs a memory limit', {
      step: 'cgroup memory.swap.max', hint: 'OCI linux.resources.memory.swap is memory+swap: set memory.limit too',
    });
  }
  if (s < l) {
    throw new MiniconError(`cgroup memory.swap.max: memory+swap (${s}) must be >= the memory limit (${l})`, {
      step: 'cgroup memory.swap.max', hint: 'OCI memory.swap counts memory and swap together',
    });
  }
  return s - l;
}

/** The inverse: v2 memory.swap.max + memory.max -> OCI/v1 memory+swap (-1 when either is "max"). */
export function swapFromV2(swapMax: number, memoryMax: number): number {
  if (swapMax === -1 || memoryMax === -1) return -1;
  return swapMax + memoryMax;
}

/** OCI/v1 -1 ("unlimited") -> v2's "max"; any other number as is. */
export function toV2Limit(n: number): string {
  return n === -1 ? 'max' : String(n);
}

/** v2 "max" -> -1; a number string -> the number. */
export function fromV2Limit(text: string): number {
  return text.trim() === 'max' ? -1 : Number(text);
}

/**
 * A limit file read for stats -> a number, or undefined when unlimited: v2 writes "max", v1 reads
 * back a huge page-aligned number (9223372036854771712 for memory, 9223372036854775807 elsewhere).
 */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'max' || t === '-1' || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

/** pids.limit -> pids.max value: "max" for <= 0 (OCI: 0 or -1 mean no limit). */
export function toPidsMax(limit: number | undefined): string {
  return limit === undefined || !Number.isFinite(limit) || limit <= 0 ? 'max' : String(Math.trunc(limit));
}
