'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { defaultSpec, DEFAULT_OCI_VERSION } = require('../../dist/runtime/spec/default');
const { validateSpec } = require('../../dist/runtime/spec/validate');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'minicon-default-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function hasRunc() {
  return spawnSync('runc', ['--version']).status === 0;
}

test('defaultSpec has runc\'s shape', () => {
  const s = defaultSpec();
  assert.is(s.ociVersion, '1.0.2-dev');
  assert.is(DEFAULT_OCI_VERSION, '1.0.2-dev');
  assert.is(s.process.terminal, true);
  assert.equal(s.process.args, ['sh']);
  assert.equal(s.process.user, { uid: 0, gid: 0 });
  assert.is(s.process.cwd, '/');
  assert.equal(s.process.capabilities.bounding, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
  assert.is(s.process.capabilities.inheritable, undefined);
  assert.equal(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
  assert.equal(s.root, { path: 'rootfs', readonly: true });
  assert.is(s.hostname, 'runc');
  assert.equal(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
  assert.equal(s.linux.namespaces.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount']);
  assert.equal(s.linux.resources, { devices: [{ allow: false, access: 'rwm' }] });
  assert.is(s.linux.maskedPaths.length, 10);
  assert.is(s.linux.readonlyPaths.length, 5);
});

test('defaultSpec returns a fresh copy each time', () => {
  const a = defaultSpec();
  a.process.args.push('x');
  a.process.capabilities.bounding.pop();
  a.mounts[1].options.push('y');
  const b = defaultSpec();
  assert.equal(b.process.args, ['sh']);
  assert.is(b.process.capabilities.bounding.length, 3);
  assert.is(b.mounts[1].options.length, 4);
  assert.is.not(a.process.capabilities.effective, b.process.capabilities.effective);
});

test('defaultSpec is byte for byte what `runc spec` writes', () => {
  if (!hasRunc()) {
    console.log('  (runc not installed: comparison skipped)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(tmp, 'runc-'));
  const r = spawnSync('runc', ['spec'], { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const text = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
  assert.equal(defaultSpec(), JSON.parse(text));
  assert.is(JSON.stringify(defaultSpec(), null, '\t'), text);
});

test('the default spec validates against a bundle with a rootfs (with the terminal allowed)', () => {
  const bundle = fs.mkdtempSync(path.join(tmp, 'bundle-'));
  fs.mkdirSync(path.join(bundle, 'rootfs'));
  const warnings = [];
  const s = validateSpec(defaultSpec(), bundle, { allowTerminal: true, warn: (w) => warnings.push(w) });
  assert.is(s.root.path, path.join(bundle, 'rootfs'));
  // runc's default asks for ambient capabilities without inheritable ones: valid, but said out loud
  assert.is(warnings.length, 1);
  assert.match(warnings[0], 'process.capabilities.ambient: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE are not in both permitted and inheritable');
  // and without the terminal flag, terminal: true is the one thing in it MiniCon refuses
  assert.throws(() => validateSpec(defaultSpec(), bundle), /process\.terminal: true needs --console-socket/);
  const t = defaultSpec();
  t.process.terminal = false;
  assert.is(validateSpec(t, bundle).process.terminal, false);
});

test.run();
