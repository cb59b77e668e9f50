'use strict';
// linux.resources (memory, cpu, cpuset, pids, devices) and linux.cgroupsPath, on this machine's cgroup
// v1 hierarchies, or on cgroup v2 (test/vm/run.sh) with v2's files: memory.max, memory.low,
// memory.swap.max, memory.events, cpu.weight, cpu.max, cpuset.*, pids.*. Values are read from the
// cgroup files of the container's pid (found through /proc/<pid>/cgroup), and from what the kernel
// does to the probe.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const kit = require('../helpers/config-kit')('res');
const { procCgroup, procStatus, v1Dir, cgroupDir, unified, sleepMs } = require('../helpers/config-kit');

test.before(kit.begin);
test.after(kit.cleanup);

const MiB = 1024 * 1024;
const v1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
/** The directory of the container's cgroup in controller c's hierarchy, from /proc/<pid>/cgroup. */
const cgDir = (pid, c) => v1Dir(c, procCgroup(pid)[c]);
const read = (dir, file) => fs.readFileSync(path.join(dir, file), 'utf8').trim();

function waitGone(pid, ms = 10000) {
  const deadline = Date.now() + ms;
  while (fs.existsSync(`/proc/${pid}`) && Date.now() < deadline) {
    // a zombie (exited, not yet reaped by its monitor) counts as gone
    try { if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))) return true; } catch { return true; }
    sleepMs(20);
  }
  return !fs.existsSync(`/proc/${pid}`);
}

/** cpu.quota: the kernel's answer does not depend on the layout */
function cpuQuotaEnforced() {
  const b = kit.bundle({ probe: ['spin', '1'], edit: { linux: { resources: { cpu: { quota: 20000, period: 100000 } } } } });
  const p = kit.probe(b, kit.id('cpu-quota'));
  const share = Number(p.cpu_ms) / Number(p.wall_ms);
  assert.ok(share < 0.35, `cpu ${p.cpu_ms} ms in ${p.wall_ms} ms wall: ${share.toFixed(2)} of a CPU (quota 0.2)`);
}

