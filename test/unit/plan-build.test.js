'use strict';
// buildPlan (src/runtime/plan/build.ts, through dist/): from a validated spec to the ordered steps
// minicon-init runs. Pure logic: the specs are fixtures made from the default spec with absolute
// fixture paths; the cgroup hierarchies are fixtures too (no mount table is read here).
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { buildPlan, parseMountOptions } = require('../../dist/runtime/plan/build');
const { CLONE, MS, S_IFCHR } = require('../../dist/runtime/plan/constants');
const { StepOp, encodePlan, PLAN_STEP_MODE, PLAN_WAIT_GO } = require('../../dist/runtime/sync/protocol');
const { defaultSpec } = require('../../dist/runtime/spec/default');
const { capabilityMask } = require('../../dist/runtime/spec/capabilities');

// a scratch bundle for bind sources (buildPlan stats them to choose dir or file mount points)
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'minicon-plan-fixture-'));
fs.mkdirSync(path.join(tmp, 'data-dir'));
fs.writeFileSync(path.join(tmp, 'data-file'), 'x');
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** fixture: the host's hierarchies on a hybrid machine like this one */
const HYBRID_FIXTURE = [
  { name: 'cpu,cpuacct', fstype: 'cgroup', options: 'cpu,cpuacct' },
  { name: 'memory', fstype: 'cgroup', options: 'memory' },
  { name: 'systemd', fstype: 'cgroup', options: 'none,name=systemd' },
  { name: 'unified', fstype: 'cgroup2', options: '' },
];
/** fixture: a unified (cgroup v2 only) host */
const UNIFIED_FIXTURE = [{ name: '', fstype: 'cgroup2', options: '' }];

/** fixture: the runtime's own cgroup.procs files (the monitor returns there after the clone) */
const HOME_FIXTURE = ['/sys/fs/cgroup/pids/user.slice/cgroup.procs', '/sys/fs/cgroup/memory/cgroup.procs'];

/** fixture spec: the default config with absolute paths, as validateSpec returns it */
function fixtureSpec(edit) {
  const s = defaultSpec();
  s.process.terminal = false;
  s.root.path = '/fixture/bundle/rootfs';
  if (edit) edit(s);
  return s;
}

function plan(edit, ctx = {}) {
  return buildPlan(fixtureSpec(edit), { bundle: tmp, stateDir: '/fixture/state/c1', cgroupHierarchies: HYBRID_FIXTURE, capLastCap: 40, home: HOME_FIXTURE, ...ctx });
}

const ops = (p) => p.steps.map((s) => s.op);
const first = (p, pred) => p.steps.findIndex(pred);
const last = (p, pred) => { for (let i = p.steps.length - 1; i >= 0; i--) if (pred(p.steps[i])) return i; return -1; };
const isOp = (op) => (s) => s.op === op;
const isMountTo = (dest) => (s) => s.op === StepOp.MOUNT && s.strs[1] === dest;
const names = (p) => p.steps.map((s, i) => `${i} ${StepOp[s.op]} ${s.describe}`).join('\n');

function before(p, a, b, what) {
  assert.ok(a >= 0 && b >= 0 && a < b, `${what}: expected step ${a} before step ${b}\n${names(p)}`);
}

