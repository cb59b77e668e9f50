'use strict';
// linux.namespaces: new ones (pid, mount, uts, ipc, network, cgroup, user with uid/gid mappings), the
// host's when not listed, and existing ones joined by path (a netns from `ip netns add`, another
// container's pid/uts/ipc namespaces).
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const { spawnSync } = require('child_process');
const kit = require('../helpers/config-kit')('ns');
const { procStatus, procCgroup, unified } = require('../helpers/config-kit');

const netns = `mct-${process.pid}`;
let netnsMade = false;

test.before(kit.begin);
test.after(() => {
  if (netnsMade) spawnSync('ip', ['netns', 'delete', netns]);
  kit.cleanup();
});

const nsIno = (pid, ns) => fs.statSync(`/proc/${pid}/ns/${ns}`).ino;
const ALL = ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'user'];
/** interface names from /proc/net/dev text (two header lines) */
const interfaces = (text) => text.split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean).sort();

test('pid namespace: the process is pid 1 inside; NSpid on the host has two entries', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const c = kit.start(b, kit.id('pid'));
  try {
    const nspid = procStatus(c.pid).NSpid.split(/\s+/);
    assert.equal(nspid, [String(c.pid), '1']);
    assert.is.not(nsIno(c.pid, 'pid'), nsIno('self', 'pid'));
  } finally {
    kit.destroy(c.id);
  }
  b.write({ process: { args: ['/probe', 'info'] } });
  const p = kit.probe(b, kit.id('pid'));
  assert.is(p.pid, '1');
  assert.is(p.ppid, '0');
});

test('mount, uts, ipc, network, cgroup namespaces: new ones when listed (the user namespace stays the host\'s)', () => {
  const b = kit.bundle({ probe: ['sleep', '30'], edit: (c) => { c.linux.namespaces.push({ type: 'cgroup' }); } });
  const c = kit.start(b, kit.id('new'));
  try {
    for (const ns of ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup']) assert.is.not(nsIno(c.pid, ns), nsIno('self', ns), `${ns} namespace is the host's`);
    assert.is(nsIno(c.pid, 'user'), nsIno('self', 'user'));
  } finally {
    kit.destroy(c.id);
  }
});

test('namespaces not listed are the host\'s', () => {
  const b = kit.bundle({
    probe: ['sleep', '30'],
    edit: (c) => {
      c.linux.namespaces = [{ type: 'mount' }];
      delete c.hostname;
    },
  });
  const c = kit.start(b, kit.id('host'));
  try {
    assert.is.not(nsIno(c.pid, 'mnt'), nsIno('self', 'mnt'));
    for (const ns of ['uts', 'ipc', 'net', 'pid', 'cgroup', 'user']) assert.is(nsIno(c.pid, ns), nsIno('self', ns), `${ns} namespace is not the host's`);
    assert.is(procStatus(c.pid).NSpid, String(c.pid));
  } finally {
    kit.destroy(c.id);
  }
});

test('network namespace: only lo inside', () => {
  const host = interfaces(fs.readFileSync('/proc/self/net/dev', 'utf8'));
  // (where the host has only lo, as the test VM, the list below cannot tell the namespaces apart:
  // "new ones when listed" compares the net namespace inodes)
  if (host.join(' ') === 'lo') console.log('  note: this host has only lo: "only lo inside" cannot differ from the host here');
  else assert.ok(host.length > 1, `the host has interfaces besides lo: ${host}`);
  const b = kit.bundle({ probe: ['cat', '/proc/self/net/dev'] });
  const r = kit.run(b, kit.id('net'));
  assert.is(r.status, 0, r.stderr);
  assert.equal(interfaces(r.stdout.split('\n').slice(1).join('\n')), ['lo']);
});

test('cgroup namespace: /proc/self/cgroup inside shows "/" where the host shows the container\'s cgroup', () => {
  const b = kit.bundle({ probe: ['sleep', '30'], edit: (c) => { c.linux.namespaces.push({ type: 'cgroup' }); } });
  const c = kit.start(b, kit.id('cgns'));
  try {
    // v1: the memory hierarchy's line; v2: the one "0::<path>" line
    const outside = procCgroup(c.pid)[unified ? '' : 'memory'];
    assert.ok(outside && outside.endsWith(`/${c.id}`), `${unified ? 'v2' : 'memory'} cgroup seen from the host: ${outside}`);
  } finally {
    kit.destroy(c.id);
  }
  b.write({ process: { args: ['/probe', 'cat', '/proc/self/cgroup'] } });
  const r = kit.run(b, kit.id('cgns'));
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').slice(1).filter(Boolean);
  if (unified) assert.equal(lines, ['0::/'], 'cgroup v2: one line, the namespace root');
  else assert.ok(lines.length > 1, lines.join('\n'));
  for (const l of lines) assert.ok(l.endsWith(':/'), `not the namespace root: ${l}`);
});

test('a network namespace joined by path (/run/netns/NAME from `ip netns add`)', () => {
  let r = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  netnsMade = true;
  try {
    // a fresh netns has lo down: bring it up there, so that the container can tell which netns it is in
    r = spawnSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const file = `/run/netns/${netns}`;
    const b = kit.bundle({
      probe: ['sleep', '30'],
      edit: (c) => { c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: file } : n)); },
    });
    const c = kit.start(b, kit.id('join-net'));
    try {
      assert.is(nsIno(c.pid, 'net'), fs.statSync(file).ino);
    } finally {
      kit.destroy(c.id);
    }
    b.write({ process: { args: ['/bin/cat', '/sys/class/net/lo/operstate'] } });
    const p = kit.run(b, kit.id('join-net'));
    assert.is(p.status, 0, p.stderr);
    assert.is(p.stdout.trim(), 'unknown', 'lo is up (operstate unknown), as set in the joined netns');
    // a new netns (the control): lo is down
    b.write((c) => { c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network' } : n)); });
    const q = kit.run(b, kit.id('join-net'));
    assert.is(q.stdout.trim(), 'down', q.stderr);
  } finally {
    spawnSync('ip', ['netns', 'delete', netns]);
    netnsMade = false;
  }
});

