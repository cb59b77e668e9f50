// cgroup v1 <-> v2 value conversions (pure).
const { test } = require('uvu');
const assert = require('uvu/assert');
const c = require('../../dist/runtime/cgroups/convert');
const { MiniconError } = require('../../dist/runtime/errors');

test('shares -> weight: known values (runc/crun formula)', () => {
  assert.is(c.sharesToWeight(2), 1);
  assert.is(c.sharesToWeight(1024), 39);
  assert.is(c.sharesToWeight(512), 20);
  assert.is(c.sharesToWeight(262144), 10000);
  assert.is(c.sharesToWeight(0), 0, '0 means unset');
});

test('shares -> weight clamps out-of-range shares like the v1 kernel', () => {
  assert.is(c.sharesToWeight(1), 1);
  assert.is(c.sharesToWeight(1e9), 10000);
});

test('weight -> shares: the inverse (rounded up, so weight round-trips)', () => {
  assert.is(c.weightToShares(1), 2);
  assert.is(c.weightToShares(10000), 262144);
  assert.is(c.weightToShares(39), 999, '1024 -> 39 -> 999: shares do not round-trip');
  assert.is(c.weightToShares(100), 2598);
  assert.is(c.weightToShares(0), 0);
  for (let w = 1; w <= 10000; w++) if (c.sharesToWeight(c.weightToShares(w)) !== w) assert.unreachable(`weight ${w} does not round-trip`);
});

test('quota/period -> cpu.max', () => {
  assert.is(c.toCpuMax(50000, 100000), '50000 100000');
  assert.is(c.toCpuMax(50000, undefined), '50000 100000');
  assert.is(c.toCpuMax(-1, 100000), 'max 100000');
  assert.is(c.toCpuMax(-1, undefined), 'max 100000');
  assert.is(c.toCpuMax(undefined, 20000), 'max 20000');
  assert.is(c.toCpuMax(undefined, undefined), undefined);
  assert.is(c.toCpuMax(0, 0), undefined);
});

test('cpu.max -> quota/period', () => {
  assert.equal(c.fromCpuMax('50000 100000\n'), { quota: 50000, period: 100000 });
  assert.equal(c.fromCpuMax('max 100000'), { quota: -1, period: 100000 });
});

test('OCI swap (memory+swap) -> memory.swap.max = swap - limit', () => {
  const M = 1024 * 1024;
  assert.is(c.swapToV2(64 * M, 32 * M), 32 * M);
  assert.is(c.swapToV2(32 * M, 32 * M), 0, 'swap == limit means no swap');
  assert.is(c.swapToV2(-1, 32 * M), -1);
  assert.is(c.swapToV2(undefined, -1), -1, 'unlimited memory and unset swap: swap unlimited too');
  assert.is(c.swapToV2(undefined, 32 * M), undefined);
  assert.is(c.swapToV2(0, 32 * M), undefined);
  assert.throws(() => c.swapToV2(16 * M, 32 * M), (e) => e instanceof MiniconError && /must be >=/.test(e.message));
  assert.throws(() => c.swapToV2(16 * M, undefined), (e) => e instanceof MiniconError && /needs a memory limit/.test(e.message));
  assert.is(c.swapFromV2(32 * M, 32 * M), 64 * M);
  assert.is(c.swapFromV2(-1, 32 * M), -1);
});

test('"max" vs -1, and limits read back', () => {
  assert.is(c.toV2Limit(-1), 'max');
  assert.is(c.toV2Limit(33554432), '33554432');
  assert.is(c.fromV2Limit('max\n'), -1);
  assert.is(c.fromV2Limit('20'), 20);
  assert.is(c.parseLimit('max'), undefined);
  assert.is(c.parseLimit('9223372036854771712'), undefined, 'v1 unlimited memory');
  assert.is(c.parseLimit('33554432\n'), 33554432);
  assert.is(c.parseLimit(undefined), undefined);
  assert.is(c.toPidsMax(20), '20');
  assert.is(c.toPidsMax(0), 'max');
  assert.is(c.toPidsMax(-1), 'max');
  assert.is(c.toPidsMax(undefined), 'max');
});

test.run();