test('default spec: the runc init order, end to end', () => {
  const p = plan();
  const rslave = first(p, (s) => s.op === StepOp.MOUNT && s.strs[1] === '/' && s.ints[1] === 0);
  const bind = first(p, isOp(StepOp.BIND_ROOTFS));
  const proc = first(p, isMountTo('/proc'));
  const lastSpecMount = last(p, (s) => s.op === StepOp.MOUNT && s.strs[1].startsWith('/sys/fs/cgroup'));
  const firstDev = first(p, isOp(StepOp.MKNOD));
  const lastDev = last(p, isOp(StepOp.MKNOD));
  const pivot = first(p, isOp(StepOp.PIVOT_ROOT));
  const firstMask = first(p, isOp(StepOp.MASK));
  const firstRo = first(p, isOp(StepOp.READONLY));
  const bounding = first(p, isOp(StepOp.CAPS_BOUNDING));
  const keep1 = first(p, (s) => s.op === StepOp.KEEPCAPS && s.ints[0] === 1);
  const keep0 = first(p, (s) => s.op === StepOp.KEEPCAPS && s.ints[0] === 0);
  const setgroups = first(p, isOp(StepOp.SETGROUPS));
  const setgid = first(p, isOp(StepOp.SETRESGID));
  const setuid = first(p, isOp(StepOp.SETRESUID));
  const caps = first(p, isOp(StepOp.CAPS));
  const nnp = first(p, isOp(StepOp.NO_NEW_PRIVS));
  const chdir = first(p, isOp(StepOp.CHDIR));
  const wait = first(p, isOp(StepOp.WAIT_START));

  assert.is(rslave, 0, 'the first step makes / rslave');
  assert.equal(p.steps[0].ints, [MS.SLAVE | MS.REC, 0, 0]);
  before(p, rslave, bind, 'rslave before binding the rootfs');
  before(p, bind, proc, 'rootfs bound before the spec mounts');
  before(p, lastSpecMount, firstDev, 'spec mounts before device nodes');
  before(p, lastDev, pivot, 'devices before pivot_root');
  before(p, pivot, firstMask, 'masked paths after pivot_root');
  assert.ok(p.steps.every((s, i) => (s.op !== StepOp.MASK && s.op !== StepOp.READONLY) || i > pivot), 'every mask/readonly after pivot_root');
  before(p, firstMask, firstRo, 'masks, then read-only paths');
  before(p, bounding, setuid, 'bounding set dropped before the uid change');
  before(p, keep1, setuid, 'keepcaps on before setresuid');
  before(p, setgroups, setgid, 'setgroups before setresgid');
  before(p, setgid, setuid, 'setresgid before setresuid');
  before(p, setuid, keep0, 'keepcaps off after setresuid');
  before(p, setuid, caps, 'setresuid before CAPS');
  before(p, caps, nnp, 'no_new_privs after the capability sets');
  assert.is(chdir, wait - 1, 'chdir right before waiting for start');
  assert.is(wait, p.steps.length - 2, 'WAIT_START is second to last');
  assert.is(p.steps[p.steps.length - 1].op, StepOp.EXEC, 'EXEC is last');
  assert.is(ops(p).filter((o) => o === StepOp.EXEC).length, 1);
  assert.is(ops(p).filter((o) => o === StepOp.WAIT_START).length, 1);
  assert.is(ops(p).filter((o) => o === StepOp.PIVOT_ROOT).length, 1);
});

test('default spec: clone flags, flags, state dir, home files, no pid-ns path', () => {
  const p = plan();
  assert.equal(p.home, HOME_FIXTURE);
  assert.is(p.cloneFlags, BigInt(CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS));
  assert.is(p.cloneFlags, 0x6c020000n);
  assert.is(p.flags, 0);
  assert.is(p.stateDir, '/fixture/state/c1');
  assert.is(p.pidnsPath, '');
  assert.not.ok(ops(p).includes(StepOp.SETNS));
  assert.not.ok(ops(p).includes(StepOp.UNSHARE));
  assert.is(plan(undefined, { stepMode: true }).flags, PLAN_STEP_MODE);
});

