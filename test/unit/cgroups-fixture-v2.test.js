// cgroup v2 controllers and manager on temporary fixture directories.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const memory = require('../../dist/runtime/cgroups/v2/memory');
const cpu = require('../../dist/runtime/cgroups/v2/cpu');
const cpuset = require('../../dist/runtime/cgroups/v2/cpuset');
const pids = require('../../dist/runtime/cgroups/v2/pids');
const freeze = require('../../dist/runtime/cgroups/v2/freeze');
const devices = require('../../dist/runtime/cgroups/v2/devices');
const { V2Manager } = require('../../dist/runtime/cgroups/v2/manager');
const cg = require('../../dist/runtime/cgroups/index');
const { MiniconError } = require('../../dist/runtime/errors');
const { deviceRules } = require('../../dist/runtime/plan/devices');

const M = 1024 * 1024;
const { tree, read, cleanup } = require('../helpers/cgroup-fixtures')();
test.after(cleanup);

test('fixture v2 memory: memory.max, memory.low, memory.swap.max = swap - limit', () => {
  const d = tree({ 'memory.max': 'max', 'memory.low': '0', 'memory.swap.max': 'max' });
  memory.apply(d, { limit: 32 * M, reservation: 16 * M, swap: 48 * M });
  assert.is(read(d, 'memory.max'), String(32 * M));
  assert.is(read(d, 'memory.low'), String(16 * M));
  assert.is(read(d, 'memory.swap.max'), String(16 * M));
  memory.apply(d, { limit: -1 });
  assert.is(read(d, 'memory.max'), 'max');
  assert.is(read(d, 'memory.swap.max'), 'max');
});

test('fixture v2 memory: no memory.swap.max (no swap accounting) -> skipped; v1-only fields refused', () => {
  const d = tree({ 'memory.max': 'max' });
  memory.apply(d, { limit: 32 * M, swap: 64 * M });
  assert.not.ok(fs.existsSync(path.join(d, 'memory.swap.max')));
  assert.throws(() => memory.apply(d, { swappiness: 0 }), (e) => e instanceof MiniconError && /need cgroup v1/.test(e.message));
});

test('fixture v2 memory: stats from memory.current, memory.peak, memory.events', () => {
  const d = tree({ 'memory.current': '1048576', 'memory.max': String(32 * M), 'memory.peak': '2097152', 'memory.events': 'low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n' });
  assert.equal(memory.stats(d), { usage: M, limit: 32 * M, maxUsage: 2 * M, oomKills: 1 });
  const old = tree({ 'memory.current': '1', 'memory.max': 'max' });
  assert.equal(memory.stats(old), { usage: 1, limit: undefined, maxUsage: undefined, oomKills: undefined });
});

test('fixture v2 cpu: cpu.weight from shares, cpu.max from quota/period', () => {
  const d = tree({ 'cpu.weight': '100', 'cpu.max': 'max 100000', 'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 30\n' });
  cpu.apply(d, { shares: 512, quota: 50000, period: 100000 });
  assert.is(read(d, 'cpu.weight'), '20');
  assert.is(read(d, 'cpu.max'), '50000 100000');
  cpu.apply(d, { shares: 1024, quota: -1 });
  assert.is(read(d, 'cpu.weight'), '39');
  assert.is(read(d, 'cpu.max'), 'max 100000');
  assert.equal(cpu.stats(d), { usageUsec: 1500, throttledPeriods: 1, throttledUsec: 30 });
  assert.throws(() => cpu.apply(d, { realtimeRuntime: 1000 }), (e) => e instanceof MiniconError);
});

test('fixture v2 cpuset and pids', () => {
  const d = tree({ 'cpuset.cpus': '', 'cpuset.mems': '', 'pids.max': 'max', 'pids.current': '2', 'pids.events': 'max 0\n' });
  cpuset.apply(d, { cpus: '0-1', mems: '0' });
  assert.is(read(d, 'cpuset.cpus'), '0-1');
  assert.is(read(d, 'cpuset.mems'), '0');
  pids.apply(d, { limit: 20 });
  assert.is(read(d, 'pids.max'), '20');
  assert.equal(pids.stats(d), { current: 2, limit: 20, maxEvents: 0 });
  pids.apply(d, { limit: -1 });
  assert.is(read(d, 'pids.max'), 'max');
});

