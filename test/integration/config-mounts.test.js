'use strict';
// config.json "mounts" (bind/rbind with flags, tmpfs, proc, sysfs, devpts, mqueue, cgroup), a
// destination through a symlink that points out of the rootfs, and linux.rootfsPropagation.
// Mount destinations of shared-rootfs bundles stay under /tmp (a tmpfs mounted first), so that the
// shared rootfs cache is never written to.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const kit = require('../helpers/config-kit')('mounts');
const { mountinfo, mountAt, mountOf, unified } = require('../helpers/config-kit');

test.before(kit.begin);
test.after(() => {
  for (const m of hostMounts.splice(0).reverse()) spawnSync('umount', ['-l', m]);
  kit.cleanup();
});

const TMP = { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777', 'size=4m'] };
/** host mounts made by tests (unmounted in finally, and in after as a last resort) */
const hostMounts = [];
function hostMount(args, target) {
  const r = spawnSync('mount', [...args, target], { encoding: 'utf8' });
  assert.is(r.status, 0, `mount ${args.join(' ')} ${target}: ${r.stderr}`);
  hostMounts.push(target);
}
function hostUmount(target) {
  const r = spawnSync('umount', [target], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('umount', ['-l', target]);
  const i = hostMounts.indexOf(target);
  if (i >= 0) hostMounts.splice(i, 1);
}
const hostMountPoints = () => new Set(mountinfo('self').map((m) => m.mountPoint));

test('bind mount, ro: writes fail with EROFS, a file written on the host later is seen inside', () => {
  const b = kit.bundle({});
  const src = path.join(b.dir, 'data');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'early'), 'early\n');
  const script = [
    '/probe write /data/x hi',
    'cat /data/early',
    'i=0; while [ ! -f /data/late ] && [ $i -lt 200 ]; do /probe sleep 0.02; i=$((i+1)); done',
    'cat /data/late',
  ].join('; ');
  b.write({
    process: { args: ['/bin/sh', '-c', script] },
    mounts: [...b.config.mounts, TMP, { destination: '/tmp/data', type: 'bind', source: src, options: ['rbind', 'ro'] }],
  });
  b.write((c) => { c.process.args[2] = script.replace(/\/data/g, '/tmp/data'); });
  const c = kit.start(b, kit.id('bind-ro'));
  try {
    const m = mountAt(c.pid, '/tmp/data');
    assert.ok(m, 'no mount at /tmp/data in the container');
    assert.ok(m.options.includes('ro'), m.line);
    fs.writeFileSync(path.join(src, 'late.tmp'), 'late from the host\n');
    fs.renameSync(path.join(src, 'late.tmp'), path.join(src, 'late'));
    const out = kit.waitFor(c.outFile, (t) => t.includes('late from the host'));
    assert.match(out, /^error=EROFS$/m);
    assert.match(out, /^early$/m);
    assert.match(out, /^late from the host$/m);
    assert.not.ok(fs.existsSync(path.join(src, 'x')));
  } finally {
    kit.destroy(c.id);
  }
});