test('PLAN_WAIT_GO only when something needs the round trip: a new user namespace or hooks', () => {
  assert.is(plan().flags & PLAN_WAIT_GO, 0, 'default spec: no GO');
  assert.is(plan((s) => { s.linux.namespaces.push({ type: 'user' }); }).flags & PLAN_WAIT_GO, PLAN_WAIT_GO, 'new user ns: uid/gid maps');
  assert.is(plan((s) => { s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }); }).flags & PLAN_WAIT_GO, 0, 'a joined user ns has its maps already');
  for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer']) {
    assert.is(plan((s) => { s.hooks = { [kind]: [{ path: '/bin/true' }] }; }).flags & PLAN_WAIT_GO, PLAN_WAIT_GO, kind);
  }
  assert.is(plan((s) => { s.hooks = { poststart: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true' }] }; }).flags & PLAN_WAIT_GO, 0, 'poststart/poststop need no GO');
  assert.is(plan((s) => { s.hooks = { createRuntime: [{ path: '/bin/true' }] }; }, { stepMode: true }).flags, PLAN_STEP_MODE | PLAN_WAIT_GO);
});

test('every step has a description and integer operands only', () => {
  for (const s of plan().steps) {
    assert.type(s.describe, 'string');
    assert.ok(s.describe.length > 0);
    for (const i of s.ints) assert.ok(typeof i === 'bigint' || Number.isInteger(i), `${s.describe}: ${i}`);
    for (const t of s.strs) assert.type(t, 'string');
  }
});

test('joined namespaces: setns steps first, pid joined by the monitor (path), cgroup unshared as a step', () => {
  const p = plan((s) => {
    s.linux.namespaces = [
      { type: 'network', path: '/proc/1/ns/net' },
      { type: 'pid', path: '/proc/1/ns/pid' },
      { type: 'mount' },
      { type: 'uts' },
      { type: 'ipc', path: '/proc/1/ns/ipc' },
      { type: 'cgroup' },
    ];
  });
  assert.is(p.cloneFlags, BigInt(CLONE.NEWNS | CLONE.NEWUTS), 'only created namespaces (not cgroup) are clone flags');
  assert.is(p.pidnsPath, '/proc/1/ns/pid');
  assert.equal(p.steps[0], { ...p.steps[0], op: StepOp.SETNS, ints: [CLONE.NEWNET], strs: ['/proc/1/ns/net'] });
  assert.equal(p.steps[1], { ...p.steps[1], op: StepOp.SETNS, ints: [CLONE.NEWIPC], strs: ['/proc/1/ns/ipc'] });
  const unshare = first(p, isOp(StepOp.UNSHARE));
  assert.is(unshare, 2, 'the cgroup namespace is unshared right after the joins');
  assert.equal(p.steps[unshare].ints, [CLONE.NEWCGROUP]);
  assert.is(last(p, isOp(StepOp.SETNS)), 1, 'no join after the unshare');
  before(p, unshare, first(p, isOp(StepOp.BIND_ROOTFS)), 'namespaces before the rootfs');
});

test('a new cgroup namespace is never a clone flag: it is unshared after GO (a step)', () => {
  const p = plan((s) => { s.linux.namespaces.push({ type: 'cgroup' }); });
  assert.is(p.cloneFlags & BigInt(CLONE.NEWCGROUP), 0n);
  const i = first(p, isOp(StepOp.UNSHARE));
  assert.is(i, 0, 'cgroup unshare is the first step');
  assert.equal(p.steps[i].ints, [CLONE.NEWCGROUP]);
});

test('joining a user namespace: its setns comes first, the owned namespaces are unshared after it', () => {
  const p = plan((s) => {
    s.linux.namespaces = [
      { type: 'network', path: '/proc/1/ns/net' },
      { type: 'user', path: '/proc/1/ns/user' },
      { type: 'pid' },
      { type: 'mount' },
      { type: 'uts' },
    ];
  });
  assert.is(p.cloneFlags, BigInt(CLONE.NEWPID), 'only pid is made by clone3 when a user ns is joined');
  assert.equal(p.steps[0].strs, ['/proc/1/ns/user']);
  assert.equal(p.steps[0].ints, [CLONE.NEWUSER]);
  assert.equal(p.steps[1].strs, ['/proc/1/ns/net']);
  assert.is(p.steps[2].op, StepOp.UNSHARE);
  assert.equal(p.steps[2].ints, [CLONE.NEWNS | CLONE.NEWUTS]);
});

test('parseMountOptions: flags set and cleared in order, propagation and data kept apart', () => {
  assert.equal(parseMountOptions(), { flags: 0, propagation: [], data: [] });
  assert.equal(parseMountOptions([]), { flags: 0, propagation: [], data: [] });
  assert.equal(parseMountOptions(['nosuid', 'noexec', 'nodev', 'ro']), { flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, propagation: [], data: [] });
  assert.is(parseMountOptions(['nosuid', 'noexec', 'nodev', 'ro']).flags, 15);
  assert.is(parseMountOptions(['ro', 'rw']).flags, 0, 'rw after ro clears it');
  assert.is(parseMountOptions(['rw', 'ro']).flags, MS.RDONLY);
  assert.is(parseMountOptions(['nosuid', 'suid']).flags, 0);
  assert.is(parseMountOptions(['defaults']).flags, 0);
  assert.is(parseMountOptions(['strictatime', 'norelatime']).flags, MS.STRICTATIME);
  assert.is(parseMountOptions(['relatime']).flags, 1 << 21);
  assert.is(parseMountOptions(['bind']).flags, 4096);
  assert.is(parseMountOptions(['rbind']).flags, 4096 | 16384);
  assert.equal(parseMountOptions(['rbind', 'rprivate', 'slave', 'runbindable']), {
    flags: MS.BIND | MS.REC, propagation: [MS.PRIVATE | MS.REC, MS.SLAVE, MS.UNBINDABLE | MS.REC], data: [],
  });
  assert.equal(parseMountOptions(['shared', 'rshared', 'private', 'rslave', 'unbindable']).propagation,
    [1 << 20, (1 << 20) | 16384, 1 << 18, (1 << 19) | 16384, 1 << 17]);
  assert.equal(parseMountOptions(['nosuid', 'mode=755', 'size=65536k', 'newinstance']), { flags: MS.NOSUID, propagation: [], data: ['mode=755', 'size=65536k', 'newinstance'] });
});

test('mount steps: a non-bind mount is one step with flags and comma-joined data, created as a dir in the rootfs', () => {
  const p = plan();
  const dev = p.steps[first(p, isMountTo('/dev'))];
  assert.equal(dev.ints, [MS.NOSUID | MS.STRICTATIME, 1, 1]);
  assert.equal(dev.strs, ['tmpfs', '/dev', 'tmpfs', 'mode=755,size=65536k']);
  const proc = p.steps[first(p, isMountTo('/proc'))];
  assert.equal(proc.ints, [0, 1, 1]);
  assert.equal(proc.strs, ['proc', '/proc', 'proc', '']);
  const sys = p.steps[first(p, isMountTo('/sys'))];
  assert.equal(sys.ints, [MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, 1, 1]);
});

test('bind mounts: bind (+rec), then a remount for the other flags, then propagation; dir vs file; relative source', () => {
  const p = plan((s) => {
    s.mounts = [
      { destination: '/data', type: 'bind', source: path.join(tmp, 'data-dir'), options: ['rbind', 'ro', 'nosuid', 'rprivate'] },
      { destination: '/etc/one', type: 'none', source: 'data-file', options: ['bind'] },
    ];
  });
  const i = first(p, isMountTo('/data'));
  assert.equal(p.steps[i].ints, [MS.BIND | MS.REC, 1, 1]);
  assert.equal(p.steps[i].strs, [path.join(tmp, 'data-dir'), '/data', '', '']);
  assert.equal(p.steps[i + 1].ints, [MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID, 1, 0]);
  assert.equal(p.steps[i + 1].strs, ['', '/data', '', '']);
  assert.equal(p.steps[i + 2].ints, [MS.PRIVATE | MS.REC, 1, 0]);
  const f = p.steps[first(p, isMountTo('/etc/one'))];
  assert.equal(f.ints, [MS.BIND, 1, 2], 'a file source gets a file mount point');
  assert.is(f.strs[0], path.join(tmp, 'data-file'), 'a relative source is relative to the bundle');
  assert.not.ok(p.steps.some((s) => s.op === StepOp.MOUNT && s.strs[1] === '/etc/one' && (s.ints[0] & MS.REMOUNT)), 'no remount when only bind was asked');
});

test('cgroup mount on v1/hybrid: a tmpfs, one mount per host hierarchy, then read-only', () => {
  const p = plan();
  const i = first(p, isMountTo('/sys/fs/cgroup'));
  const base = MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME;
  assert.equal(p.steps[i].strs, ['tmpfs', '/sys/fs/cgroup', 'tmpfs', 'mode=755']);
  assert.equal(p.steps[i].ints, [base, 1, 1], 'the tmpfs is writable until the hierarchies are mounted');
  HYBRID_FIXTURE.forEach((h, k) => {
    const s = p.steps[i + 1 + k];
    assert.is(s.op, StepOp.MOUNT);
    assert.equal(s.strs, [h.fstype, `/sys/fs/cgroup/${h.name}`, h.fstype, h.options]);
    assert.equal(s.ints, [base | MS.RDONLY, 1, 1]);
  });
  const ro = p.steps[i + 1 + HYBRID_FIXTURE.length];
  assert.equal(ro.strs, ['', '/sys/fs/cgroup', '', '']);
  assert.equal(ro.ints, [MS.REMOUNT | base | MS.RDONLY, 1, 0]);
  assert.is(p.steps.filter((s) => s.op === StepOp.MOUNT && s.strs[1].startsWith('/sys/fs/cgroup')).length, HYBRID_FIXTURE.length + 2);
});

test('cgroup mount on a unified host: one cgroup2 mount, no tmpfs', () => {
  const p = plan(undefined, { cgroupHierarchies: UNIFIED_FIXTURE });
  const cg = p.steps.filter((s) => s.op === StepOp.MOUNT && s.strs[1].startsWith('/sys/fs/cgroup'));
  assert.is(cg.length, 1);
  assert.equal(cg[0].strs, ['cgroup2', '/sys/fs/cgroup', 'cgroup2', '']);
  assert.equal(cg[0].ints, [MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY, 1, 1]);
});

test('devices: mknod of the default devices when /dev is a tmpfs, then the /dev links', () => {
  const p = plan();
  const nodes = p.steps.filter(isOp(StepOp.MKNOD));
  assert.equal(nodes.map((s) => s.strs[0]), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  assert.equal(nodes[0].ints, [S_IFCHR | 0o666, 1, 3, 0, 0]);
  assert.equal(nodes[5].ints, [S_IFCHR | 0o666, 5, 0, 0, 0]);
  const links = p.steps.filter(isOp(StepOp.SYMLINK)).map((s) => s.strs);
  assert.equal(links, [['/proc/self/fd', '/dev/fd'], ['/proc/self/fd/0', '/dev/stdin'], ['/proc/self/fd/1', '/dev/stdout'], ['/proc/self/fd/2', '/dev/stderr'], ['pts/ptmx', '/dev/ptmx']]);
  before(p, last(p, isOp(StepOp.SYMLINK)), first(p, isOp(StepOp.PIVOT_ROOT)), 'links before pivot_root');
});

test('devices: a spec device replaces the default of the same path and adds its own', () => {
  const p = plan((s) => {
    s.linux.devices = [
      { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 },
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, uid: 5, gid: 6 },
    ];
  });
  const nodes = p.steps.filter(isOp(StepOp.MKNOD));
  assert.is(nodes.filter((s) => s.strs[0] === '/dev/null').length, 1);
  assert.equal(nodes.find((s) => s.strs[0] === '/dev/null').ints, [S_IFCHR | 0o600, 1, 3, 0, 0]);
  assert.equal(nodes.find((s) => s.strs[0] === '/dev/fuse').ints, [S_IFCHR | 0o666, 10, 229, 5, 6]);
});

test('devices: none without a /dev mount (the rootfs /dev is used as is)', () => {
  const p = plan((s) => { s.mounts = s.mounts.filter((m) => !m.destination.startsWith('/dev')); });
  assert.not.ok(ops(p).includes(StepOp.MKNOD));
  assert.not.ok(ops(p).includes(StepOp.SYMLINK));
});

test('devices: none in a /dev bound from elsewhere, even with linux.devices (it may be the host\'s)', () => {
  const p = plan((s) => {
    s.mounts = s.mounts.filter((m) => !m.destination.startsWith('/dev'));
    s.mounts.push({ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] });
    s.linux.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }];
  });
  assert.not.ok(ops(p).includes(StepOp.MKNOD));
  assert.not.ok(ops(p).includes(StepOp.SYMLINK));
});