test('fixture v2 freeze: cgroup.freeze and "frozen 1" in cgroup.events', () => {
  const d = tree({ 'cgroup.freeze': '0', 'cgroup.events': 'populated 1\nfrozen 1\n' });
  freeze.freeze(d);
  assert.is(read(d, 'cgroup.freeze'), '1');
  assert.ok(freeze.isFrozen(d));
  freeze.thaw(d);
  assert.is(read(d, 'cgroup.freeze'), '0');
  // never reports frozen: bounded wait, then thawed again and reported
  const stuck = tree({ 'cgroup.freeze': '0', 'cgroup.events': 'populated 1\nfrozen 0\n' });
  assert.throws(() => freeze.freeze(stuck, 30), (e) => e instanceof MiniconError && /frozen 1/.test(e.message));
  assert.is(read(stuck, 'cgroup.freeze'), '0');
});

const DENY_ALL = { allow: false, access: 'rwm' };
const DOCKER_DEFAULT = [
  DENY_ALL,
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rw' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

test('fixture v2 devices: filterRules normalizes (nulls -1, "a" = the whole set, nothing before the last "a")', () => {
  assert.equal(devices.filterRules(undefined), [], 'no rules: no program');
  assert.equal(devices.filterRules([]), []);
  assert.equal(devices.filterRules([{ allow: true, access: 'rwm' }]), [], 'allow all restricts nothing');
  assert.equal(devices.filterRules(DOCKER_DEFAULT.slice(1)), [], 'allow rules only on top of the inherited allow-all');
  assert.equal(devices.filterRules([DENY_ALL]), [{ allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' }]);
  assert.equal(devices.filterRules([{ allow: false, type: 'a', access: 'r' }]), [{ allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' }], '"a" is always the whole set (as v1 reads it)');
  assert.equal(devices.filterRules(DOCKER_DEFAULT).slice(0, 3), [
    { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
    { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
    { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  ]);
  assert.is(devices.filterRules(DOCKER_DEFAULT).length, DOCKER_DEFAULT.length, 'order kept, nothing dropped');
  assert.equal(devices.filterRules([{ allow: true, type: 'b', major: 8, minor: 0 }, DENY_ALL, { allow: true, type: 'c', major: 1, minor: 3, access: 'wrw' }]), [
    { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
  ], 'rules before the last "a" dropped; access letters deduplicated, in rwm order; default access rwm');
  assert.equal(devices.filterRules([{ allow: false, type: 'b', major: 8, minor: null, access: 'rw' }]), [{ allow: false, type: 'b', major: 8, minor: -1, access: 'rw' }], 'a specific deny on the inherited allow-all');
  assert.throws(() => devices.filterRules([{ allow: true, type: 'x' }]), (e) => e instanceof MiniconError && /invalid device type/.test(e.message));
  assert.throws(() => devices.filterRules([{ allow: true, type: 'c', access: 'rx' }]), (e) => e instanceof MiniconError && /invalid access/.test(e.message));
});

test('fixture v2 devices: the last matching rule wins (decide, the model of the eBPF program)', () => {
  const d = (rules, type, major, minor, access) => devices.decide(devices.filterRules(rules), type, major, minor, access);
  // the runtime's own list: the spec's rules, then the defaults (plan/devices.ts)
  const rules = deviceRules([DENY_ALL]);
  assert.ok(d(rules, 'c', 1, 3, 'rw'), '/dev/null rw');
  assert.ok(d(rules, 'c', 1, 3, 'm'), '/dev/null mknod');
  assert.ok(d(rules, 'c', 136, 7, 'rw'), '/dev/pts/7');
  assert.not.ok(d(rules, 'b', 8, 0, 'r'), '/dev/sda read');
  assert.not.ok(d(rules, 'b', 8, 0, 'm'), '/dev/sda mknod (no "b *:* m" among MiniCon\'s defaults)');
  assert.not.ok(d(rules, 'c', 10, 229, 'rw'), '/dev/fuse');
  assert.ok(d(deviceRules([DENY_ALL], [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }]), 'c', 10, 229, 'rw'), 'a listed device is allowed');
  // the spec cannot take the standard devices away: the defaults come after its rules
  assert.ok(d(deviceRules([DENY_ALL, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }]), 'c', 1, 3, 'w'));
  // access is a subset test: an "r" rule does not decide a write or an O_RDWR open
  const ro = [DENY_ALL, { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }];
  assert.ok(d(ro, 'c', 1, 5, 'r'));
  assert.not.ok(d(ro, 'c', 1, 5, 'w'));
  assert.not.ok(d(ro, 'c', 1, 5, 'rw'));
  // later rules override earlier ones, in both directions
  assert.not.ok(d([DENY_ALL, { allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3 }], 'c', 1, 3, 'r'));
  assert.ok(d([DENY_ALL, { allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3 }], 'c', 1, 5, 'r'));
  assert.ok(d([DENY_ALL, { allow: false, type: 'c', major: 1, minor: 3 }, { allow: true, type: 'c', access: 'rwm' }], 'c', 1, 3, 'r'));
  // without "a": the inherited allow-all, with holes
  const black = [{ allow: false, type: 'b', major: 8, minor: null, access: 'rwm' }];
  assert.not.ok(d(black, 'b', 8, 16, 'r'));
  assert.ok(d(black, 'b', 7, 0, 'r'));
  assert.ok(d(black, 'c', 8, 0, 'r'), 'the type matters');
  // a later "a" resets everything before it
  assert.ok(d([...black, { allow: true, access: 'rwm' }], 'b', 8, 0, 'r'));
});

function v2Root() {
  return tree({
    'cgroup.controllers': 'cpuset cpu io memory hugetlb pids', 'cgroup.subtree_control': '',
    'minicon/cgroup.controllers': 'cpuset cpu memory pids', 'minicon/cgroup.subtree_control': 'memory',
  });
}

test('fixture v2 manager: create enables controllers in the root and intermediates, not the leaf', () => {
  const root = v2Root();
  const m = cg.openCgroups({ id: 'c1', root });
  assert.is(m.layout, 'unified');
  m.create();
  assert.is(read(root, 'cgroup.subtree_control'), '+cpu +cpuset +memory +pids');
  assert.is(read(root, 'minicon/cgroup.subtree_control'), '+cpu +cpuset +pids', 'only the missing ones');
  assert.ok(fs.statSync(`${root}/minicon/c1`).isDirectory());
  assert.equal(fs.readdirSync(`${root}/minicon/c1`), [], 'nothing written in the leaf');
});

test('fixture v2 manager: apply validates device rules before writing anything, attaches the filter last', () => {
  const root = v2Root();
  const dir = `${root}/minicon/c1`;
  fs.mkdirSync(dir);
  fs.writeFileSync(`${dir}/memory.max`, 'max');
  const m = new V2Manager(dir, root);
  assert.throws(() => m.apply({ memory: { limit: 32 * M }, devices: [DENY_ALL, { allow: true, type: 'x', major: 10, minor: 229 }] }), (e) => e instanceof MiniconError);
  assert.is(read(root, 'minicon/c1/memory.max'), 'max');
  // the addon is stubbed: a fixture directory is no cgroup
  const nat = require('../../dist/runtime/native');
  const real = nat.native;
  const calls = [];
  nat.native = () => ({ attachDeviceFilter: (d, rules) => calls.push({ d, rules, memory: read(root, 'minicon/c1/memory.max') }) });
  try {
    m.apply({ memory: { limit: 32 * M }, devices: [{ allow: true, access: 'rwm' }] });
    assert.equal(calls, [], 'nothing restricted: no program');
    m.apply({ memory: { limit: 32 * M }, devices: [DENY_ALL, { allow: true, type: 'c', major: 10, minor: 229 }] });
  } finally {
    nat.native = real;
  }
  assert.equal(calls, [{ d: dir, memory: String(32 * M), rules: [
    { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ] }]);
});

test('fixture v2 manager: linux.resources.unified writes raw files, refuses odd names', () => {
  const d = tree({ 'memory.high': 'max' });
  const m = new V2Manager(d, path.dirname(d));
  m.apply({ unified: { 'memory.high': '1000000' } });
  assert.is(read(d, 'memory.high'), '1000000');
  for (const bad of ['../x.y', 'cgroup.procs', 'memory']) {
    assert.throws(() => m.apply({ unified: { [bad]: '1' } }), (e) => e instanceof MiniconError, bad);
  }
});

test('fixture v2 manager: destroy removes the leaf and empty dirs up to root/minicon, never the root', () => {
  const root = tree({ 'cgroup.controllers': '', 'minicon/lab/c1/': null, 'minicon/lab/c2/': null });
  fs.mkdirSync(`${root}/minicon/lab/c1`, { recursive: true });
  fs.mkdirSync(`${root}/minicon/lab/c2`, { recursive: true });
  const c1 = cg.cgroupsFromPaths('unified', { '': `${root}/minicon/lab/c1` }, { root });
  c1.destroy();
  assert.not.ok(fs.existsSync(`${root}/minicon/lab/c1`));
  assert.ok(fs.existsSync(`${root}/minicon/lab`), 'still used by c2');
  cg.cgroupsFromPaths('unified', { '': `${root}/minicon/lab/c2` }, { root }).destroy();
  assert.not.ok(fs.existsSync(`${root}/minicon`));
  assert.ok(fs.existsSync(`${root}/cgroup.controllers`));
  c1.destroy(); // idempotent
});

test.run();