if (!v1 && !unified) {
  test('linux.resources (skipped: this host has neither cgroup v1 hierarchies nor cgroup v2 alone)', () => {
    console.log('  skip: no /sys/fs/cgroup/memory/memory.limit_in_bytes, no /sys/fs/cgroup/cgroup.controllers');
  });
} else if (unified) {
  // cgroup v2: one directory per container, /sys/fs/cgroup<the "0::" path of /proc/<pid>/cgroup>
  const keyed = (text) => Object.fromEntries(text.split('\n').filter(Boolean).map((l) => l.split(' ')));

  test('memory.limit: a memhog above 32 MiB is OOM-killed (exit 137); memory.max and memory.events show it', () => {
    const b = kit.bundle({ probe: ['memhog', '64'], edit: { linux: { resources: { memory: { limit: 32 * MiB } } } } });
    const r = kit.run(b, kit.id('oom'));
    assert.is(r.status, 137, `exit ${r.status}\n${r.stdout.slice(-200)}\n${r.stderr}`);
    const allocated = Math.max(0, ...r.stdout.split('\n').filter((l) => l.startsWith('allocated=')).map((l) => Number(l.slice(10))));
    assert.ok(allocated >= 1 && allocated < 32, `allocated ${allocated} MiB`);

    const id = kit.id('oom');
    const c = kit.create(b, id);
    assert.is(c.status, 0, c.err());
    try {
      const dir = cgroupDir(c.pid);
      assert.is(read(dir, 'memory.max'), String(32 * MiB));
      assert.is(kit.mc(['start', id]).status, 0);
      assert.ok(waitGone(c.pid), 'the memhog was not killed');
      const events = keyed(read(dir, 'memory.events'));
      assert.ok(Number(events.max) > 0, `memory.events max (the limit was hit): ${JSON.stringify(events)}`);
      assert.ok(Number(events.oom_kill) >= 1, `memory.events oom_kill: ${JSON.stringify(events)}`);
      if (fs.existsSync(path.join(dir, 'memory.peak'))) assert.ok(Number(read(dir, 'memory.peak')) <= 32 * MiB, 'memory.peak');
    } finally {
      kit.destroy(id);
    }
  });

  test('memory.reservation and memory.swap: memory.low, memory.swap.max (swap alone: memory+swap - limit)', () => {
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { resources: { memory: { limit: 64 * MiB, reservation: 16 * MiB, swap: 96 * MiB } } } } });
    const c = kit.start(b, kit.id('mem'));
    try {
      const dir = cgroupDir(c.pid);
      assert.is(read(dir, 'memory.max'), String(64 * MiB));
      assert.is(read(dir, 'memory.low'), String(16 * MiB));
      if (fs.existsSync(path.join(dir, 'memory.swap.max'))) assert.is(read(dir, 'memory.swap.max'), String(32 * MiB));
      else console.log('  skip: memory.swap (no memory.swap.max: swap accounting is off on this kernel)');
    } finally {
      kit.destroy(c.id);
    }
  });

  test('cpu.shares, cpu.quota, cpu.period: cpu.weight, cpu.max', () => {
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { resources: { cpu: { shares: 512, quota: 25000, period: 50000 } } } } });
    const c = kit.start(b, kit.id('cpu'));
    try {
      const dir = cgroupDir(c.pid);
      // shares 512 is weight 20: 1 + (512 - 2) * 9999 / 262142
      assert.is(read(dir, 'cpu.weight'), '20');
      assert.is(read(dir, 'cpu.max'), '25000 50000');
    } finally {
      kit.destroy(c.id);
    }
  });

  test('cpu.quota is enforced: a busy loop gets about quota/period of a CPU', cpuQuotaEnforced);

  test('cpu.cpus and cpu.mems: cpuset.cpus/cpuset.mems, and Cpus_allowed_list of the process', () => {
    const cpus = fs.readFileSync('/sys/fs/cgroup/cpuset.cpus.effective', 'utf8').trim();
    const last = cpus.split(/[,-]/).pop();
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { resources: { cpu: { cpus: last, mems: '0' } } } } });
    const c = kit.start(b, kit.id('cpuset'));
    try {
      const dir = cgroupDir(c.pid);
      assert.is(read(dir, 'cpuset.cpus'), last);
      assert.is(read(dir, 'cpuset.mems'), '0');
      assert.is(read(dir, 'cpuset.cpus.effective'), last);
      assert.is(procStatus(c.pid).Cpus_allowed_list, last);
    } finally {
      kit.destroy(c.id);
    }
  });

  test('pids.limit: a fork bomb gets EAGAIN; pids.current stays <= the limit', () => {
    const b = kit.bundle({ probe: ['forkbomb', '50'], edit: { linux: { resources: { pids: { limit: 10 } } } } });
    const c = kit.start(b, kit.id('pids'));
    try {
      const out = kit.waitFor(c.outFile, (t) => /forked=/.test(t));
      const p = kit.parseProbe(out);
      assert.is(p.error, 'EAGAIN', out);
      assert.ok(Number(p.forked) <= 9 && Number(p.forked) >= 1, `forked ${p.forked}`);
      const dir = cgroupDir(c.pid);
      assert.is(read(dir, 'pids.max'), '10');
      const current = Number(read(dir, 'pids.current'));
      assert.ok(current <= 10 && current >= 2, `pids.current ${current}`);
      assert.ok(Number(keyed(read(dir, 'pids.events')).max) >= 1, 'pids.events max');
    } finally {
      kit.destroy(c.id);
    }
  });

  test('resources.devices: a rule beyond the default policy is enforced on cgroup v2 (eBPF device filter)', () => {
    // a bind mount of the host's /dev/loop-control: the node exists, only the filter decides
    // (more in test/integration/cgroups-devices-v2.test.js)
    const bind = { destination: '/dev/lc', type: 'bind', source: '/dev/loop-control', options: ['bind'] };
    const b = kit.bundle({ probe: ['cat', '/dev/lc'], edit: (c) => { c.mounts.push(bind); } });
    const denied = kit.run(b, kit.id('dev-default'));
    assert.match(denied.stdout, /error=EPERM/, `the default rules deny c 10:237: ${denied.stdout}${denied.stderr}`);
    b.write((cfg) => { cfg.linux.resources.devices.push({ allow: true, type: 'c', major: 10, minor: 237, access: 'rw' }); });
    const allowed = kit.run(b, kit.id('dev-allow'));
    assert.match(allowed.stdout, /== \/dev\/lc/, allowed.stdout + allowed.stderr);
    assert.not.match(allowed.stdout, /error=EPERM/, `an allow rule opens c 10:237: ${allowed.stdout}${allowed.stderr}`);
  });

  test('cgroupsPath: the cgroup is /sys/fs/cgroup/minicon/<cgroupsPath> on v2 (default /minicon/<id>)', () => {
    const name = `mct-cgpath-${process.pid}`;
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { cgroupsPath: `/${name}` } } });
    const c = kit.start(b, kit.id('cgpath'));
    const dir = `/sys/fs/cgroup/minicon/${name}`;
    try {
      assert.is(procCgroup(c.pid)[''], `/minicon/${name}`);
      assert.ok(read(dir, 'cgroup.procs').split('\n').includes(String(c.pid)), `pid not in ${dir}/cgroup.procs`);
    } finally {
      kit.destroy(c.id);
    }
    assert.not.ok(fs.existsSync(dir), `${dir} not removed by delete`);

    b.write((cfg) => { delete cfg.linux.cgroupsPath; });
    const d = kit.start(b, kit.id('cgpath'));
    try {
      assert.is(procCgroup(d.pid)[''], `/minicon/${d.id}`);
    } finally {
      kit.destroy(d.id);
    }
  });
} else {
  test('memory.limit: a memhog above 32 MiB is OOM-killed (exit 137); failcnt and oom_control show it', () => {
    const b = kit.bundle({ probe: ['memhog', '64'], edit: { linux: { resources: { memory: { limit: 32 * MiB } } } } });
    const r = kit.run(b, kit.id('oom'));
    assert.is(r.status, 137, `exit ${r.status}\n${r.stdout.slice(-200)}\n${r.stderr}`);
    const allocated = Math.max(0, ...r.stdout.split('\n').filter((l) => l.startsWith('allocated=')).map((l) => Number(l.slice(10))));
    assert.ok(allocated >= 1 && allocated < 32, `allocated ${allocated} MiB`);

    const id = kit.id('oom');
    const c = kit.create(b, id);
    assert.is(c.status, 0, c.err());
    try {
      const dir = cgDir(c.pid, 'memory');
      assert.is(read(dir, 'memory.limit_in_bytes'), String(32 * MiB));
      assert.is(kit.mc(['start', id]).status, 0);
      assert.ok(waitGone(c.pid), 'the memhog was not killed');
      assert.ok(Number(read(dir, 'memory.failcnt')) > 0, 'memory.failcnt');
      const oom = Object.fromEntries(read(dir, 'memory.oom_control').split('\n').map((l) => l.split(' ')));
      assert.ok(Number(oom.oom_kill) >= 1, `memory.oom_control: ${JSON.stringify(oom)}`);
      assert.ok(Number(read(dir, 'memory.max_usage_in_bytes')) <= 32 * MiB);
    } finally {
      kit.destroy(id);
    }
  });

  test('memory.reservation and memory.swap: memory.soft_limit_in_bytes, memory.memsw.limit_in_bytes', () => {
    const memsw = fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
    const memory = { limit: 64 * MiB, reservation: 16 * MiB };
    if (memsw) memory.swap = 96 * MiB;
    else console.log('  skip: memory.swap (no memory.memsw.limit_in_bytes: swap accounting is off on this kernel)');
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { resources: { memory } } } });
    const c = kit.start(b, kit.id('mem'));
    try {
      const dir = cgDir(c.pid, 'memory');
      assert.is(read(dir, 'memory.limit_in_bytes'), String(64 * MiB));
      assert.is(read(dir, 'memory.soft_limit_in_bytes'), String(16 * MiB));
      if (memsw) assert.is(read(dir, 'memory.memsw.limit_in_bytes'), String(96 * MiB));
    } finally {
      kit.destroy(c.id);
    }
  });

  test('cpu.shares, cpu.quota, cpu.period: cpu.shares, cpu.cfs_quota_us, cpu.cfs_period_us', () => {
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { resources: { cpu: { shares: 512, quota: 25000, period: 50000 } } } } });
    const c = kit.start(b, kit.id('cpu'));
    try {
      const dir = cgDir(c.pid, 'cpu');
      assert.is(read(dir, 'cpu.shares'), '512');
      assert.is(read(dir, 'cpu.cfs_quota_us'), '25000');
      assert.is(read(dir, 'cpu.cfs_period_us'), '50000');
    } finally {
      kit.destroy(c.id);
    }
  });

  test('cpu.quota is enforced: a busy loop gets about quota/period of a CPU', cpuQuotaEnforced);

  test('cpu.cpus and cpu.mems: cpuset.cpus/cpuset.mems, and Cpus_allowed_list of the process', () => {
    const cpus = fs.readFileSync('/sys/fs/cgroup/cpuset/cpuset.cpus', 'utf8').trim();
    const last = cpus.split(/[,-]/).pop();
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { resources: { cpu: { cpus: last, mems: '0' } } } } });
    const c = kit.start(b, kit.id('cpuset'));
    try {
      const dir = cgDir(c.pid, 'cpuset');
      assert.is(read(dir, 'cpuset.cpus'), last);
      assert.is(read(dir, 'cpuset.mems'), '0');
      assert.is(procStatus(c.pid).Cpus_allowed_list, last);
    } finally {
      kit.destroy(c.id);
    }
  });

  test('pids.limit: a fork bomb gets EAGAIN; pids.current stays <= the limit', () => {
    const b = kit.bundle({ probe: ['forkbomb', '50'], edit: { linux: { resources: { pids: { limit: 10 } } } } });
    const c = kit.start(b, kit.id('pids'));
    try {
      const out = kit.waitFor(c.outFile, (t) => /forked=/.test(t));
      const p = kit.parseProbe(out);
      assert.is(p.error, 'EAGAIN', out);
      assert.ok(Number(p.forked) <= 9 && Number(p.forked) >= 1, `forked ${p.forked}`);
      const dir = cgDir(c.pid, 'pids');
      assert.is(read(dir, 'pids.max'), '10');
      const current = Number(read(dir, 'pids.current'));
      assert.ok(current <= 10 && current >= 2, `pids.current ${current}`);
      assert.ok(Number(read(dir, 'pids.events').split(' ')[1]) >= 1, 'pids.events max');
    } finally {
      kit.destroy(c.id);
    }
  });

  test('resources.devices: a device the cgroup does not allow cannot be opened; an allow rule lets it open', () => {
    // The host's /dev/loop-control (c 10:237) is bound into the container's /dev (no mknod, so only
    // the device cgroup decides). Its open needs nothing else; read() then says EINVAL (or ENXIO
    // without the loop driver): anything but EPERM means the open got through.
    const bind = { destination: '/dev/lc', type: 'bind', source: '/dev/loop-control', options: ['bind'] };
    const b = kit.bundle({ probe: ['cat', '/dev/lc', '/dev/null'], edit: (c) => { c.mounts.push(bind); } });
    const id = kit.id('dev-deny');
    const c = kit.create(b, id);
    assert.is(c.status, 0, c.err());
    try {
      const list = read(cgDir(c.pid, 'devices'), 'devices.list').split('\n');
      assert.not.ok(list.includes('a *:* rwm'), 'the spec\'s first rule denies everything');
      assert.ok(list.includes('c 1:3 rwm'), `default devices allowed: ${list}`);
      assert.not.ok(list.some((l) => /^c 10:237 /.test(l)), `devices.list: ${list}`);
    } finally {
      kit.destroy(id);
    }
    const denied = kit.run(b, kit.id('dev-deny'));
    const d = denied.stdout.split('== ');
    assert.match(d[1], /^\/dev\/lc\nerror=EPERM/, `not allowed: ${denied.stdout}`);
    assert.not.match(d[2], /error=/, 'the default /dev/null opens');

    b.write((cfg) => { cfg.linux.resources.devices.push({ allow: true, type: 'c', major: 10, minor: 237, access: 'rw' }); });
    const allowed = kit.run(b, kit.id('dev-allow'));
    const a = allowed.stdout.split('== ');
    assert.match(a[1], /^\/dev\/lc\nerror=E/, allowed.stdout);
    assert.not.match(a[1], /error=EPERM/, `allowed device: ${allowed.stdout}`);
  });

  test('cgroupsPath: the cgroup is <own cgroup>/<cgroupsPath> in each v1 hierarchy (default <own>/minicon/<id>)', () => {
    const own = procCgroup('self');
    const name = `mct-cgpath-${process.pid}`;
    const b = kit.bundle({ probe: ['sleep', '30'], edit: { linux: { cgroupsPath: `/${name}` } } });
    const c = kit.start(b, kit.id('cgpath'));
    try {
      const now = procCgroup(c.pid);
      for (const ctl of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'freezer', 'devices']) {
        if (!own[ctl]) continue;
        const want = path.posix.join(own[ctl], name);
        assert.is(now[ctl], want, `${ctl}: ${now[ctl]}`);
        assert.ok(read(v1Dir(ctl, want), 'cgroup.procs').split('\n').includes(String(c.pid)), `${ctl}: pid not in ${want}/cgroup.procs`);
      }
    } finally {
      kit.destroy(c.id);
    }
    for (const ctl of ['memory', 'pids']) assert.not.ok(fs.existsSync(v1Dir(ctl, path.posix.join(own[ctl], name))), `${ctl} cgroup not removed by delete`);

    b.write((cfg) => { delete cfg.linux.cgroupsPath; });
    const d = kit.start(b, kit.id('cgpath'));
    try {
      const now = procCgroup(d.pid);
      assert.is(now.memory, path.posix.join(own.memory, 'minicon', d.id));
      assert.is(now.pids, path.posix.join(own.pids, 'minicon', d.id));
    } finally {
      kit.destroy(d.id);
    }
  });
}

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
