// cgroup v1 controllers and manager on temporary fixture directories (regular files stand in for
// cgroupfs files; the tests read back what each controller wrote).
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const memory = require('../../dist/runtime/cgroups/v1/memory');
const cpu = require('../../dist/runtime/cgroups/v1/cpu');
const cpuacct = require('../../dist/runtime/cgroups/v1/cpuacct');
const cpuset = require('../../dist/runtime/cgroups/v1/cpuset');
const pids = require('../../dist/runtime/cgroups/v1/pids');
const freezer = require('../../dist/runtime/cgroups/v1/freezer');
const devices = require('../../dist/runtime/cgroups/v1/devices');
const cg = require('../../dist/runtime/cgroups/index');
const { MiniconError } = require('../../dist/runtime/errors');

const M = 1024 * 1024;
const UNLIMITED = '9223372036854771712';
const { tree, read, cleanup } = require('../helpers/cgroup-fixtures')();
test.after(cleanup);

function memDir(extra = {}) {
  return tree({
    'memory.limit_in_bytes': UNLIMITED, 'memory.memsw.limit_in_bytes': UNLIMITED, 'memory.soft_limit_in_bytes': UNLIMITED,
    'memory.swappiness': '60', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
    'memory.usage_in_bytes': '1048576', 'memory.max_usage_in_bytes': '2097152', 'memory.failcnt': '4', ...extra,
  });
}

test('fixture v1 memory: limit, reservation, swap written', () => {
  const d = memDir();
  memory.apply(d, { limit: 32 * M, reservation: 16 * M, swap: 64 * M, swappiness: 10 });
  assert.is(read(d, 'memory.limit_in_bytes'), String(32 * M));
  assert.is(read(d, 'memory.soft_limit_in_bytes'), String(16 * M));
  assert.is(read(d, 'memory.memsw.limit_in_bytes'), String(64 * M));
  assert.is(read(d, 'memory.swappiness'), '10');
});