test('pid, uts and ipc namespaces of another container joined by path', () => {
  const a = kit.bundle({ probe: ['sleep', '30'], edit: { hostname: `first-${process.pid}` } });
  const first = kit.start(a, kit.id('join-a'));
  try {
    const b = kit.bundle({
      probe: ['sleep', '30'],
      edit: (c) => {
        delete c.hostname;
        c.linux.namespaces = c.linux.namespaces.map((n) => (['pid', 'uts', 'ipc'].includes(n.type) ? { type: n.type, path: `/proc/${first.pid}/ns/${n.type}` } : n));
      },
    });
    const second = kit.start(b, kit.id('join-b'));
    try {
      for (const ns of ['pid', 'uts', 'ipc']) assert.is(nsIno(second.pid, ns), nsIno(first.pid, ns), `${ns} not joined`);
      for (const ns of ['mnt', 'net']) assert.is.not(nsIno(second.pid, ns), nsIno(first.pid, ns), `${ns} shared but not asked`);
      const nspid = procStatus(second.pid).NSpid.split(/\s+/);
      assert.is(nspid.length, 2, `NSpid ${nspid}`);
      assert.is.not(nspid[1], '1', 'the second container is not pid 1 of the first one\'s namespace');
    } finally {
      kit.destroy(second.id);
    }
    b.write({ process: { args: ['/probe', 'info'] } });
    const p = kit.probe(b, kit.id('join-b'));
    assert.is(p.hostname, `first-${process.pid}`);
    assert.is.not(p.pid, '1');
  } finally {
    kit.destroy(first.id);
  }
});

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];
const userns = (c) => {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = MAP;
  c.linux.gidMappings = MAP;
};

test('user namespace with uidMappings/gidMappings: 0 inside is 100000 on the host (only /proc mounted)', () => {
  // rootfs files belong to host root (unmapped here): the root stays read-only
  const b = kit.bundle({
    probe: ['sleep', '30'],
    edit: (c) => { userns(c); c.mounts = c.mounts.filter((m) => m.destination === '/proc'); },
  });
  const c = kit.start(b, kit.id('userns'));
  try {
    const norm = (t) => t.trim().split(/\s+/).join(' ');
    assert.is(norm(fs.readFileSync(`/proc/${c.pid}/uid_map`, 'utf8')), '0 100000 65536');
    assert.is(norm(fs.readFileSync(`/proc/${c.pid}/gid_map`, 'utf8')), '0 100000 65536');
    const st = procStatus(c.pid);
    assert.is(st.Uid, '100000\t100000\t100000\t100000');
    assert.is(st.Gid, '100000\t100000\t100000\t100000');
    assert.is.not(nsIno(c.pid, 'user'), nsIno('self', 'user'));
  } finally {
    kit.destroy(c.id);
  }
  b.write({ process: { args: ['/probe', 'info'] } });
  const p = kit.probe(b, kit.id('userns'));
  assert.is(p.uid, '0');
  assert.is(p.gid, '0');
  b.write({ process: { args: ['/probe', 'stat', '/probe'] } });
  const s = kit.probe(b, kit.id('userns'));
  assert.is(s.uid, '65534', 'host root is unmapped: the rootfs files show as the overflow uid');
});

test('user namespace with runc\'s default mounts (/dev tmpfs with devices, devpts, shm, mqueue, sysfs)', () => {
  // Files made during setup in filesystems mounted inside the user namespace (/dev/pts, /dev/null...)
  // need the setup process's fsuid/fsgid to be mapped there.
  const b = kit.bundle({
    probe: ['info'],
    edit: (c) => { userns(c); c.mounts = c.mounts.filter((m) => m.type !== 'cgroup'); },
  });
  const p = kit.probe(b, kit.id('userns-dev'));
  assert.is(p.uid, '0');
  b.write({ process: { args: ['/probe', 'stat', '/dev/null', '/dev/pts/ptmx'] } });
  const r = kit.run(b, kit.id('userns-dev'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /rdev=1:3/);
});

test('user namespace with a cgroup mount and a cgroup namespace', () => {
  // a file of the container's own memory cgroup: v1's memory hierarchy, or the cgroup2 mount's root
  const file = unified ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes';
  const b = kit.bundle({
    args: ['/bin/ls', file],
    edit: (c) => {
      userns(c);
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts = c.mounts.filter((m) => ['/proc', '/sys', '/sys/fs/cgroup'].includes(m.destination));
    },
  });
  const r = kit.run(b, kit.id('userns-cg'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is(r.stdout.trim(), file);
});

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
