'use strict';
// linux.devices (mknod with mode/uid/gid), the default devices and /dev symlinks,
// linux.maskedPaths, linux.readonlyPaths and linux.sysctl.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const kit = require('../helpers/config-kit')('dev');
const { mountAt } = require('../helpers/config-kit');

test.before(kit.begin);
test.after(kit.cleanup);

/** The probe's `stat` output as {path: {type, mode, uid, gid, rdev, ...}} */
function stats(text) {
  const out = {};
  let cur;
  for (const l of text.split('\n')) {
    if (l.startsWith('== ')) { cur = out[l.slice(3)] = {}; continue; }
    const i = l.indexOf('=');
    if (cur && i > 0) cur[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

const FUSE = { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o620, uid: 1, gid: 2 };

test('linux.devices: the node is made with its type, major:minor, mode, uid and gid', () => {
  const b = kit.bundle({
    probe: ['stat', '/dev/fuse'],
    edit: (c) => {
      c.linux.devices = [FUSE];
      c.linux.resources.devices.push({ allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
    },
  });
  const r = kit.run(b, kit.id('fuse'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  const s = stats(r.stdout)['/dev/fuse'];
  assert.equal({ type: s.type, rdev: s.rdev, mode: s.mode, uid: s.uid, gid: s.gid }, { type: 'char', rdev: '10:229', mode: '0620', uid: '1', gid: '2' });
});

test('linux.devices: a listed device is available without a linux.resources.devices rule (as runc allows it)', () => {
  // OCI: linux.devices "lists devices that MUST be available in the container"; runc adds an allow
  // rule for each of them to the device cgroup. /dev/loop-control opens without privileges; its
  // read() fails with EINVAL (ENXIO without the loop driver), never EPERM once the open got through.
  const b = kit.bundle({
    probe: ['stat', '/dev/fuse', '/dev/loop-control'],
    edit: (c) => { c.linux.devices = [FUSE, { path: '/dev/loop-control', type: 'c', major: 10, minor: 237 }]; },
  });
  const r = kit.run(b, kit.id('devrule'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  const s = stats(r.stdout);
  assert.is(s['/dev/fuse'].rdev, '10:229');
  assert.is(s['/dev/loop-control'].rdev, '10:237');
  b.write({ process: { args: ['/probe', 'cat', '/dev/loop-control'] } });
  const o = kit.run(b, kit.id('devrule'));
  assert.not.match(o.stdout, /error=EPERM/, o.stdout + o.stderr);
});

test('default devices: null, zero, full, random, urandom, tty with the right numbers, mode 0666', () => {
  const want = { '/dev/null': '1:3', '/dev/zero': '1:5', '/dev/full': '1:7', '/dev/random': '1:8', '/dev/urandom': '1:9', '/dev/tty': '5:0' };
  const b = kit.bundle({ probe: ['stat', ...Object.keys(want)] });
  const r = kit.run(b, kit.id('defaults'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  const s = stats(r.stdout);
  for (const [p, rdev] of Object.entries(want)) {
    assert.ok(s[p], `${p} missing`);
    assert.equal({ type: s[p].type, rdev: s[p].rdev, mode: s[p].mode, uid: s[p].uid }, { type: 'char', rdev, mode: '0666', uid: '0' }, p);
  }
  // and they work: /dev/null swallows, /dev/zero gives zeros, /dev/full is full
  b.write({ process: { args: ['/bin/sh', '-c', 'echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; echo x > /dev/full || echo full-ENOSPC'] } });
  const w = kit.run(b, kit.id('defaults'));
  assert.match(w.stdout, /^null-ok$/m);
  assert.match(w.stdout, /^\s*00 00 00 00$/m);
  assert.match(w.stdout, /^full-ENOSPC$/m);
});

test('/dev symlinks: fd, stdin, stdout, stderr, ptmx (-> pts/ptmx)', () => {
  // (the run's stdout is a socket here: opening /dev/stdout would give ENXIO, so only /dev/fd is used)
  const b = kit.bundle({ args: ['/bin/sh', '-c', 'for l in fd stdin stdout stderr ptmx; do echo "$l=$(readlink /dev/$l)"; done; echo "fds=$(ls /dev/fd/ 3</dev/null | tr "\\n" " ")"'] });
  const r = kit.run(b, kit.id('links'));
  assert.is(r.status, 0, r.stderr);
  const p = kit.parseProbe(r.stdout);
  assert.equal({ fd: p.fd, stdin: p.stdin, stdout: p.stdout, stderr: p.stderr, ptmx: p.ptmx }, {
    fd: '/proc/self/fd', stdin: '/proc/self/fd/0', stdout: '/proc/self/fd/1', stderr: '/proc/self/fd/2', ptmx: 'pts/ptmx',
  });
  const fds = p.fds.trim().split(' ');
  for (const fd of ['0', '1', '2', '3']) assert.ok(fds.includes(fd), `ls /dev/fd/ lists the open descriptors: ${p.fds}`);
});

test('maskedPaths: a masked file reads nothing (it is /dev/null); a masked dir is an empty read-only tmpfs', () => {
  // this kernel has no /proc/kcore: /proc/timer_list (file) and /proc/acpi (dir) are in the default list
  const procFile = ['/proc/kcore', '/proc/timer_list', '/proc/keys'].find((f) => fs.existsSync(f));
  const procDir = ['/proc/acpi', '/sys/firmware'].find((f) => fs.existsSync(f));
  const b = kit.bundle({ shared: false, probe: ['sleep', '30'] });
  fs.mkdirSync(path.join(b.rootfs, 'etc', 'secret-dir'));
  fs.writeFileSync(path.join(b.rootfs, 'etc', 'secret-dir', 'key'), 'the key\n');
  fs.writeFileSync(path.join(b.rootfs, 'etc', 'secret-file'), 'the secret\n');
  b.write((c) => { c.linux.maskedPaths.push('/etc/secret-dir', '/etc/secret-file'); });
  assert.ok(b.config.linux.maskedPaths.includes(procFile) && b.config.linux.maskedPaths.includes(procDir));
  const c = kit.start(b, kit.id('masked'));
  try {
    for (const d of [procDir, '/etc/secret-dir']) {
      const m = mountAt(c.pid, d);
      assert.ok(m && m.fstype === 'tmpfs' && m.options.includes('ro'), `${d}: ${m && m.line}`);
    }
    for (const f of [procFile, '/etc/secret-file']) assert.ok(mountAt(c.pid, f), `${f} has no mount on it`);
  } finally {
    kit.destroy(c.id);
  }
  const script = `echo "pf=$(wc -c < ${procFile})"; echo "file=$(cat /etc/secret-file)"; echo "dir=$(ls -A /etc/secret-dir ${procDir} | tr '\\n' ' ')"; /probe stat ${procFile}`;
  b.write({ process: { args: ['/bin/sh', '-c', script] } });
  const r = kit.run(b, kit.id('masked'));
  assert.is(r.status, 0, r.stderr);
  const p = kit.parseProbe(r.stdout);
  assert.is(p.pf, '0', `${procFile} reads nothing`);
  assert.is(p.file, '');
  assert.is(p.dir.trim(), `/etc/secret-dir:  ${procDir}:`, 'masked dirs are empty');
  assert.is(p.rdev, '1:3', `${procFile} is /dev/null`);
  assert.is(fs.readFileSync(path.join(b.rootfs, 'etc', 'secret-file'), 'utf8'), 'the secret\n', 'the rootfs file itself is untouched');
});

test('readonlyPaths: /proc/sys is read-only (EROFS), a listed rootfs dir too, the rest stays writable', () => {
  const b = kit.bundle({ shared: false, edit: { root: { readonly: false } } });
  fs.mkdirSync(path.join(b.rootfs, 'frozen'));
  b.write((c) => {
    c.linux.readonlyPaths.push('/frozen');
    c.process.args = ['/bin/sh', '-c', '/probe write /proc/sys/kernel/hostname x; /probe write /frozen/f x; /probe write /tmp/f x'];
  });
  const r = kit.run(b, kit.id('ro'));
  assert.equal(r.stdout.split('\n').filter(Boolean), ['error=EROFS', 'error=EROFS', 'ok'], r.stdout + r.stderr);
  assert.ok(fs.existsSync(path.join(b.rootfs, 'tmp', 'f')));
  assert.not.ok(fs.existsSync(path.join(b.rootfs, 'frozen', 'f')));
  b.write({ process: { args: ['/probe', 'sleep', '30'] } });
  const c = kit.start(b, kit.id('ro'));
  try {
    for (const mp of ['/proc/sys', '/frozen']) {
      const m = mountAt(c.pid, mp);
      assert.ok(m && m.options.includes('ro'), `${mp}: ${m && m.line}`);
    }
  } finally {
    kit.destroy(c.id);
  }
});

test('sysctl: net.ipv4.ip_forward in the new netns and kernel.shmmax in the new ipc ns; the host\'s unchanged', () => {
  const hostFwd = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  const hostShm = fs.readFileSync('/proc/sys/kernel/shmmax', 'utf8').trim();
  const fwd = hostFwd === '1' ? '0' : '1';
  const b = kit.bundle({
    probe: ['cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmax'],
    edit: { linux: { sysctl: { 'net.ipv4.ip_forward': fwd, 'kernel.shmmax': '123456789' } } },
  });
  const r = kit.run(b, kit.id('sysctl'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.split('\n').filter(Boolean), ['== /proc/sys/net/ipv4/ip_forward', fwd, '== /proc/sys/kernel/shmmax', '123456789']);
  assert.is(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), hostFwd);
  assert.is(fs.readFileSync('/proc/sys/kernel/shmmax', 'utf8').trim(), hostShm);
});

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