test('mounts are made in the order given: a later mount on the same destination is on top', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const one = path.join(b.dir, 'one');
  const two = path.join(b.dir, 'two');
  fs.mkdirSync(one);
  fs.mkdirSync(two);
  fs.writeFileSync(path.join(one, 'which'), 'one\n');
  fs.writeFileSync(path.join(two, 'which'), 'two\n');
  b.write({
    mounts: [...b.config.mounts, TMP,
      { destination: '/tmp/d', type: 'bind', source: one, options: ['bind'] },
      { destination: '/tmp/d', type: 'bind', source: two, options: ['bind', 'nosuid'] },
      { destination: '/tmp/d/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=16k'] }],
  });
  const c = kit.start(b, kit.id('order'));
  try {
    const at = mountinfo(c.pid).filter((m) => m.mountPoint.startsWith('/tmp/d'));
    // A bind mount starts with the flags of its source's mount: the first (plain) bind is nosuid only
    // where the host mount that holds the bundle is (the VM's /tmp is a nosuid,nodev tmpfs).
    const host = mountOf('self', b.dir);
    const srcNosuid = host.options.includes('nosuid') ? ' nosuid' : '';
    // (the mount's root in its filesystem tells which source each bind shows)
    const show = (m) => `${m.mountPoint} ${m.fstype}${m.root === '/' ? '' : ` ${path.basename(m.root)}`}${m.options.includes('nosuid') ? ' nosuid' : ''}`;
    assert.equal(at.map(show), [`/tmp/d ${host.fstype} one${srcNosuid}`, `/tmp/d ${host.fstype} two nosuid`, '/tmp/d/sub tmpfs'],
      `stacked on /tmp/d (host mount of the bundle: ${host.line})`);
  } finally {
    kit.destroy(c.id);
  }
  b.write({ process: { args: ['/bin/cat', '/tmp/d/which'] } });
  const r = kit.run(b, kit.id('order'));
  assert.is(r.stdout, 'two\n', r.stderr);
  assert.ok(fs.existsSync(path.join(two, 'sub')), 'the tmpfs destination was made in the second bind (on top)');
  assert.not.ok(fs.existsSync(path.join(one, 'sub')));
});

test('a mount destination that cannot be made (inside a read-only mount): create fails naming EROFS, leaves nothing', () => {
  const b = kit.bundle({
    probe: ['info'],
    edit: (c) => {
      c.mounts.push({ ...TMP, options: [...TMP.options, 'ro'] }, { destination: '/tmp/x', type: 'tmpfs', source: 'tmpfs', options: ['size=16k'] });
    },
  });
  const id = kit.id('ro-dest');
  const c = kit.create(b, id);
  assert.is.not(c.status, 0);
  kit.assertNothingLeft(id);
  assert.match(c.err(), /\/tmp\/x/);
  assert.match(c.err(), /EROFS/, `the kernel's answer to mkdir /tmp/x is EROFS: ${c.err()}`);
});

test('rbind carries the source\'s submounts, bind does not', () => {
  const b = kit.bundle({});
  const src = path.join(b.dir, 'tree');
  fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(src, 'sub', 'under'), 'hidden by the submount\n');
  hostMount(['-t', 'tmpfs', '-o', 'size=64k', 'mct-rbind'], path.join(src, 'sub'));
  try {
    fs.writeFileSync(path.join(src, 'sub', 'inner'), 'in the submount\n');
    b.write({
      process: { args: ['/bin/sh', '-c', 'ls /tmp/r/sub; echo ==; ls /tmp/b/sub'] },
      mounts: [...b.config.mounts, TMP,
        { destination: '/tmp/r', type: 'bind', source: src, options: ['rbind'] },
        { destination: '/tmp/b', type: 'bind', source: src, options: ['bind'] }],
    });
    const r = kit.run(b, kit.id('rbind'));
    assert.is(r.status, 0, r.stderr);
    const [rb, bb] = r.stdout.split('==\n');
    assert.is(rb.trim(), 'inner', 'rbind: the tmpfs submount is there');
    assert.is(bb.trim(), 'under', 'bind: the submount is not carried');
  } finally {
    hostUmount(path.join(src, 'sub'));
  }
});

