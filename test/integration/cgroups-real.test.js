// The cgroup manager on the real kernel of this machine (v1/hybrid here; also run in a cgroup v2 VM).
// Values are checked by reading the kernel's files directly, at paths computed here independently of
// the manager. Needs root. Cleans up whatever happens.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const { spawn, execFileSync } = require('child_process');
const cg = require('../../dist/runtime/cgroups/index');
const { MiniconError } = require('../../dist/runtime/errors');

const ROOT = '/sys/fs/cgroup';
const MiB = 1024 * 1024;
const id = `cgtest-${process.pid}-${Date.now().toString(36)}`;
const isRoot = process.getuid && process.getuid() === 0;

let layout;
let manager;
let child;
/** controller ('' on v2) -> expected directory, computed without the manager */
const expected = {};
/** "minicon" intermediates that did not exist before the test (must be gone after it) */
const freshIntermediates = [];

function readK(dir, file) {
  return fs.readFileSync(`${dir}/${file}`, 'utf8').trim();
}

function ownV1() {
  const own = {};
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, list, p] = line.split(':');
    if (list) for (const c of list.split(',')) own[c] = p;
  }
  return own;
}

/** Where the hierarchy of controller c is mounted: /sys/fs/cgroup/<co-mounted list> or /<c>. */
function mountOf(c) {
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const list = line.split(':')[1];
    if (!list || !list.split(',').includes(c)) continue;
    for (const name of [list, c]) if (fs.existsSync(`${ROOT}/${name}/cgroup.procs`)) return `${ROOT}/${name}`;
  }
  return undefined;
}

function leftovers() {
  const out = execFileSync('find', [ROOT, '-name', `*${id}*`], { encoding: 'utf8' }).trim();
  return out ? out.split('\n') : [];
}

function cleanup() {
  if (child && child.exitCode === null && child.signalCode === null) {
    try { child.kill('SIGKILL'); } catch {}
  }
  if (manager) {
    try { manager.destroy(); } catch {}
  }
  // last resort, should never be needed: rmdir anything left with our id (deepest first)
  try { for (const d of leftovers().sort((a, b) => b.length - a.length)) try { fs.rmdirSync(d); } catch {} } catch {}
  for (const d of freshIntermediates) try { fs.rmdirSync(d); } catch {}
}

