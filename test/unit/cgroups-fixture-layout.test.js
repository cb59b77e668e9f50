// Layout detection, /proc/self/cgroup parsing and placement, on temporary fixture trees.
const { test } = require('uvu');
const assert = require('uvu/assert');
const layout = require('../../dist/runtime/cgroups/layout');
const cg = require('../../dist/runtime/cgroups/index');
const { MiniconError } = require('../../dist/runtime/errors');

const { tree, cleanup } = require('../helpers/cgroup-fixtures')();
test.after(cleanup);

// This build machine: hybrid, memory in a nested cgroup, the others at the root.
const HYBRID_SELF = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/c6dc07482c2e93f3f0060200d678b5a9
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;
const UNIFIED_SELF = '0::/user.slice/user-1000.slice/session-3.scope\n';
const COMOUNT_SELF = `5:cpu,cpuacct:/user.slice
4:memory:/user.slice/x
3:name=systemd:/user.slice/x
`;

test('fixture: detectLayout unified / hybrid / legacy', () => {
  assert.is(layout.detectLayout(tree({ 'cgroup.controllers': 'cpu memory pids', 'cgroup.procs': '' })), 'unified');
  assert.is(layout.detectLayout(tree({ 'memory/cgroup.procs': '', 'unified/cgroup.controllers': '' })), 'hybrid');
  assert.is(layout.detectLayout(tree({ 'memory/cgroup.procs': '', 'cpu/cgroup.procs': '' })), 'legacy');
  assert.is(layout.detectLayout(tree({ 'unified/cgroup.controllers': '' })), 'legacy', 'no v1 hierarchy: not hybrid');
});

test('fixture: ownCgroups on a hybrid /proc/self/cgroup sample', () => {
  const own = layout.ownCgroups(HYBRID_SELF);
  assert.is(own.memory, '/process_api/c6dc07482c2e93f3f0060200d678b5a9');
  assert.is(own.cpu, '/');
  assert.is(own.pids, '/');
  assert.is(own['name=systemd'], '/');
  assert.is(own[''], '/');
});

test('fixture: ownCgroups on unified and co-mounted samples', () => {
  assert.equal(layout.ownCgroups(UNIFIED_SELF), { '': '/user.slice/user-1000.slice/session-3.scope' });
  const own = layout.ownCgroups(COMOUNT_SELF);
  assert.is(own.cpu, '/user.slice');
  assert.is(own.cpuacct, '/user.slice');
  assert.is(own['name=systemd'], '/user.slice/x');
  const lines = layout.parseProcCgroup(COMOUNT_SELF);
  assert.equal(lines[0], { hierarchy: 5, controllers: ['cpu', 'cpuacct'], path: '/user.slice' });
});

test('fixture: openCgroups on hybrid places each cgroup inside the own cgroup', () => {
  const files = { 'unified/cgroup.controllers': '' };
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'freezer', 'devices', 'blkio', 'systemd']) files[`${c}/cgroup.procs`] = '';
  const root = tree(files);
  const m = cg.openCgroups({ id: 'c1', root, selfCgroup: HYBRID_SELF });
  assert.is(m.layout, 'hybrid');
  assert.equal(Object.keys(m.paths).sort(), ['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
  assert.is(m.paths.memory, `${root}/memory/process_api/c6dc07482c2e93f3f0060200d678b5a9/minicon/c1`);
  assert.is(m.paths.cpu, `${root}/cpu/minicon/c1`);
  const m2 = cg.openCgroups({ id: 'c1', cgroupsPath: '/a/b', root, selfCgroup: HYBRID_SELF });
  assert.is(m2.paths.pids, `${root}/pids/a/b`);
});

test('fixture: openCgroups with cpu,cpuacct co-mounted, and unmounted hierarchies skipped', () => {
  const root = tree({ 'cpu,cpuacct/cgroup.procs': '', 'memory/cgroup.procs': '' });
  const m = cg.openCgroups({ id: 'x', root, selfCgroup: COMOUNT_SELF });
  assert.is(m.layout, 'legacy');
  assert.is(m.paths.cpu, `${root}/cpu,cpuacct/user.slice/minicon/x`);
  assert.is(m.paths.cpuacct, m.paths.cpu);
  assert.is(m.paths.memory, `${root}/memory/user.slice/x/minicon/x`);
  assert.is(m.paths.pids, undefined);
});

test('fixture: openCgroups on unified uses the minicon subtree', () => {
  const root = tree({ 'cgroup.controllers': 'cpu memory pids', 'cgroup.subtree_control': '' });
  assert.equal(cg.openCgroups({ id: 'c1', root, selfCgroup: UNIFIED_SELF }).paths, { '': `${root}/minicon/c1` });
  assert.equal(cg.openCgroups({ id: 'c1', cgroupsPath: '/lab/c1', root }).paths, { '': `${root}/minicon/lab/c1` });
  assert.equal(cg.openCgroups({ id: 'c1', cgroupsPath: '/minicon/c9', root }).paths, { '': `${root}/minicon/c9` });
});

test('fixture: bad cgroups paths are refused', () => {
  assert.is(cg.relativeCgroupPath(undefined, 'abc'), 'minicon/abc');
  assert.is(cg.relativeCgroupPath('/x/y/', 'abc'), 'x/y');
  for (const bad of ['/a/../b', '/', 'system.slice:minicon:abc']) {
    assert.throws(() => cg.relativeCgroupPath(bad, 'abc'), (e) => e instanceof MiniconError, bad);
  }
  assert.throws(() => cg.relativeCgroupPath(undefined, 'a/b'), (e) => e instanceof MiniconError);
});

test('fixture: cgroupsFromPaths reopens the right manager', () => {
  const v2 = cg.cgroupsFromPaths('unified', { '': '/sys/fs/cgroup/minicon/c1' });
  assert.is(v2.layout, 'unified');
  assert.equal(v2.paths, { '': '/sys/fs/cgroup/minicon/c1' });
  const v1 = cg.cgroupsFromPaths('hybrid', { memory: '/sys/fs/cgroup/memory/minicon/c1' });
  assert.is(v1.layout, 'hybrid');
  assert.is(v1.paths.memory, '/sys/fs/cgroup/memory/minicon/c1');
});

test.run();