test('cgroup mount without a cgroup namespace (fixture paths): only the container\'s own cgroups are bound', () => {
  const own = [{ name: 'memory', fstype: 'cgroup', options: 'memory', bindFrom: '/sys/fs/cgroup/memory/x/minicon/c1' }];
  const p = plan((s) => { s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'cgroup'); }, { cgroupHierarchies: own });
  const binds = p.steps.filter((st) => st.op === StepOp.MOUNT && st.strs[1] === '/sys/fs/cgroup/memory');
  assert.is(binds[0].strs[0], '/sys/fs/cgroup/memory/x/minicon/c1', 'the source is the container cgroup, not the hierarchy');
  assert.ok(binds[0].ints[0] & MS.BIND);
  assert.ok(binds[1].ints[0] & MS.REMOUNT && binds[1].ints[0] & MS.RDONLY, 'read-only as the mount asks');
  assert.not.ok(p.steps.some((st) => st.op === StepOp.MOUNT && st.strs[2] === 'cgroup'), 'no fresh hierarchy mount');
});

test('user namespace: the host device nodes are bind-mounted instead of mknod', () => {
  const p = plan((s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  assert.ok(p.cloneFlags & BigInt(CLONE.NEWUSER));
  assert.not.ok(ops(p).includes(StepOp.MKNOD), 'mknod is not allowed in a user namespace');
  const binds = p.steps.filter((s) => s.op === StepOp.MOUNT && s.strs[0].startsWith('/dev/') && s.strs[0] === s.strs[1]);
  assert.equal(binds.map((s) => s.strs[0]), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  for (const b of binds) assert.equal(b.ints, [MS.BIND, 1, 2], `${b.strs[0]}: bind onto a file mount point in the rootfs`);
  before(p, last(p, (s) => s.op === StepOp.MOUNT && s.strs[0] === '/dev/tty'), first(p, isOp(StepOp.PIVOT_ROOT)), 'binds before pivot_root');
});

test('capabilities: bounding and sets as masks; ambient masked to permitted ∩ inheritable', () => {
  const p = plan((s) => {
    s.process.capabilities = {
      bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'],
      effective: ['CAP_KILL'],
      permitted: ['CAP_KILL', 'CAP_CHOWN'],
      inheritable: ['CAP_CHOWN', 'CAP_NET_RAW'],
      ambient: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'],
    };
  });
  const b = p.steps[first(p, isOp(StepOp.CAPS_BOUNDING))];
  assert.equal(b.ints.map(BigInt), [(1n << 5n) | 1n | (1n << 13n), 40n]);
  const c = p.steps[first(p, isOp(StepOp.CAPS))];
  assert.equal(c.ints.map(BigInt), [1n << 5n, (1n << 5n) | 1n, 1n | (1n << 13n), 1n, 40n]);
  assert.ok(/1 ambient/.test(c.describe), c.describe);
});

test('capabilities: the default spec (no inheritable set) raises no ambient capability', () => {
  const c = plan().steps.find(isOp(StepOp.CAPS));
  assert.is(BigInt(c.ints[3]), 0n);
  assert.is(BigInt(c.ints[1]), capabilityMask(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']));
});

test('no capabilities object: no CAPS_BOUNDING and no CAPS step, ids still set', () => {
  const p = plan((s) => { delete s.process.capabilities; });
  assert.not.ok(ops(p).includes(StepOp.CAPS_BOUNDING));
  assert.not.ok(ops(p).includes(StepOp.CAPS));
  assert.ok(ops(p).includes(StepOp.SETRESUID));
});

test('user, groups, umask, cwd, args and env', () => {
  const p = plan((s) => {
    s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 6], umask: 0o027 };
    s.process.cwd = '/tmp';
    s.process.args = ['/probe', 'exit', '3'];
    s.process.env = ['A=1', 'PATH=/bin'];
  });
  assert.equal(p.steps.find(isOp(StepOp.SETGROUPS)).ints, [5, 6]);
  assert.equal(p.steps.find(isOp(StepOp.SETRESGID)).ints, [1001]);
  assert.equal(p.steps.find(isOp(StepOp.SETRESUID)).ints, [1000]);
  assert.equal(p.steps.find(isOp(StepOp.UMASK)).ints, [0o027]);
  assert.equal(p.steps.find(isOp(StepOp.CHDIR)).strs, ['/tmp']);
  const exec = p.steps[p.steps.length - 1];
  assert.equal(exec.ints, [3]);
  assert.equal(exec.strs, ['/probe', 'exit', '3', 'A=1', 'PATH=/bin']);
});

test('hooks: createContainer before pivot_root (after devices); startContainer between WAIT_START and EXEC', () => {
  const p = plan((s) => {
    s.hooks = {
      createContainer: [{ path: '/bin/cc', args: ['cc', '-x'], env: ['E=1'], timeout: 5 }],
      startContainer: [{ path: '/bin/sc' }],
    };
  });
  const cc = first(p, (s) => s.op === StepOp.HOOK && s.strs[0] === '/bin/cc');
  const sc = first(p, (s) => s.op === StepOp.HOOK && s.strs[0] === '/bin/sc');
  assert.equal(p.steps[cc].ints, [5, 2]);
  assert.equal(p.steps[cc].strs, ['/bin/cc', 'cc', '-x', 'E=1']);
  assert.equal(p.steps[sc].ints, [0, 1], 'no args: argv is [path]');
  assert.equal(p.steps[sc].strs, ['/bin/sc', '/bin/sc']);
  before(p, last(p, isOp(StepOp.SYMLINK)), cc, 'createContainer after devices');
  before(p, cc, first(p, isOp(StepOp.PIVOT_ROOT)), 'createContainer before pivot_root');
  assert.is(p.steps[sc - 1].op, StepOp.WAIT_START);
  assert.is(p.steps[sc + 1].op, StepOp.EXEC);
  assert.is(sc + 1, p.steps.length - 1);
});

test('oomScoreAdj before the rootfs; sysctl after pivot and before read-only paths; hostname after pivot', () => {
  const p = plan((s) => {
    s.process.oomScoreAdj = 100;
    s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    s.domainname = 'example';
  });
  const oom = first(p, (s) => s.op === StepOp.WRITE_FILE && s.strs[0] === '/proc/self/oom_score_adj');
  assert.equal(p.steps[oom].strs, ['/proc/self/oom_score_adj', '100']);
  before(p, oom, first(p, isOp(StepOp.BIND_ROOTFS)), 'oom_score_adj before the rootfs');
  const sysctl = first(p, (s) => s.op === StepOp.WRITE_FILE && s.strs[0] === '/proc/sys/net/ipv4/ip_forward');
  assert.equal(p.steps[sysctl].strs[1], '1');
  before(p, first(p, isOp(StepOp.PIVOT_ROOT)), sysctl, 'sysctl after pivot_root');
  before(p, sysctl, first(p, isOp(StepOp.READONLY)), 'sysctl before /proc/sys is read-only');
  before(p, first(p, isOp(StepOp.PIVOT_ROOT)), first(p, isOp(StepOp.SETHOSTNAME)), 'hostname after pivot_root');
  assert.equal(p.steps.find(isOp(StepOp.SETDOMAINNAME)).strs, ['example']);
});

test('readonly root: a remount of / after pivot_root; rootfsPropagation private and shared', () => {
  const p = plan();
  const ro = first(p, (s) => s.op === StepOp.MOUNT && s.strs[1] === '/' && (s.ints[0] & MS.REMOUNT));
  assert.equal(p.steps[ro].ints, [MS.REMOUNT | MS.BIND | MS.RDONLY, 0, 0]);
  before(p, first(p, isOp(StepOp.PIVOT_ROOT)), ro, 'read-only / after pivot_root');
  assert.is(first(plan((s) => { s.root.readonly = false; }), (s) => s.op === StepOp.MOUNT && s.strs[1] === '/' && (s.ints[0] & MS.REMOUNT)), -1);

  const priv = plan((s) => { s.linux.rootfsPropagation = 'rprivate'; });
  assert.equal(priv.steps[0].ints, [MS.PRIVATE | MS.REC, 0, 0]);
  const shared = plan((s) => { s.linux.rootfsPropagation = 'shared'; });
  assert.equal(shared.steps[0].ints, [MS.SLAVE | MS.REC, 0, 0], 'shared: the host is protected by rslave first');
  const sh = first(shared, (s) => s.op === StepOp.MOUNT && s.strs[1] === '/' && s.ints[0] === MS.SHARED);
  before(shared, first(shared, isOp(StepOp.PIVOT_ROOT)), sh, 'then / is made shared after pivot_root');
});

test('rlimits: values pass through; RLIM_INFINITY (18446744073709551615 in config.json) reaches minicon-init as infinity', () => {
  const p = plan((s) => {
    // JSON.parse('18446744073709551615') is the double 2**64: that is what validateSpec returns
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }, { type: 'RLIMIT_CORE', soft: JSON.parse('18446744073709551615'), hard: JSON.parse('18446744073709551615') }];
  });
  const limits = p.steps.filter(isOp(StepOp.SETRLIMIT));
  assert.equal(limits[0].ints, [7, 1024, 4096]);
  // encode as the runtime does and read the i64 operands minicon-init will see
  const buf = encodePlan({ ...p, stateDir: '', pidnsPath: '', home: [], steps: [limits[1]] });
  const base = 6 + 8 + 4 + 4 + 4 + 4 + 4 + 6; // frame header, flags, state dir "", pid ns "", no home files, n, step header
  const soft = buf.readBigInt64LE(base + 8);
  const hard = buf.readBigInt64LE(base + 16);
  assert.is(buf.readBigInt64LE(base), 4n, 'RLIMIT_CORE');
  assert.is(soft, -1n, `soft limit sent as ${soft}: C reads a negative value as RLIM_INFINITY, but 2**64 wraps to 0 (BigInt.asIntN)`);
  assert.is(hard, -1n, `hard limit sent as ${hard}`);
});

test.run();