test('fixture v1 memory: write order of memory vs memsw follows runc', () => {
  const order = (mem, hasMemsw, cur) => memory.planMemoryWrites(mem, hasMemsw, () => cur).map((w) => `${w.file}=${w.value}`);
  // lowering from unlimited: the current limit is above the new memsw, so memory first
  assert.equal(order({ limit: 32 * M, swap: 64 * M }, true, Number(UNLIMITED)), [`memory.limit_in_bytes=${32 * M}`, `memory.memsw.limit_in_bytes=${64 * M}`]);
  // raising: the current limit is below the new memsw, so memsw first
  assert.equal(order({ limit: 128 * M, swap: 256 * M }, true, 32 * M), [`memory.memsw.limit_in_bytes=${256 * M}`, `memory.limit_in_bytes=${128 * M}`]);
  // unlimited swap: memsw first
  assert.equal(order({ limit: 32 * M, swap: -1 }, true, 16 * M), ['memory.memsw.limit_in_bytes=-1', `memory.limit_in_bytes=${32 * M}`]);
  // unlimited memory, swap unset: both unlimited, memsw first
  assert.equal(order({ limit: -1 }, true, 16 * M), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
  // no swap accounting: swap skipped
  assert.equal(order({ limit: 32 * M, swap: 64 * M }, false, 0), [`memory.limit_in_bytes=${32 * M}`]);
  assert.equal(order({ limit: -1 }, false, 0), ['memory.limit_in_bytes=-1']);
  // only a limit: the current value is not even read
  assert.equal(memory.planMemoryWrites({ limit: 32 * M }, true, () => { throw new Error('read'); }).length, 1);
});

test('fixture v1 memory: no memsw file -> swap skipped, file not created', () => {
  const d = tree({ 'memory.limit_in_bytes': UNLIMITED });
  memory.apply(d, { limit: 32 * M, swap: 64 * M });
  assert.is(read(d, 'memory.limit_in_bytes'), String(32 * M));
  assert.not.ok(fs.existsSync(path.join(d, 'memory.memsw.limit_in_bytes')));
});

test('fixture v1 memory: stats', () => {
  const d = memDir({ 'memory.limit_in_bytes': String(32 * M) });
  assert.equal(memory.stats(d), { usage: M, limit: 32 * M, maxUsage: 2 * M, failcnt: 4, oomKills: 3 });
  assert.is(memory.stats(memDir()).limit, undefined, 'unlimited reads as undefined');
});

test('fixture v1 memory: a failing write names step, syscall, path and errno', () => {
  const d = tree({ 'memory.soft_limit_in_bytes': '' });
  try {
    memory.apply(d, { limit: 32 * M });
    assert.unreachable('should throw');
  } catch (e) {
    assert.ok(e instanceof MiniconError);
    assert.is(e.detail.step, 'cgroup memory.limit_in_bytes');
    assert.is(e.detail.syscall, 'open');
    assert.is(e.detail.path, `${d}/memory.limit_in_bytes`);
    assert.is(e.detail.errno, 'ENOENT');
  }
});

test('fixture v1 cpu: shares, period, quota; throttling stats', () => {
  const d = tree({ 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 5000000\n' });
  cpu.apply(d, { shares: 512, quota: 50000, period: 200000 });
  assert.is(read(d, 'cpu.shares'), '512');
  assert.is(read(d, 'cpu.cfs_quota_us'), '50000');
  assert.is(read(d, 'cpu.cfs_period_us'), '200000');
  assert.equal(cpu.stats(d), { throttledPeriods: 2, throttledUsec: 5000 });
  cpu.apply(d, { quota: -1 });
  assert.is(read(d, 'cpu.cfs_quota_us'), '-1');
  assert.is(read(d, 'cpu.cfs_period_us'), '200000', 'unset period untouched');
});

test('fixture v1 cpuacct: usage ns -> usec', () => {
  assert.equal(cpuacct.stats(tree({ 'cpuacct.usage': '123456789' })), { usageUsec: 123456 });
});

test('fixture v1 cpuset: empty cgroups get the parent values, recursively', () => {
  const root = tree({
    'cpuset.cpus': '0-3', 'cpuset.mems': '0',
    'minicon/cpuset.cpus': '', 'minicon/cpuset.mems': '',
    'minicon/c1/cpuset.cpus': '', 'minicon/c1/cpuset.mems': '',
  });
  cpuset.ensure(`${root}/minicon/c1`);
  assert.is(read(root, 'minicon/cpuset.cpus'), '0-3');
  assert.is(read(root, 'minicon/c1/cpuset.cpus'), '0-3');
  assert.is(read(root, 'minicon/c1/cpuset.mems'), '0');
  cpuset.apply(`${root}/minicon/c1`, { cpus: '1', mems: '0' });
  assert.is(read(root, 'minicon/c1/cpuset.cpus'), '1');
});

test('fixture v1 pids: limit, max for <= 0, stats', () => {
  const d = tree({ 'pids.max': 'max', 'pids.current': '3', 'pids.events': 'max 7\n' });
  pids.apply(d, { limit: 20 });
  assert.is(read(d, 'pids.max'), '20');
  assert.equal(pids.stats(d), { current: 3, limit: 20, maxEvents: 7 });
  pids.apply(d, { limit: 0 });
  assert.is(read(d, 'pids.max'), 'max');
  assert.is(pids.stats(d).limit, undefined);
  pids.apply(d, undefined);
  assert.is(read(d, 'pids.max'), 'max', 'unset pids: untouched');
});

test('fixture v1 freezer: FROZEN / THAWED', () => {
  const d = tree({ 'freezer.state': 'THAWED' });
  freezer.freeze(d);
  assert.is(read(d, 'freezer.state'), 'FROZEN');
  assert.ok(freezer.isFrozen(d));
  freezer.thaw(d);
  assert.is(read(d, 'freezer.state'), 'THAWED');
  assert.not.ok(freezer.isFrozen(d));
});

test('fixture v1 devices: rule lines and write plan', () => {
  const rules = [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
    { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
    { allow: false, type: 'c', major: 1, minor: 9, access: 'w' },
  ];
  assert.equal(devices.planDeviceWrites(rules), [
    { file: 'devices.deny', value: 'a' },
    { file: 'devices.allow', value: 'c 1:3 rwm' },
    { file: 'devices.allow', value: 'c 136:* rwm' },
    { file: 'devices.allow', value: 'b *:* m' },
    { file: 'devices.deny', value: 'c 1:9 w' },
  ]);
  assert.is(devices.ruleLine({ allow: true, type: 'c', major: 5 }), 'c 5:* rwm');
  const d = tree({ 'devices.allow': '', 'devices.deny': '' });
  devices.apply(d, rules.slice(0, 2));
  assert.is(read(d, 'devices.deny'), 'a');
  assert.is(read(d, 'devices.allow'), 'c 1:3 rwm');
  assert.throws(() => devices.planDeviceWrites([{ allow: true, type: 'x' }]), (e) => e instanceof MiniconError);
  assert.throws(() => devices.planDeviceWrites([{ allow: true, type: 'c', access: 'rwx' }]), (e) => e instanceof MiniconError);
});

const SELF = '4:memory:/process_api/abc\n3:cpuset:/\n2:cpu,cpuacct:/\n1:pids:/\n0::/\n';
function v1Root() {
  return tree({
    'memory/cgroup.procs': '', 'memory/process_api/abc/cgroup.procs': '',
    'cpu,cpuacct/cgroup.procs': '', 'cpuset/cgroup.procs': '', 'pids/cgroup.procs': '',
  });
}

test('fixture v1 manager: create makes every directory once, destroy removes them and the empty minicon dir', () => {
  const root = v1Root();
  const a = cg.openCgroups({ id: 'a', root, selfCgroup: SELF });
  const b = cg.openCgroups({ id: 'b', root, selfCgroup: SELF });
  assert.is(a.paths.cpu, a.paths.cpuacct);
  a.create();
  a.create(); // idempotent
  b.create();
  for (const dir of Object.values(a.paths)) assert.ok(fs.statSync(dir).isDirectory(), dir);
  a.destroy();
  for (const dir of Object.values(a.paths)) assert.not.ok(fs.existsSync(dir), dir);
  assert.ok(fs.existsSync(`${root}/memory/process_api/abc/minicon`), 'minicon still used by b');
  b.destroy();
  assert.not.ok(fs.existsSync(`${root}/memory/process_api/abc/minicon`));
  assert.not.ok(fs.existsSync(`${root}/pids/minicon`));
  assert.ok(fs.existsSync(`${root}/memory/process_api/abc`), 'own cgroup kept');
  assert.ok(fs.existsSync(`${root}/pids`));
  b.destroy(); // idempotent
});

test('fixture v1 manager: reopened from paths, destroy still removes the empty minicon dir', () => {
  const root = v1Root();
  const m = cg.openCgroups({ id: 'a', root, selfCgroup: SELF });
  m.create();
  const again = cg.cgroupsFromPaths(m.layout, JSON.parse(JSON.stringify(m.paths)), { root, selfCgroup: SELF });
  again.destroy();
  assert.not.ok(fs.existsSync(`${root}/memory/process_api/abc/minicon`));
  assert.not.ok(fs.existsSync(`${root}/cpu,cpuacct/minicon`));
});

test('fixture v1 manager: custom intermediates only removed by the instance that created them', () => {
  const root = v1Root();
  const m = cg.openCgroups({ id: 'a', cgroupsPath: '/lab/a', root, selfCgroup: SELF });
  m.create();
  const reopened = cg.cgroupsFromPaths(m.layout, { ...m.paths }, { root, selfCgroup: SELF });
  reopened.destroy();
  assert.ok(fs.existsSync(`${root}/pids/lab`), 'a reopened manager cannot know it created "lab"');
  fs.mkdirSync(`${root}/pids/lab/a`);
  m.destroy();
  assert.not.ok(fs.existsSync(`${root}/pids/lab`), 'the creating instance removes it');
});

test('fixture v1 manager: never removes the own cgroup, even when it is named minicon', () => {
  const root = tree({ 'pids/cgroup.procs': '', 'pids/x/minicon/cgroup.procs': '' });
  const self = '1:pids:/x/minicon\n';
  const m = cg.openCgroups({ id: 'a', cgroupsPath: 'c1', root, selfCgroup: self });
  assert.is(m.paths.pids, `${root}/pids/x/minicon/c1`);
  m.create();
  fs.unlinkSync(`${root}/pids/x/minicon/cgroup.procs`); // make it removable if the guard failed
  m.destroy();
  assert.ok(fs.existsSync(`${root}/pids/x/minicon`));
});

test('fixture v1 manager: create never makes directories outside a cgroup hierarchy', () => {
  const root = tree({ 'pids/cgroup.procs': '' });
  const m = cg.cgroupsFromPaths('legacy', { memory: `${root}/memory/minicon/a` }, { root, selfCgroup: '1:pids:/\n' });
  assert.throws(() => m.create(), (e) => e instanceof MiniconError && /not a cgroup directory/.test(e.message));
  assert.not.ok(fs.existsSync(`${root}/memory`));
});

test('fixture v1 manager: settings for an unmounted controller are refused, not dropped', () => {
  const root = tree({ 'pids/cgroup.procs': '' });
  const m = cg.openCgroups({ id: 'a', root, selfCgroup: '1:pids:/\n' });
  assert.throws(() => m.apply({ memory: { limit: 32 * M } }), (e) => e instanceof MiniconError && /memory controller is not mounted/.test(e.message));
  assert.throws(() => m.apply({ unified: { 'memory.high': '1' } }), (e) => e instanceof MiniconError && /needs cgroup v2/.test(e.message));
});

test.run();