test('mount options nosuid, nodev, noexec, ro show in /proc/<pid>/mountinfo (tmpfs and bind)', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const src = path.join(b.dir, 'flags');
  fs.mkdirSync(src);
  b.write({
    mounts: [...b.config.mounts, TMP,
      { destination: '/tmp/t', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=0750'] },
      { destination: '/tmp/b', type: 'bind', source: src, options: ['bind', 'nosuid', 'nodev', 'noexec', 'ro'] },
      { destination: '/tmp/plain', type: 'bind', source: src, options: ['bind'] }],
  });
  const c = kit.start(b, kit.id('flags'));
  try {
    const t = mountAt(c.pid, '/tmp/t');
    assert.ok(t, 'no mount at /tmp/t');
    assert.is(t.fstype, 'tmpfs');
    for (const f of ['nosuid', 'nodev', 'noexec', 'rw']) assert.ok(t.options.includes(f), `${f} missing: ${t.line}`);
    assert.ok(t.superOptions.includes('size=1024k'), `tmpfs size: ${t.line}`);
    assert.ok(t.superOptions.includes('mode=750'), `tmpfs mode: ${t.line}`);
    const bm = mountAt(c.pid, '/tmp/b');
    assert.ok(bm, 'no mount at /tmp/b');
    for (const f of ['nosuid', 'nodev', 'noexec', 'ro']) assert.ok(bm.options.includes(f), `${f} missing: ${bm.line}`);
    const p = mountAt(c.pid, '/tmp/plain');
    assert.ok(p, 'no mount at /tmp/plain');
    // a plain bind adds none of these flags: it keeps those of its source's mount (none on this
    // host's /; the test VM's /tmp is nosuid,nodev)
    const host = mountOf('self', src);
    for (const f of ['nosuid', 'nodev', 'noexec', 'ro']) {
      assert.is(p.options.includes(f), host.options.includes(f), `${f} on a plain bind: ${p.line}\n  its source's mount: ${host.line}`);
    }
  } finally {
    kit.destroy(c.id);
  }
});

test('tmpfs size is enforced: writing past it fails with ENOSPC', () => {
  const b = kit.bundle({
    args: ['/bin/sh', '-c', 'dd if=/dev/zero of=/tmp/small/f bs=64k count=64 2>&1; echo rc=$?'],
    edit: (c) => { c.mounts.push(TMP, { destination: '/tmp/small', type: 'tmpfs', source: 'tmpfs', options: ['size=256k'] }); },
  });
  const r = kit.run(b, kit.id('tmpfs-size'));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /No space left on device/);
  assert.match(r.stdout, /rc=1/);
});

test('proc, sysfs (ro), devpts, mqueue, /dev tmpfs and /dev/shm are mounted where the spec says', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const c = kit.start(b, kit.id('fs'));
  try {
    const want = { '/proc': 'proc', '/sys': 'sysfs', '/dev': 'tmpfs', '/dev/pts': 'devpts', '/dev/shm': 'tmpfs', '/dev/mqueue': 'mqueue' };
    for (const [mp, type] of Object.entries(want)) {
      const m = mountAt(c.pid, mp);
      assert.ok(m, `nothing mounted on ${mp}`);
      assert.is(m.fstype, type, m.line);
    }
    assert.ok(mountAt(c.pid, '/sys').options.includes('ro'), '/sys is read-only');
    const pts = mountAt(c.pid, '/dev/pts');
    for (const o of ['ptmxmode=666', 'mode=620', 'gid=5']) assert.ok(pts.superOptions.includes(o), `${o}: ${pts.line}`);
    assert.is(mountAt(c.pid, '/dev').superOptions.includes('size=65536k'), true, mountAt(c.pid, '/dev').line);
  } finally {
    kit.destroy(c.id);
  }
  // and from inside: the new proc shows our pid namespace; sysfs is read-only; devpts is a new instance
  b.write({ process: { args: ['/bin/sh', '-c', 'cat /proc/1/comm; /probe write /sys/kernel/uevent_helper x; ls /dev/pts'] } });
  const r = kit.run(b, kit.id('fs'));
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.is(lines[0], 'sh');
  assert.is(lines[1], 'error=EROFS');
  assert.is(lines.slice(2).filter(Boolean).join(' '), 'ptmx', 'a new devpts instance holds only ptmx');
});