function exited(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

if (!isRoot) {
  test('cgroups real kernel (skipped: needs root; run as root to exercise the kernel)', () => {
    console.log('  skip: cgroups-real needs root');
  });
} else {
  test.before(() => {
    layout = cg.detectLayout();
    if (layout === 'unified') {
      expected[''] = `${ROOT}/minicon/${id}`;
      if (!fs.existsSync(`${ROOT}/minicon`)) freshIntermediates.push(`${ROOT}/minicon`);
    } else {
      const own = ownV1();
      for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'freezer', 'devices']) {
        const mount = mountOf(c);
        if (!mount || own[c] === undefined) continue;
        const base = own[c] === '/' ? mount : mount + own[c];
        expected[c] = `${base}/minicon/${id}`;
        if (!fs.existsSync(`${base}/minicon`) && !freshIntermediates.includes(`${base}/minicon`)) freshIntermediates.push(`${base}/minicon`);
      }
    }
    console.log(`  layout ${layout}; container cgroups: ${[...new Set(Object.values(expected))].join(' ')}`);
  });

  test.after(cleanup);
  process.once('exit', cleanup); // also when the run is aborted by an uncaught error

  test('real: create places the cgroup where expected, apply writes the kernel files', () => {
    manager = cg.openCgroups({ id });
    assert.is(manager.layout, layout);
    assert.equal(manager.paths, expected);
    manager.create();
    for (const dir of Object.values(expected)) assert.ok(fs.existsSync(`${dir}/cgroup.procs`), dir);
    manager.apply({
      memory: { limit: 32 * MiB },
      pids: { limit: 20 },
      cpu: { shares: 512, quota: 50000, period: 100000 },
    });
    if (layout === 'unified') {
      const d = expected[''];
      assert.is(readK(d, 'memory.max'), String(32 * MiB));
      assert.is(readK(d, 'pids.max'), '20');
      assert.is(readK(d, 'cpu.max'), '50000 100000');
      assert.is(readK(d, 'cpu.weight'), '20');
    } else {
      assert.is(readK(expected.memory, 'memory.limit_in_bytes'), String(32 * MiB));
      assert.is(readK(expected.pids, 'pids.max'), '20');
      assert.is(readK(expected.cpu, 'cpu.shares'), '512');
      assert.is(readK(expected.cpu, 'cpu.cfs_quota_us'), '50000');
      assert.is(readK(expected.cpu, 'cpu.cfs_period_us'), '100000');
      if (expected.cpuset) {
        assert.ok(readK(expected.cpuset, 'cpuset.cpus') !== '', 'cpuset.cpus inherited');
        assert.ok(readK(expected.cpuset, 'cpuset.mems') !== '', 'cpuset.mems inherited');
      }
    }
  });

  test('real: memory+swap raised and lowered (the v1 write order matters)', () => {
    const steps = [
      { limit: 32 * MiB, swap: 64 * MiB },
      { limit: 16 * MiB, swap: 16 * MiB }, // lower: memory first, then memsw
      { limit: 64 * MiB, swap: 128 * MiB }, // raise: memsw first, then memory
    ];
    if (layout === 'unified') {
      const d = expected[''];
      const hasSwap = fs.existsSync(`${d}/memory.swap.max`);
      for (const m of steps) {
        manager.apply({ memory: m });
        assert.is(readK(d, 'memory.max'), String(m.limit));
        if (hasSwap) assert.is(readK(d, 'memory.swap.max'), String(m.swap - m.limit));
      }
    } else {
      const d = expected.memory;
      const hasMemsw = fs.existsSync(`${d}/memory.memsw.limit_in_bytes`);
      for (const m of steps) {
        manager.apply({ memory: m });
        assert.is(readK(d, 'memory.limit_in_bytes'), String(m.limit));
        if (hasMemsw) assert.is(readK(d, 'memory.memsw.limit_in_bytes'), String(m.swap));
      }
    }
    manager.apply({ memory: { limit: 32 * MiB } });
  });

  test('real: device rules (v1 devices.list; v2 an eBPF device filter the kernel enforces)', () => {
    const rules = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
    ];
    if (layout === 'unified') {
      manager.apply({ devices: rules });
      assert.throws(() => manager.apply({ devices: [...rules, { allow: true, type: 'x' }] }), (e) => e instanceof MiniconError && /invalid device type/.test(e.message));
      // a process moved into the cgroup may open /dev/null, not /dev/zero (c 1:5)
      const dir = manager.paths[''];
      const out = execFileSync('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && echo x > /dev/null && echo null=ok; true 2>/dev/null </dev/zero && echo zero=ok || echo zero=denied`], { encoding: 'utf8' });
      assert.match(out, /null=ok/, out);
      assert.match(out, /zero=denied/, out);
    } else if (expected.devices) {
      manager.apply({ devices: rules });
      assert.equal(readK(expected.devices, 'devices.list').split('\n'), ['c 1:3 rwm', 'c 136:* rwm']);
    }
  });

  test('real: a kernel refusal is a MiniconError naming step, syscall, path and errno', () => {
    try {
      manager.apply({ cpu: { quota: 10 } }); // below the kernel's 1 ms minimum
      assert.unreachable('the kernel should refuse a 10 us quota');
    } catch (e) {
      assert.ok(e instanceof MiniconError, String(e));
      assert.is(e.detail.syscall, 'write');
      assert.is(e.detail.errno, 'EINVAL');
      if (layout === 'unified') {
        assert.is(e.detail.step, 'cgroup cpu.max');
        assert.is(e.detail.path, `${expected['']}/cpu.max`);
      } else {
        assert.is(e.detail.step, 'cgroup cpu.cfs_quota_us');
        assert.is(e.detail.path, `${expected.cpu}/cpu.cfs_quota_us`);
      }
    }
  });

  test('real: addProcess moves a child into every hierarchy; stats and pids see it', () => {
    child = spawn('sleep', ['30'], { stdio: 'ignore' });
    assert.ok(child.pid > 0);
    manager.addProcess(child.pid);
    const procCg = fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8');
    if (layout === 'unified') {
      assert.match(procCg, `0::/minicon/${id}\n`);
      assert.ok(readK(expected[''], 'cgroup.procs').split('\n').includes(String(child.pid)));
    } else {
      for (const [c, dir] of Object.entries(expected)) {
        assert.ok(readK(dir, 'cgroup.procs').split('\n').includes(String(child.pid)), `${c} cgroup.procs`);
      }
      const own = ownV1();
      assert.match(procCg, `:memory:${own.memory === '/' ? '' : own.memory}/minicon/${id}\n`);
    }
    assert.ok(manager.pids().includes(child.pid));
    const s = manager.stats();
    assert.ok(s.pids && s.pids.current >= 1, JSON.stringify(s));
    assert.is(s.pids.limit, 20);
    assert.ok(s.memory && s.memory.limit === 32 * MiB, JSON.stringify(s.memory));
    assert.ok(s.cpu && s.cpu.usageUsec >= 0, JSON.stringify(s.cpu));
  });

  test('real: freeze/thaw through a manager reopened from saved paths', () => {
    const again = cg.cgroupsFromPaths(layout, JSON.parse(JSON.stringify(manager.paths)));
    again.freeze();
    assert.ok(again.isFrozen());
    if (layout === 'unified') assert.match(readK(expected[''], 'cgroup.events'), /^frozen 1$/m);
    else assert.is(readK(expected.freezer, 'freezer.state'), 'FROZEN');
    again.thaw();
    assert.not.ok(again.isFrozen());
    if (layout === 'unified') assert.match(readK(expected[''], 'cgroup.events'), /^frozen 0$/m);
    else assert.is(readK(expected.freezer, 'freezer.state'), 'THAWED');
  });

  test('real: kill through the cgroup, destroy, nothing left under /sys/fs/cgroup', async () => {
    const again = cg.cgroupsFromPaths(layout, JSON.parse(JSON.stringify(manager.paths)));
    again.kill();
    await exited(child);
    assert.is(child.signalCode, 'SIGKILL');
    again.destroy();
    again.destroy(); // idempotent
    assert.equal(leftovers(), []);
    for (const d of freshIntermediates) assert.not.ok(fs.existsSync(d), `${d} removed`);
  });
}

test.run();
