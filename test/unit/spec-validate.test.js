'use strict';
// validateSpec: every rule has a failing case whose message names the field by its JSON path,
// plus valid variations and the normalization of the returned copy.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { validateSpec, rlimitValue, RLIM_INFINITY, RLIMITS } = require('../../dist/runtime/spec/validate');
const { defaultSpec } = require('../../dist/runtime/spec/default');
const { MiniconError } = require('../../dist/runtime/errors');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'minicon-validate-'));
const bundle = path.join(tmp, 'bundle');
fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
fs.writeFileSync(path.join(bundle, 'afile'), 'x');
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function base() {
  const s = defaultSpec();
  s.process.terminal = false;
  return s;
}

function ok(mutate, options) {
  const s = base();
  if (mutate) mutate(s);
  return validateSpec(s, bundle, options);
}

/** Expects the mutation to be rejected with "config.json: <field>: ..." containing `problem`. */
function bad(mutate, field, problem, hintPart) {
  const s = base();
  mutate(s);
  let err;
  try {
    validateSpec(s, bundle);
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected an error naming ${field}`);
  assert.instance(err, MiniconError, err && err.stack);
  const prefix = field === '' ? 'config.json: ' : `config.json: ${field}: `;
  assert.ok(err.message.startsWith(prefix), `"${err.message}" should start with "${prefix}"`);
  if (problem) assert.match(err.message, problem);
  assert.type(err.detail.hint, 'string');
  assert.ok(err.detail.hint.length > 5, `a hint for ${field}`);
  if (hintPart) assert.match(err.detail.hint, hintPart);
  assert.is(err.detail.step, 'validate config.json');
  assert.is(err.detail.path, path.join(bundle, 'config.json'));
  return err;
}

const ns = (s, t) => s.linux.namespaces.find((n) => n.type === t);
const dropNs = (s, t) => (s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== t));

// --------------------------------------------------------------------------------------------- top

test('top level: shape, unknown and unsupported fields, ociVersion', () => {
  let e;
  try {
    validateSpec([], bundle);
  } catch (x) {
    e = x;
  }
  assert.is(e.message, 'config.json: must be a JSON object, got an array');
  assert.throws(() => validateSpec(null, bundle), /config\.json: must be a JSON object, got null/);
  assert.throws(() => validateSpec('x', bundle), /must be a JSON object/);
  bad((s) => (s.foo = 1), 'foo', 'unknown field (the top level may hold ociVersion, process, root');
  bad((s) => (s.hostName = 'x'), 'hostName', 'unknown field', 'did you mean hostname?');
  bad((s) => (s['a b'] = 1), 'config.json: ["a b"]'.slice(13), 'unknown field');
  bad((s) => (s.windows = {}), 'windows', 'Linux containers only');
  bad((s) => (s.vm = {}), 'vm', 'Linux containers only');
  bad((s) => delete s.ociVersion, 'ociVersion', 'missing (required)');
  bad((s) => (s.ociVersion = '2.0.0'), 'ociVersion', 'unsupported version "2.0.0"');
  bad((s) => (s.ociVersion = '0.9'), 'ociVersion', 'unsupported version');
  bad((s) => (s.ociVersion = 1), 'ociVersion', 'must be a string, got 1');
  for (const v of ['1.0.0', '1.0.2-dev', '1.1.0', '1.2.0']) ok((s) => (s.ociVersion = v));
});

// --------------------------------------------------------------------------------------------- process

test('process: presence, fields, terminal, consoleSize', () => {
  bad((s) => delete s.process, 'process', 'missing (required)');
  bad((s) => (s.process = []), 'process', 'must be an object, got an array');
  bad((s) => (s.process = null), 'process', 'must be an object, got null', 'omit the field');
  bad((s) => (s.process.foo = 1), 'process.foo', 'unknown field');
  bad((s) => (s.process.noNewPrivilege = true), 'process.noNewPrivilege', 'unknown field', 'did you mean process.noNewPrivileges?');
  bad((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 0 }), 'process.ioPriority', 'is not supported yet');
  bad((s) => (s.process.scheduler = {}), 'process.scheduler', 'is not supported yet');
  bad((s) => (s.process.terminal = 'yes'), 'process.terminal', 'must be true or false, got the string "yes"');
  const e = bad((s) => (s.process.terminal = true), 'process.terminal');
  assert.is(e.message, 'config.json: process.terminal: true needs --console-socket, which MiniCon does not support yet');
  assert.is(ok((s) => (s.process.terminal = true), { allowTerminal: true }).process.terminal, true);
  bad((s) => (s.process.consoleSize = { height: 24, width: 80 }), 'process.consoleSize', 'only used with "terminal": true');
  const withSize = (s) => ((s.process.terminal = true), (s.process.consoleSize = { height: 24, width: 80 }));
  assert.equal(ok(withSize, { allowTerminal: true }).process.consoleSize, { height: 24, width: 80 });
  bad((s) => ((s.process.terminal = false), (s.process.consoleSize = { height: 24 })), 'process.consoleSize.width', 'missing');
  bad((s) => (s.process.consoleSize = { height: -1, width: 80 }), 'process.consoleSize.height', 'out of range');
  bad((s) => (s.process.consoleSize = { height: 1, width: 1, depth: 3 }), 'process.consoleSize.depth', 'unknown field');
});

test('process.user', () => {
  bad((s) => delete s.process.user, 'process.user', 'missing (required)');
  bad((s) => delete s.process.user.uid, 'process.user.uid', 'missing (required)');
  bad((s) => delete s.process.user.gid, 'process.user.gid', 'missing (required)');
  bad((s) => (s.process.user.uid = -1), 'process.user.uid', '-1 is out of range (0..4294967294)');
  bad((s) => (s.process.user.uid = 4294967295), 'process.user.uid', 'out of range');
  bad((s) => (s.process.user.gid = 1.5), 'process.user.gid', 'must be an integer, got 1.5');
  bad((s) => (s.process.user.uid = '0'), 'process.user.uid', 'must be an integer, got the string "0"');
  bad((s) => (s.process.user.uid = 2 ** 60), 'process.user.uid', 'too large to be read exactly');
  bad((s) => (s.process.user.umask = 0o1000), 'process.user.umask', 'out of range (0..511)');
  bad((s) => (s.process.user.additionalGids = [1, -2]), 'process.user.additionalGids[1]', 'out of range');
  bad((s) => (s.process.user.additionalGids = 5), 'process.user.additionalGids', 'must be an array');
  bad((s) => (s.process.user.username = 5), 'process.user.username', 'must be a string');
  bad((s) => (s.process.user.name = 'x'), 'process.user.name', 'unknown field');
  const v = ok((s) => (s.process.user = { uid: 1000, gid: 4294967294, umask: 0o22, additionalGids: [5, 20], username: 'me' }));
  assert.equal(v.process.user, { uid: 1000, gid: 4294967294, umask: 18, additionalGids: [5, 20], username: 'me' });
});

test('process.args, env, cwd', () => {
  bad((s) => delete s.process.args, 'process.args', 'missing (required)');
  bad((s) => (s.process.args = []), 'process.args', 'is empty');
  bad((s) => (s.process.args = 'sh'), 'process.args', 'must be an array, got the string "sh"');
  bad((s) => (s.process.args = ['sh', 3]), 'process.args[1]', 'must be a string, got 3');
  bad((s) => (s.process.args = ['']), 'process.args[0]', 'is empty');
  bad((s) => (s.process.args = ['a\0b']), 'process.args[0]', 'NUL');
  bad((s) => (s.process.env = ['A=1', 'FOO']), 'process.env[1]', '"FOO" is not KEY=VALUE', '"FOO=value"');
  bad((s) => (s.process.env = ['=x']), 'process.env[0]', 'empty variable name');
  bad((s) => (s.process.env = 'A=B'), 'process.env', 'must be an array');
  bad((s) => delete s.process.cwd, 'process.cwd', 'missing (required)');
  bad((s) => (s.process.cwd = 'tmp'), 'process.cwd', '"tmp" is not an absolute path');
  bad((s) => (s.process.cwd = ''), 'process.cwd', 'is not an absolute path');
  const v = ok((s) => ((s.process.args = ['/bin/echo', '', 'x y']), (s.process.env = ['A=', 'B=c=d']), (s.process.cwd = '/tmp/x')));
  assert.equal(v.process.args, ['/bin/echo', '', 'x y']);
  assert.equal(v.process.env, ['A=', 'B=c=d']);
  ok((s) => delete s.process.env);
});

test('process.capabilities', () => {
  bad((s) => (s.process.capabilities.foo = []), 'process.capabilities.foo', 'unknown field');
  bad((s) => (s.process.capabilities.bounding = ['CAP_KILL', 'CAP_FOO']), 'process.capabilities.bounding[1]', 'unknown capability "CAP_FOO"');
  bad((s) => (s.process.capabilities.permitted = ['net_admin']), 'process.capabilities.permitted[0]', 'unknown capability', 'did you mean "CAP_NET_ADMIN"?');
  bad((s) => (s.process.capabilities.inheritable = 'CAP_KILL'), 'process.capabilities.inheritable', 'must be an array');
  bad((s) => (s.process.capabilities.effective = ['CAP_SYS_ADMIN']), 'process.capabilities.effective', 'CAP_SYS_ADMIN is not in process.capabilities.permitted');
  bad((s) => (s.process.capabilities = ['CAP_KILL']), 'process.capabilities', 'must be an object');
  const warnings = [];
  const all = Object.keys(require('../../dist/runtime/spec/capabilities').CAPABILITIES);
  const v = ok(
    (s) => (s.process.capabilities = { bounding: all, effective: all, permitted: all, inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] }),
    { warn: (w) => warnings.push(w) },
  );
  assert.is(v.process.capabilities.bounding.length, 41);
  const last = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  // every capability above this kernel's cap_last_cap is reported, once per set it appears in
  assert.is(warnings.length, (40 - Math.min(last, 40)) * 3);
  // ambient without inheritable: warned about, not an error (runc's own default does it)
  const w2 = [];
  ok((s) => (s.process.capabilities = { permitted: ['CAP_KILL'], ambient: ['CAP_KILL'] }), { warn: (w) => w2.push(w) });
  assert.equal(w2, ['config.json: process.capabilities.ambient: CAP_KILL is not in both permitted and inheritable, so the kernel will not raise it (skipped, as runc does)']);
  ok((s) => delete s.process.capabilities);
  ok((s) => (s.process.capabilities = {}));
});

test('process.rlimits', () => {
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]), 'process.rlimits[0].type', 'unknown rlimit "RLIMIT_FOO" (expected one of RLIMIT_CPU');
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_NOFLE', soft: 1, hard: 1 }]), 'process.rlimits[0].type', 'unknown rlimit', 'did you mean "RLIMIT_NOFILE"?');
  bad((s) => (s.process.rlimits = [{ type: 'nproc', soft: 1, hard: 1 }]), 'process.rlimits[0].type', 'unknown rlimit', '"RLIMIT_NPROC"');
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }]), 'process.rlimits[0].soft', '2048 is above the hard limit 1024');
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: -1 }]), 'process.rlimits[0].hard', '-1 is negative');
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 1.5, hard: 2 }]), 'process.rlimits[0].soft', 'must be a non-negative integer, got 1.5');
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 2 ** 60, hard: 2 ** 60 }]), 'process.rlimits[0].soft', 'too large to be read exactly');
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', hard: 2 }]), 'process.rlimits[0].soft', 'missing (required)');
  bad((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 1, hard: 2, max: 3 }]), 'process.rlimits[0].max', 'unknown field');
  const dup = bad(
    (s) => s.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 10, hard: 10 }),
    'process.rlimits[2].type',
  );
  assert.is(dup.message, 'config.json: process.rlimits[2].type: duplicate rlimit "RLIMIT_NOFILE" (also process.rlimits[0])');
  const all = Object.keys(RLIMITS).map((type) => ({ type, soft: 0, hard: 10 }));
  assert.is(ok((s) => (s.process.rlimits = all)).process.rlimits.length, 16);
  // 18446744073709551615 (RLIM_INFINITY) reaches JS as 2^64
  const inf = JSON.parse('{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615}');
  const v = ok((s) => (s.process.rlimits = [inf, { type: 'RLIMIT_NOFILE', soft: 1024, hard: inf.hard }]));
  assert.is(rlimitValue(v.process.rlimits[0].soft), RLIM_INFINITY);
  assert.is(RLIM_INFINITY, 18446744073709551615n);
  assert.is(rlimitValue(1024), 1024n);
});

test('process: noNewPrivileges, oomScoreAdj, apparmor, selinux', () => {
  bad((s) => (s.process.noNewPrivileges = 1), 'process.noNewPrivileges', 'must be true or false');
  bad((s) => (s.process.oomScoreAdj = 1001), 'process.oomScoreAdj', '1001 is out of range (-1000..1000)');
  bad((s) => (s.process.oomScoreAdj = -1001), 'process.oomScoreAdj', 'out of range');
  bad((s) => (s.process.apparmorProfile = 'docker-default'), 'process.apparmorProfile', 'AppArmor is not supported yet');
  bad((s) => (s.process.selinuxLabel = 'system_u:system_r:container_t:s0'), 'process.selinuxLabel', 'SELinux is not supported yet');
  bad((s) => (s.process.selinuxLabel = 5), 'process.selinuxLabel', 'must be a string');
  const v = ok((s) => Object.assign(s.process, { oomScoreAdj: -1000, apparmorProfile: '', selinuxLabel: '', noNewPrivileges: false }));
  assert.is(v.process.oomScoreAdj, -1000);
  ok((s) => (s.process.oomScoreAdj = 1000));
});

// --------------------------------------------------------------------------------------------- root

test('root: presence, rootfs exists and is a directory', () => {
  bad((s) => delete s.root, 'root', 'missing (required)');
  bad((s) => delete s.root.path, 'root.path', 'missing (required)');
  bad((s) => (s.root.path = ''), 'root.path', 'is empty');
  bad((s) => (s.root.readonly = 'yes'), 'root.readonly', 'must be true or false');
  bad((s) => (s.root.propagation = 'x'), 'root.propagation', 'unknown field');
  const e = bad((s) => (s.root.path = 'nope'), 'root.path');
  assert.is(e.message, `config.json: root.path: rootfs ${path.join(bundle, 'nope')} does not exist`);
  assert.match(e.detail.hint, `relative to the bundle ${bundle}`);
  bad((s) => (s.root.path = '/definitely/not/here'), 'root.path', 'rootfs /definitely/not/here does not exist');
  bad((s) => (s.root.path = 'afile'), 'root.path', `rootfs ${path.join(bundle, 'afile')} is not a directory`);
  bad((s) => (s.root.path = 'afile/x'), 'root.path', 'does not exist');
});

test('normalization: root.path made absolute, relative to the bundle', () => {
  assert.is(ok().root.path, path.join(bundle, 'rootfs'));
  assert.is(ok((s) => (s.root.path = './sub/../rootfs/')).root.path, path.join(bundle, 'rootfs'));
  const abs = path.join(tmp, 'elsewhere');
  fs.mkdirSync(abs, { recursive: true });
  assert.is(ok((s) => (s.root.path = abs)).root.path, abs);
  // a relative bundle directory is resolved against the current directory
  const rel = path.relative(process.cwd(), bundle);
  assert.is(validateSpec(base(), rel).root.path, path.join(bundle, 'rootfs'));
  // the input is not modified, and the result validates again to itself
  const input = base();
  const out = validateSpec(input, bundle);
  assert.is(input.root.path, 'rootfs');
  assert.is.not(out, input);
  assert.equal(validateSpec(out, bundle), out);
});

// --------------------------------------------------------------------------------------------- hostname

test('hostname and domainname need a uts namespace', () => {
  const e = bad((s) => dropNs(s, 'uts'), 'hostname', 'needs a uts namespace in linux.namespaces');
  assert.match(e.detail.hint, '{"type": "uts"}');
  bad((s) => (delete s.hostname, (s.domainname = 'example.org'), dropNs(s, 'uts')), 'domainname', 'needs a uts namespace');
  bad((s) => (s.hostname = 'h'.repeat(65)), 'hostname', 'is 65 bytes long (the kernel allows at most 64)');
  bad((s) => (s.hostname = 5), 'hostname', 'must be a string');
  ok((s) => ((s.hostname = ''), dropNs(s, 'uts')));
  ok((s) => (delete s.hostname, dropNs(s, 'uts')));
  assert.is(ok((s) => ((s.hostname = 'h'.repeat(64)), (s.domainname = 'd.example'))).domainname, 'd.example');
});

// --------------------------------------------------------------------------------------------- mounts

test('mounts', () => {
  bad((s) => (s.mounts = {}), 'mounts', 'must be an array');
  bad((s) => (s.mounts[0] = 'proc'), 'mounts[0]', 'must be an object');
  bad((s) => (s.mounts[2].destination = 'dev/pts'), 'mounts[2].destination', 'destination "dev/pts" is not absolute');
  bad((s) => delete s.mounts[0].destination, 'mounts[0].destination', 'missing (required)');
  bad((s) => (s.mounts[0].destination = '/a/../proc'), 'mounts[0].destination', 'contains ".."');
  bad((s) => delete s.mounts[0].type, 'mounts[0].type', 'missing (required unless the mount is a bind mount)');
  bad((s) => s.mounts.push({ destination: '/data', type: 'bind', options: ['rbind'] }), 'mounts[7].source', 'missing (required for a bind mount)');
  bad((s) => s.mounts.push({ destination: '/data', source: '', options: ['bind'] }), 'mounts[7].source', 'is empty');
  bad((s) => (s.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), 'mounts[0].uidMappings', 'id-mapped mounts are not supported yet');
  bad((s) => (s.mounts[0].gidMappings = []), 'mounts[0].gidMappings', 'not supported yet');
  bad((s) => (s.mounts[1].options = 'ro'), 'mounts[1].options', 'must be an array');
  bad((s) => (s.mounts[1].options = ['ro', 7]), 'mounts[1].options[1]', 'must be a string');
  bad((s) => (s.mounts[0].flags = []), 'mounts[0].flags', 'unknown field');
});

test('normalization: a relative bind source is relative to the bundle', () => {
  const v = ok((s) =>
    s.mounts.push(
      { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] },
      { destination: '/abs', source: '/srv/abs', options: ['bind'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
    ),
  );
  assert.is(v.mounts[7].source, path.join(bundle, 'data'));
  assert.is(v.mounts[8].source, '/srv/abs');
  assert.is(v.mounts[9].source, 'tmpfs');
  assert.is(v.mounts[0].source, 'proc');
  ok((s) => (s.mounts = []));
});

// --------------------------------------------------------------------------------------------- hooks, annotations

test('hooks', () => {
  bad((s) => (s.hooks = { prestart: [{ path: 'hook.sh' }] }), 'hooks.prestart[0].path', 'path "hook.sh" is not absolute');
  bad((s) => (s.hooks = { onStart: [] }), 'hooks.onStart', 'unknown field');
  bad((s) => (s.hooks = { poststart: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true', timeout: 0 }] }), 'hooks.poststop[0].timeout', '0 is out of range');
  bad((s) => (s.hooks = { createRuntime: [{ path: '/bin/true', env: ['X'] }] }), 'hooks.createRuntime[0].env[0]', 'not KEY=VALUE');
  bad((s) => (s.hooks = { startContainer: [{ path: '/bin/true', args: ['true', 1] }] }), 'hooks.startContainer[0].args[1]', 'must be a string');
  bad((s) => (s.hooks = { createContainer: [{}] }), 'hooks.createContainer[0].path', 'missing (required)');
  bad((s) => (s.hooks = { createContainer: [{ path: '/x', when: 1 }] }), 'hooks.createContainer[0].when', 'unknown field');
  bad((s) => (s.hooks = { prestart: {} }), 'hooks.prestart', 'must be an array');
  const hook = { path: '/usr/bin/hook', args: ['hook', '--x'], env: ['A=b'], timeout: 5 };
  const v = ok((s) => (s.hooks = { prestart: [hook], createRuntime: [hook], createContainer: [], startContainer: [hook], poststart: [hook], poststop: [hook] }));
  assert.equal(v.hooks.poststop[0], hook);
});

test('annotations', () => {
  bad((s) => (s.annotations = { 'org.example.n': 1 }), 'annotations["org.example.n"]', 'must be a string, got 1');
  bad((s) => (s.annotations = 'x'), 'annotations', 'must be an object');
  bad((s) => (s.annotations = { '': 'x' }), 'annotations', 'has an empty key');
  assert.equal(ok((s) => (s.annotations = { 'org.example.a': 'b', x: '' })).annotations, { 'org.example.a': 'b', x: '' });
});

// --------------------------------------------------------------------------------------------- linux

test('linux: unknown and unsupported fields', () => {
  bad((s) => (s.linux = 1), 'linux', 'must be an object');
  bad((s) => (s.linux.foo = 1), 'linux.foo', 'unknown field');
  bad((s) => (s.linux.Namespaces = []), 'linux.Namespaces', 'unknown field', 'did you mean linux.namespaces?');
  assert.is(bad((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }), 'linux.seccomp').message, 'config.json: linux.seccomp: is not supported yet');
  bad((s) => (s.linux.personality = { domain: 'LINUX' }), 'linux.personality', 'is not supported yet');
  bad((s) => (s.linux.intelRdt = {}), 'linux.intelRdt', 'is not supported yet');
  bad((s) => (s.linux.mountLabel = 'system_u:object_r:x'), 'linux.mountLabel', 'not supported yet');
  bad((s) => (s.linux.timeOffsets = {}), 'linux.timeOffsets', 'not supported yet');
  ok((s) => (s.linux.mountLabel = ''));
});

test('linux.namespaces', () => {
  const e = bad((s) => (s.linux.namespaces[2].type = 'foo'), 'linux.namespaces[2].type');
  assert.is(e.message, 'config.json: linux.namespaces[2].type: unknown namespace type "foo" (expected one of pid, network, mount, ipc, uts, user, cgroup)');
  bad((s) => (s.linux.namespaces[1].type = 'net'), 'linux.namespaces[1].type', 'unknown namespace type "net"', 'did you mean "network"?');
  bad((s) => s.linux.namespaces.push({ type: 'time' }), 'linux.namespaces[5].type', 'the time namespace is not supported yet');
  const dup = bad((s) => s.linux.namespaces.push({ type: 'pid' }), 'linux.namespaces[5].type');
  assert.is(dup.message, 'config.json: linux.namespaces[5].type: duplicate namespace type "pid" (also linux.namespaces[0])');
  bad((s) => (s.linux.namespaces[1].path = 'var/run/netns/x'), 'linux.namespaces[1].path', 'is not absolute');
  bad((s) => delete s.linux.namespaces[0].type, 'linux.namespaces[0].type', 'missing (required)');
  bad((s) => (s.linux.namespaces[0].flags = 1), 'linux.namespaces[0].flags', 'unknown field');
  bad((s) => (s.linux.namespaces = {}), 'linux.namespaces', 'must be an array');
  bad((s) => (s.linux.namespaces = [{ type: 'pid' }]), 'linux.namespaces', 'needs a mount namespace', '{"type": "mount"}');
  bad((s) => delete s.linux, 'linux.namespaces', 'needs a mount namespace');
  bad((s) => (ns(s, 'mount').path = '/proc/1/ns/mnt'), 'linux.namespaces[4].path', 'joining an existing mount namespace is not supported yet');
  // joining by path; "" means a new one and is dropped from the copy
  const v = ok((s) => ((ns(s, 'network').path = '/var/run/netns/x'), (ns(s, 'ipc').path = ''), s.linux.namespaces.push({ type: 'cgroup' })));
  assert.is(v.linux.namespaces[1].path, '/var/run/netns/x');
  assert.equal(v.linux.namespaces[2], { type: 'ipc' });
  assert.is(v.linux.namespaces.length, 6);
  ok((s) => (s.linux.namespaces = [{ type: 'mount' }], delete s.hostname));
});

test('linux.uidMappings / gidMappings and the user namespace', () => {
  const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const e = bad((s) => (s.linux.uidMappings = map), 'linux.uidMappings');
  assert.is(e.message, 'config.json: linux.uidMappings: needs a user namespace in linux.namespaces');
  bad((s) => (s.linux.gidMappings = map), 'linux.gidMappings', 'needs a user namespace');
  bad((s) => s.linux.namespaces.push({ type: 'user' }), 'linux.uidMappings', 'missing: a new user namespace (linux.namespaces[5]) needs both');
  bad((s) => (s.linux.namespaces.push({ type: 'user' }), (s.linux.uidMappings = map)), 'linux.gidMappings', 'missing');
  bad((s) => (s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }), (s.linux.uidMappings = map)), 'linux.uidMappings', 'cannot be applied to the existing user namespace');
  const user = (s, uid, gid) => (s.linux.namespaces.push({ type: 'user' }), (s.linux.uidMappings = uid), (s.linux.gidMappings = gid || map));
  bad((s) => user(s, [{ containerID: 0, hostID: 1000, size: 0 }]), 'linux.uidMappings[0].size', 'out of range');
  bad((s) => user(s, [{ containerID: 0, hostID: 1000 }]), 'linux.uidMappings[0].size', 'missing (required)');
  bad((s) => user(s, [{ containerID: -1, hostID: 1000, size: 1 }]), 'linux.uidMappings[0].containerID', 'out of range');
  bad((s) => user(s, [{ containerID: 0, hostID: 1000, size: 1, x: 1 }]), 'linux.uidMappings[0].x', 'unknown field');
  bad((s) => user(s, [{ containerID: 4294967290, hostID: 1000, size: 10 }]), 'linux.uidMappings[0].size', 'goes past 4294967294');
  bad((s) => user(s, map, [{ containerID: 0, hostID: 1, size: 10 }, { containerID: 5, hostID: 100, size: 10 }]), 'linux.gidMappings[1].containerID', 'overlaps linux.gidMappings[0]');
  bad((s) => user(s, [{ containerID: 0, hostID: 1, size: 10 }, { containerID: 10, hostID: 5, size: 10 }]), 'linux.uidMappings[1].hostID', 'host range 5..14 overlaps linux.uidMappings[0]');
  bad((s) => user(s, [{ containerID: 1, hostID: 1000, size: 1 }]), 'process.user.uid', '0 is not mapped by linux.uidMappings');
  bad((s) => user(s, map, [{ containerID: 1, hostID: 1000, size: 1 }]), 'process.user.gid', '0 is not mapped');
  bad((s) => (user(s, map), (s.process.user.additionalGids = [70000])), 'process.user.additionalGids[0]', '70000 is not mapped');
  const v = ok((s) => user(s, [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65535 }]));
  assert.is(v.linux.uidMappings.length, 2);
  ok((s) => { s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }); dropNs(s, 'pid'); });
  // empty lists mean "none" and are dropped
  const w = ok((s) => ((s.linux.uidMappings = []), (s.linux.gidMappings = [])));
  assert.is(w.linux.uidMappings, undefined);
  assert.is(w.linux.gidMappings, undefined);
});

test('linux.devices', () => {
  const fuse = { type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 };
  bad((s) => (s.linux.devices = [{ ...fuse, type: 'x' }]), 'linux.devices[0].type', 'unknown device type "x" (expected one of c, b, u, p)');
  bad((s) => (s.linux.devices = [{ ...fuse, path: 'dev/fuse' }]), 'linux.devices[0].path', 'is not absolute');
  bad((s) => (s.linux.devices = [{ ...fuse, path: '/dev/../etc/x' }]), 'linux.devices[0].path', 'contains ".."');
  bad((s) => (s.linux.devices = [{ type: 'c', path: '/dev/fuse', minor: 229 }]), 'linux.devices[0].major', 'missing (required for a type "c" device)');
  bad((s) => (s.linux.devices = [fuse, { ...fuse }]), 'linux.devices[1].path', 'duplicate device "/dev/fuse" (also linux.devices[0])');
  bad((s) => (s.linux.devices = [{ ...fuse, fileMode: 0o10000 }]), 'linux.devices[0].fileMode', 'out of range');
  bad((s) => (s.linux.devices = [{ ...fuse, major: -1 }]), 'linux.devices[0].major', 'out of range');
  bad((s) => (s.linux.devices = [{ ...fuse, owner: 1 }]), 'linux.devices[0].owner', 'unknown field');
  const v = ok((s) => (s.linux.devices = [fuse, { type: 'p', path: '/dev/myfifo' }, { type: 'b', path: '/dev/loop9', major: 7, minor: 9 }]));
  assert.is(v.linux.devices.length, 3);
});

test('linux.cgroupsPath, rootfsPropagation, maskedPaths, readonlyPaths', () => {
  bad((s) => (s.linux.cgroupsPath = '../escape'), 'linux.cgroupsPath', 'contains ".."');
  bad((s) => (s.linux.cgroupsPath = 5), 'linux.cgroupsPath', 'must be a string');
  ok((s) => (s.linux.cgroupsPath = '/minicon/c1'));
  ok((s) => (s.linux.cgroupsPath = 'minicon/c1'));
  bad((s) => (s.linux.rootfsPropagation = 'bogus'), 'linux.rootfsPropagation', 'unknown propagation "bogus" (expected one of private, rprivate');
  for (const p of ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable']) {
    assert.is(ok((s) => (s.linux.rootfsPropagation = p)).linux.rootfsPropagation, p);
  }
  bad((s) => (s.linux.maskedPaths = ['/proc/kcore', 'proc/keys']), 'linux.maskedPaths[1]', 'path "proc/keys" is not absolute');
  bad((s) => (s.linux.readonlyPaths = '/proc/sys'), 'linux.readonlyPaths', 'must be an array');
  bad((s) => (s.linux.readonlyPaths = [1]), 'linux.readonlyPaths[0]', 'must be a string');
});

test('linux.resources: unsupported controllers, device rules', () => {
  for (const k of ['blockIO', 'hugepageLimits', 'network', 'rdma', 'unified']) {
    const e = bad((s) => (s.linux.resources[k] = k === 'hugepageLimits' ? [] : {}), `linux.resources.${k}`);
    assert.is(e.message, `config.json: linux.resources.${k}: is not supported yet`);
  }
  bad((s) => (s.linux.resources.memroy = {}), 'linux.resources.memroy', 'unknown field', 'did you mean linux.resources.memory?');
  bad((s) => (s.linux.resources.devices[0].access = 'rwx'), 'linux.resources.devices[0].access', '"rwx" is not a combination of r, w, m');
  bad((s) => (s.linux.resources.devices[0].access = 'rr'), 'linux.resources.devices[0].access', 'not a combination');
  bad((s) => (s.linux.resources.devices[0].access = ''), 'linux.resources.devices[0].access', 'not a combination');
  bad((s) => delete s.linux.resources.devices[0].allow, 'linux.resources.devices[0].allow', 'missing (required)');
  bad((s) => s.linux.resources.devices.push({ allow: true, type: 'x' }), 'linux.resources.devices[1].type', 'unknown device type "x" (expected a, b or c)');
  bad((s) => s.linux.resources.devices.push({ allow: true, type: 'c', major: -1 }), 'linux.resources.devices[1].major', 'out of range');
  bad((s) => s.linux.resources.devices.push({ allow: 'yes' }), 'linux.resources.devices[1].allow', 'must be true or false');
  const v = ok((s) => s.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: null, access: 'rw' }, { allow: true, type: 'b', major: 7, minor: 3, access: 'm' }));
  assert.is(v.linux.resources.devices[1].minor, null);
});

test('linux.resources.memory', () => {
  const mem = (m) => (s) => (s.linux.resources.memory = m);
  const M = 'linux.resources.memory';
  bad(mem({ limit: 0 }), `${M}.limit`, '0 is not a valid value', 'omit');
  bad(mem({ limit: 100 }), `${M}.limit`, '100 is below the minimum of 4096 bytes (one page)');
  bad(mem({ limit: -2 }), `${M}.limit`, 'out of range');
  bad(mem({ limit: 1.5 }), `${M}.limit`, 'must be an integer');
  bad(mem({ limit: '1g' }), `${M}.limit`, 'must be an integer, got the string "1g"');
  bad(mem({ limit: 2 ** 63 }), `${M}.limit`, 'too large');
  bad(mem({ limit: 64 << 20, swap: 32 << 20 }), `${M}.swap`, `${32 << 20} is below ${M}.limit ${64 << 20}`);
  bad(mem({ swap: 32 << 20 }), `${M}.swap`, `needs ${M}.limit`);
  bad(mem({ limit: -1, swap: 32 << 20 }), `${M}.swap`, 'while linux.resources.memory.limit is -1');
  bad(mem({ limit: 64 << 20, swap: 0 }), `${M}.swap`, '0 is not a valid value');
  bad(mem({ limit: 32 << 20, reservation: 64 << 20 }), `${M}.reservation`, 'is above linux.resources.memory.limit');
  bad(mem({ reservation: 0 }), `${M}.reservation`, '0 is not a valid value');
  bad(mem({ swappiness: 101 }), `${M}.swappiness`, '101 is out of range (0..100)');
  bad(mem({ disableOOMKiller: 'no' }), `${M}.disableOOMKiller`, 'must be true or false');
  bad(mem({ kernel: 1 << 20 }), `${M}.kernel`, 'kernel memory limits are deprecated');
  bad(mem({ kernelTCP: 1 << 20 }), `${M}.kernelTCP`, 'not supported');
  bad(mem({ useHierarchy: true }), `${M}.useHierarchy`, 'not supported yet');
  bad(mem({ limitt: 1 }), `${M}.limitt`, 'unknown field', 'did you mean linux.resources.memory.limit?');
  const full = { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 60, disableOOMKiller: false };
  assert.equal(ok(mem(full)).linux.resources.memory, full);
  ok(mem({ limit: 4096 }));
  ok(mem({ limit: 64 << 20, swap: 64 << 20 }));
  ok(mem({ limit: 64 << 20, swap: -1 }));
  ok(mem({ limit: -1, swap: -1, reservation: -1 }));
  ok(mem({ swap: -1 }));
  ok(mem({ reservation: 1 << 20 }));
  ok(mem({}));
});

test('linux.resources.cpu', () => {
  const cpu = (c) => (s) => (s.linux.resources.cpu = c);
  const C = 'linux.resources.cpu';
  bad(cpu({ shares: 1 }), `${C}.shares`, '1 is out of range (2..262144)');
  bad(cpu({ shares: 262145 }), `${C}.shares`, 'out of range');
  bad(cpu({ shares: 0 }), `${C}.shares`, 'out of range');
  bad(cpu({ period: 999 }), `${C}.period`, 'out of range (1000..1000000)');
  bad(cpu({ period: 1000001 }), `${C}.period`, 'out of range');
  bad(cpu({ quota: 999 }), `${C}.quota`, "999 is below the kernel's minimum of 1000");
  bad(cpu({ quota: -2 }), `${C}.quota`, 'out of range');
  bad(cpu({ quota: 0 }), `${C}.quota`, 'below');
  bad(cpu({ realtimeRuntime: 5 }), `${C}.realtimeRuntime`, 'is not supported yet');
  bad(cpu({ realtimePeriod: 1000000 }), `${C}.realtimePeriod`, 'is not supported yet');
  bad(cpu({ idle: 1 }), `${C}.idle`, 'is not supported yet');
  bad(cpu({ burst: 1 }), `${C}.burst`, 'is not supported yet');
  bad(cpu({ cpus: '0-' }), `${C}.cpus`, '"0-" is not a list such as "0-2,4"');
  bad(cpu({ cpus: 'a' }), `${C}.cpus`, 'not a list');
  bad(cpu({ cpus: '' }), `${C}.cpus`, 'not a list', 'omit cpus');
  bad(cpu({ cpus: '0, 1' }), `${C}.cpus`, 'not a list');
  bad(cpu({ cpus: '3-1' }), `${C}.cpus`, 'range 3-1 in "3-1" runs backwards');
  bad(cpu({ mems: '0,,1' }), `${C}.mems`, 'not a list');
  bad(cpu({ cpus: 0 }), `${C}.cpus`, 'must be a string');
  bad(cpu({ weight: 100 }), `${C}.weight`, 'unknown field');
  const full = { shares: 512, quota: 50000, period: 100000, cpus: '0-1,3', mems: '0', realtimeRuntime: 0, realtimePeriod: 0 };
  assert.equal(ok(cpu(full)).linux.resources.cpu, full);
  ok(cpu({ shares: 2, quota: -1, period: 1000 }));
  ok(cpu({ shares: 262144, quota: 1000, period: 1000000, cpus: '0', mems: '0-0' }));
  ok(cpu({ quota: 20000 }));
});

test('linux.resources.pids', () => {
  const P = 'linux.resources.pids';
  bad((s) => (s.linux.resources.pids = { limit: -2 }), `${P}.limit`, 'out of range');
  bad((s) => (s.linux.resources.pids = { limit: 1.5 }), `${P}.limit`, 'must be an integer');
  bad((s) => (s.linux.resources.pids = {}), `${P}.limit`, 'missing (required)');
  bad((s) => (s.linux.resources.pids = 10), P, 'must be an object');
  assert.is(ok((s) => (s.linux.resources.pids = { limit: 100 })).linux.resources.pids.limit, 100);
  assert.is(ok((s) => (s.linux.resources.pids = { limit: -1 })).linux.resources.pids.limit, -1);
  // 0 means unlimited, as in runc; the copy says -1
  assert.is(ok((s) => (s.linux.resources.pids = { limit: 0 })).linux.resources.pids.limit, -1);
});

test('linux.sysctl: names and the namespaces they need (as runc)', () => {
  const sys = (o) => (s) => (s.linux.sysctl = o);
  const S = 'linux.sysctl';
  bad((s) => (dropNs(s, 'network'), (s.linux.sysctl = { 'net.ipv4.ip_forward': '1' })), `${S}["net.ipv4.ip_forward"]`, 'needs a network namespace in linux.namespaces');
  bad((s) => (dropNs(s, 'ipc'), (s.linux.sysctl = { 'kernel.shmmax': '1' })), `${S}["kernel.shmmax"]`, 'needs an ipc namespace');
  bad((s) => (dropNs(s, 'ipc'), (s.linux.sysctl = { 'fs.mqueue.msg_max': '20' })), `${S}["fs.mqueue.msg_max"]`, 'needs an ipc namespace');
  bad((s) => (dropNs(s, 'uts'), delete s.hostname, (s.linux.sysctl = { 'kernel.domainname': 'x' })), `${S}["kernel.domainname"]`, 'needs a uts namespace');
  bad(sys({ 'kernel.hostname': 'x' }), `${S}["kernel.hostname"]`, 'use the top-level "hostname" field'.slice(4), '"hostname": "x"');
  bad(sys({ 'vm.swappiness': '10' }), `${S}["vm.swappiness"]`, 'is not in a separate kernel namespace');
  bad(sys({ 'kernel.pid_max': '10' }), `${S}["kernel.pid_max"]`, 'not in a separate kernel namespace');
  bad(sys({ 'bad name!': '1' }), `${S}["bad name!"]`, 'is not a valid sysctl name');
  bad(sys({ net: '1' }), `${S}.net`, 'is not a valid sysctl name');
  bad(sys({ 'net..ipv4': '1' }), `${S}["net..ipv4"]`, 'is not a valid sysctl name');
  bad(sys({ 'net.ipv4.ip_forward': 1 }), `${S}["net.ipv4.ip_forward"]`, 'must be a string, got 1');
  bad(sys([]), S, 'must be an object');
  // joining the host's own network namespace gives no isolation
  bad((s) => ((ns(s, 'network').path = '/proc/self/ns/net'), (s.linux.sysctl = { 'net.ipv4.ip_forward': '1' })), `${S}["net.ipv4.ip_forward"]`, "is the host's network namespace");
  const all = {
    'net.ipv4.ip_forward': '1',
    'net/ipv4/conf/eth0.100/forwarding': '1',
    'kernel.shmmax': '1000000',
    'kernel.msgmax': '8192',
    'kernel.sem': '250 32000 32 128',
    'fs.mqueue.msg_max': '20',
    'kernel.domainname': 'example.org',
  };
  assert.equal(ok(sys(all)).linux.sysctl, all);
});

test('undefined values (JS callers) are absent fields', () => {
  const v = ok((s) => ((s.process.oomScoreAdj = undefined), (s.linux.seccomp = undefined), (s.bogus = undefined)));
  assert.not.ok('oomScoreAdj' in v.process);
  assert.not.ok('seccomp' in v.linux);
  assert.not.ok('bogus' in v);
});


test('linux.namespaces: joins that cannot be ordered around a user namespace yet are refused by name', () => {
  const maps = (s) => {
    s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  };
  // a new user namespace with a network namespace joined by path
  bad((s) => { s.linux.namespaces.push({ type: 'user' }); maps(s); ns(s, 'network').path = '/proc/1/ns/net'; },
    `linux.namespaces[${base().linux.namespaces.findIndex((n) => n.type === 'network')}].path`, /together with a new user namespace/);
  // a joined user namespace with a new pid namespace
  bad((s) => { s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }); },
    `linux.namespaces[${base().linux.namespaces.findIndex((n) => n.type === 'pid')}]`, /beside a joined user namespace/);
  // each alone is fine
  ok((s) => { s.linux.namespaces.push({ type: 'user' }); maps(s); });
  ok((s) => { ns(s, 'network').path = '/proc/1/ns/net'; });
});

test.run();