test('cgroup mount: the host\'s v1 hierarchies inside, and "/" roots thanks to the cgroup namespace', () => {
  const cgroupEdit = (c) => {
    c.linux.namespaces.push({ type: 'cgroup' });
    c.linux.resources.memory = { limit: 64 * 1024 * 1024 };
    c.linux.resources.pids = { limit: 77 };
  };
  if (unified) {
    // cgroup v2 only: one cgroup2 mount, whose root is the container's cgroup (the cgroup namespace)
    const b = kit.bundle({
      args: ['/bin/sh', '-c', 'cat /proc/self/mountinfo; echo ==; cat /proc/self/cgroup; echo ==; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; echo ==; ls -1 /sys/fs/cgroup; echo ==; /probe write /sys/fs/cgroup/pids.max 5; /probe write /sys/fs/cgroup/x 5; exit 0'],
      edit: cgroupEdit,
    });
    const r = kit.run(b, kit.id('cgroup'));
    assert.is(r.status, 0, r.stderr);
    const [mi, self, limits, ls, writes] = r.stdout.split('==\n');
    const at = mi.split('\n').filter(Boolean).map((l) => l.split(' ')).filter((f) => f[4] === '/sys/fs/cgroup');
    assert.is(at.length, 1, `one mount on /sys/fs/cgroup:\n${mi}`);
    const f = at[0];
    assert.is(f[f.indexOf('-') + 1], 'cgroup2', `fstype: ${f.join(' ')}`);
    assert.is(f[3], '/', `the mount's root is the namespace root: ${f.join(' ')}`);
    assert.ok(f[5].split(',').includes('ro'), `read-only: ${f.join(' ')}`);
    assert.equal(self.split('\n').filter(Boolean), ['0::/'], 'the container\'s cgroup is the namespace root');
    assert.equal(limits.split('\n').filter(Boolean), [String(64 * 1024 * 1024), '77'], 'the mount shows the container\'s own cgroup');
    const files = ls.split('\n').filter(Boolean);
    for (const name of ['cgroup.freeze', 'memory.max', 'pids.max']) assert.ok(files.includes(name), `${name} (only in a non-root cgroup): ${files.join(' ')}`);
    assert.equal(writes.split('\n').filter(Boolean), ['error=EROFS', 'error=EROFS'], 'the "ro" option: the cgroup2 mount is read-only');
    return;
  }
  const hostHier = fs.readdirSync('/sys/fs/cgroup').filter((n) => !fs.lstatSync(`/sys/fs/cgroup/${n}`).isSymbolicLink()).sort();
  const b = kit.bundle({
    args: ['/bin/sh', '-c', 'ls -1 /sys/fs/cgroup; echo ==; cat /proc/self/cgroup; echo ==; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/pids/pids.max; echo ==; /probe write /sys/fs/cgroup/pids/pids.max 5; /probe write /sys/fs/cgroup/x 5; exit 0'],
    edit: cgroupEdit,
  });
  const r = kit.run(b, kit.id('cgroup'));
  assert.is(r.status, 0, r.stderr);
  const [ls, self, limits, writes] = r.stdout.split('==\n');
  assert.equal(ls.split('\n').filter(Boolean).sort(), hostHier);
  for (const l of self.split('\n').filter(Boolean)) assert.ok(l.endsWith(':/'), `not a namespace root: ${l}`);
  assert.equal(limits.split('\n').filter(Boolean), [String(64 * 1024 * 1024), '77'], 'the mounted hierarchies show the container\'s own cgroup');
  assert.equal(writes.split('\n').filter(Boolean), ['error=EROFS', 'error=EROFS'], 'the "ro" option: hierarchies and their tmpfs are read-only');
});

