'use strict';
// The runtime's limits as the kernel shows them, on whatever layout this machine has: hybrid v1
// here, cgroup v2 inside test/vm/run.sh. Every value is read from the cgroup files of the
// container's pid (found through /proc/<pid>/cgroup), never from MiniCon's own report.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const kit = require('../helpers/config-kit')('cgroups-runtime');

const MiB = 1024 * 1024;
const unified = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

/** The container's cgroup directory for a controller ('' on v2), from /proc/<pid>/cgroup. */
function cgroupDir(pid, controller) {
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [id, ctrls, path] = line.split(':');
    if (unified && id === '0') return `/sys/fs/cgroup${path}`;
    if (!unified && ctrls.split(',').includes(controller)) {
      const mount = fs.existsSync(`/sys/fs/cgroup/${ctrls}`) ? `/sys/fs/cgroup/${ctrls}` : `/sys/fs/cgroup/${controller}`;
      return `${mount}${path}`;
    }
  }
  throw new Error(`pid ${pid} has no ${controller || 'v2'} cgroup`);
}
const read = (pid, controller, v1file, v2file) => fs.readFileSync(`${cgroupDir(pid, controller)}/${unified ? v2file : v1file}`, 'utf8').trim();

test.before(kit.begin);
test.after(kit.cleanup);

test(`limits reach the kernel (${unified ? 'cgroup v2' : 'cgroup v1'}): memory, pids, cpu`, () => {
  const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { resources: { memory: { limit: 48 * MiB }, pids: { limit: 24 }, cpu: { shares: 512, quota: 25000, period: 100000 } } } } });
  const c = kit.start(b, kit.id('limits'));
  try {
    assert.is(read(c.pid, 'memory', 'memory.limit_in_bytes', 'memory.max'), String(48 * MiB));
    assert.is(read(c.pid, 'pids', 'pids.max', 'pids.max'), '24');
    assert.is(read(c.pid, 'cpu', 'cpu.cfs_quota_us', 'cpu.max'), unified ? '25000 100000' : '25000');
    // shares 512 is weight 20 on v2: 1 + (512 - 2) * 9999 / 262142
    assert.is(read(c.pid, 'cpu', 'cpu.shares', 'cpu.weight'), unified ? '20' : '512');
    const procs = read(c.pid, 'pids', 'cgroup.procs', 'cgroup.procs').split('\n').map(Number);
    assert.equal(procs, [c.pid], 'only pid 1 is in the container cgroup (the monitor went back to its own)');
  } finally {
    kit.destroy(c.id);
  }
});

test('a memory hog over its limit is OOM-killed inside the container cgroup (exit 137)', () => {
  const b = kit.bundle({ probe: ['memhog', '200'], edit: { linux: { resources: { memory: { limit: 32 * MiB } } } } });
  const r = kit.run(b, kit.id('oom'));
  assert.is(r.status, 137, r.stderr);
  assert.match(r.stdout, /allocated=\d+/);
  const last = Number([...r.stdout.matchAll(/allocated=(\d+)/g)].pop()[1]);
  assert.ok(last < 32, `allocated ${last} MiB under a 32 MiB limit`);
});

test('a fork bomb stops at pids.max', () => {
  const b = kit.bundle({ probe: ['forkbomb', '100'], edit: { linux: { resources: { pids: { limit: 10 } } } } });
  const c = kit.start(b, kit.id('pids'));
  try {
    kit.waitFor(null, () => Number(read(c.pid, 'pids', 'pids.current', 'pids.current')) >= 10, 5000);
    assert.is(read(c.pid, 'pids', 'pids.current', 'pids.current'), '10');
    const events = read(c.pid, 'pids', 'pids.events', 'pids.events');
    assert.match(events, /max [1-9]/, `pids.events: ${events}`);
  } finally {
    kit.destroy(c.id);
  }
});

test('pause freezes every process; resume thaws them', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const c = kit.start(b, kit.id('freeze'));
  try {
    assert.is(kit.mc(['pause', c.id]).status, 0);
    if (unified) assert.match(read(c.pid, '', '', 'cgroup.events'), /frozen 1/);
    else assert.is(read(c.pid, 'freezer', 'freezer.state', ''), 'FROZEN');
    assert.is(kit.state(c.id).status, 'paused');
    assert.is(kit.mc(['resume', c.id]).status, 0);
    if (unified) assert.match(read(c.pid, '', '', 'cgroup.events'), /frozen 0/);
    else assert.is(read(c.pid, 'freezer', 'freezer.state', ''), 'THAWED');
    assert.is(kit.state(c.id).status, 'running');
  } finally {
    kit.destroy(c.id);
  }
});

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