test('a mount destination through a symlink that points out of the rootfs lands inside the rootfs', () => {
  const b = kit.bundle({ shared: false });
  const name = `mct-escape-${process.pid}`;
  fs.symlinkSync('/etc', path.join(b.rootfs, 'evil'));
  fs.symlinkSync('../../../../../../../../tmp', path.join(b.rootfs, 'up'));
  const src = path.join(b.dir, 'hostname');
  fs.writeFileSync(src, `bound-${name}\n`);
  const before = hostMountPoints();
  b.write({
    process: { args: ['/bin/sh', '-c', `cat /etc/hostname; ls -d /etc/${name} /tmp/${name}; exec /probe sleep 30`] },
    mounts: [...b.config.mounts,
      { destination: `/evil/${name}`, type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
      { destination: `/up/${name}`, type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
      { destination: '/evil/hostname', type: 'bind', source: src, options: ['bind', 'ro'] }],
  });
  const id = kit.id('escape');
  const c = kit.start(b, id);
  try {
    assert.not.ok(fs.existsSync(`/etc/${name}`), `/etc/${name} was created on the host`);
    assert.not.ok(fs.existsSync(`/tmp/${name}`), `/tmp/${name} was created on the host`);
    assert.ok(fs.existsSync(path.join(b.rootfs, 'etc', name)), 'the destination was made inside the rootfs');
    assert.ok(fs.existsSync(path.join(b.rootfs, 'tmp', name)), 'the destination was made inside the rootfs');
    assert.not.equal(fs.readFileSync('/etc/hostname', 'utf8'), `bound-${name}\n`);
    const after = hostMountPoints();
    assert.equal([...after].filter((m) => !before.has(m)), [], 'nothing mounted on the host');
    const mps = mountinfo(c.pid).map((m) => m.mountPoint);
    assert.ok(mps.includes(`/etc/${name}`), `no tmpfs at /etc/${name} in the container: ${mps.join(' ')}`);
    assert.ok(mps.includes(`/tmp/${name}`), `no tmpfs at /tmp/${name} in the container`);
    assert.ok(mps.includes('/etc/hostname'), 'the bind landed on the rootfs\'s /etc/hostname');
    const out = kit.waitFor(c.outFile, (t) => t.split('\n').length > 3);
    assert.match(out, new RegExp(`^bound-${name}$`, 'm'));
  } finally {
    kit.destroy(c.id);
  }
});

test('linux.rootfsPropagation: rslave (default) receives host mounts, rprivate does not, shared is shared', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const src = path.join(b.dir, 'prop');
  fs.mkdirSync(src);
  hostMount(['-t', 'tmpfs', '-o', 'size=64k', 'mct-prop'], src);
  try {
    assert.is(spawnSync('mount', ['--make-shared', src]).status, 0);
    fs.mkdirSync(path.join(src, 'x'));
    const mounts = [...b.config.mounts, TMP, { destination: '/tmp/prop', type: 'bind', source: src, options: ['rbind'] }];
    const seen = {};
    for (const prop of ['rslave', 'rprivate', 'shared']) {
      b.write((c) => { c.mounts = mounts; c.linux.rootfsPropagation = prop; });
      const c = kit.start(b, kit.id(`prop-${prop}`));
      try {
        hostMount(['-t', 'tmpfs', '-o', 'size=16k', `mct-prop-${prop}`], path.join(src, 'x'));
        try {
          seen[prop] = mountinfo(c.pid).some((m) => m.mountPoint === '/tmp/prop/x');
          if (prop === 'shared') {
            const root = mountAt(c.pid, '/');
            assert.ok(root.optional.some((o) => o.startsWith('shared:')), `/ is not shared: ${root.line}`);
          }
          if (prop === 'rprivate') {
            const tagged = mountinfo(c.pid).filter((m) => m.optional.length);
            assert.equal(tagged.map((m) => m.line), [], 'rprivate: no mount is shared or a slave');
          }
        } finally {
          hostUmount(path.join(src, 'x'));
        }
      } finally {
        kit.destroy(c.id);
      }
    }
    assert.is(seen.rslave, true, 'rslave: a host mount propagates into the container');
    assert.is(seen.rprivate, false, 'rprivate: a host mount does not propagate');
  } finally {
    hostUmount(src);
  }
});

test('linux.rootfsPropagation unbindable / runbindable: the container\'s / is unbindable', () => {
  // OCI: rootfsPropagation "sets the rootfs's mount propagation": shared, slave, private or unbindable.
  // runc applies every value but private to "/" after pivot_root.
  const b = kit.bundle({ probe: ['sleep', '30'] });
  for (const prop of ['unbindable', 'runbindable']) {
    b.write({ linux: { rootfsPropagation: prop } });
    const c = kit.start(b, kit.id(`prop-${prop}`));
    try {
      const root = mountAt(c.pid, '/');
      assert.ok(root.optional.includes('unbindable'), `rootfsPropagation ${prop}: / is ${root.line}`);
    } finally {
      kit.destroy(c.id);
    }
  }
});

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
