'use strict';
// The static probe, run on the host: its output parses and agrees with what the host's /proc says.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { parseProbe, isStaticElf } = require('../helpers/bundle');

const PROBE = process.env.MINICON_PROBE || path.resolve(__dirname, '..', '..', 'build', 'Release', 'minicon-probe');

function probe(...args) {
  if (!fs.existsSync(PROBE)) {
    throw new Error(`minicon-probe is not built (${PROBE} is missing): run \`npm run build\``);
  }
  return spawnSync(PROBE, args, { encoding: 'utf8', env: { PROBE_TEST: 'yes', PATH: '/usr/bin:/bin' } });
}

function statusField(pid, key) {
  const m = new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m && m[1];
}

test('the probe is a static executable', () => {
  const r = probe('exit', '0');
  assert.is(r.status, 0, r.stderr);
  // A dynamic binary names its loader (PT_INTERP); a static one has none.
  assert.ok(isStaticElf(PROBE), 'probe is dynamically linked: it would not run in a busybox rootfs');
});

test('info prints key=value facts that match the host', () => {
  const r = probe('info');
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  for (const l of lines) assert.match(l, /^[a-z_]+=/, `not key=value: ${l}`);
  const p = parseProbe(r.stdout);
  assert.is(Number(p.pid), r.pid);
  assert.is(Number(p.ppid), process.pid);
  assert.is(Number(p.uid), process.getuid());
  assert.is(Number(p.gid), process.getgid());
  assert.is(Number(p.euid), process.geteuid());
  assert.is(p.hostname, os.hostname());
  assert.is(p.cwd, process.cwd());
  assert.match(p.umask, /^0[0-7]{3}$/);
  // 2, plus NODE_V8_COVERAGE that Node adds to every child while c8 measures coverage
  assert.is(Number(p.env_count), process.env.NODE_V8_COVERAGE ? 3 : 2);
  assert.is(p.proc, 'mounted');
  // Capabilities: our own (the probe inherits them; no file caps, same uid).
  for (const [k, f] of [['capbnd', 'CapBnd'], ['capinh', 'CapInh']]) {
    assert.is(p[k], statusField(process.pid, f), k);
  }
  assert.match(p.capeff, /^[0-9a-f]{16}$/);
  assert.is(p.nonewprivs, statusField(process.pid, 'NoNewPrivs'));
  assert.is(p.seccomp, statusField(process.pid, 'Seccomp'));
  // Namespaces: the same inodes as ours.
  for (const ns of ['mnt', 'pid', 'net', 'uts', 'ipc', 'user']) {
    const ino = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/ns/${ns}`))[1];
    assert.is(p[`ns_${ns}`], ino, `ns_${ns}`);
  }
  assert.is(Number(p.root_ino), fs.statSync('/').ino);
  // rlimits: soft:hard, numbers or inf, all 16 of them.
  const rl = Object.keys(p).filter(k => k.startsWith('rlimit_'));
  assert.is(rl.length, 16);
  for (const k of rl) assert.match(p[k], /^(\d+|inf):(\d+|inf)$/, k);
  assert.ok(p.rlimit_nofile, 'rlimit_nofile');
  const lim = fs.readFileSync('/proc/self/limits', 'utf8');
  const nofile = /^Max open files\s+(\S+)\s+(\S+)/m.exec(lim);
  const norm = v => (v === 'unlimited' ? 'inf' : v);
  assert.is(p.rlimit_nofile, `${norm(nofile[1])}:${norm(nofile[2])}`);
});

test('exit CODE exits with that code and prints nothing', () => {
  const r = probe('exit', '3');
  assert.is(r.status, 3);
  assert.is(r.stdout, '');
});

test('write creates the file, and reports the errno name on failure', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
  try {
    const f = path.join(dir, 'out.txt');
    let r = probe('write', f, 'hello probe');
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), 'ok');
    assert.is(fs.readFileSync(f, 'utf8'), 'hello probe');
    r = probe('write', path.join(dir, 'missing', 'x'), 'nope');
    assert.is(r.status, 1);
    assert.is(parseProbe(r.stdout).error, 'ENOENT');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cat prints a header per file and the errno name for a missing one', () => {
  const r = probe('cat', '/proc/self/comm', '/nonexistent-file');
  assert.is(r.status, 1);
  assert.match(r.stdout, /^== \/proc\/self\/comm\nminicon-probe\n== \/nonexistent-file\nerror=ENOENT\n$/);
});

test('env prints exactly the environment it was given', () => {
  const r = probe('env');
  assert.is(r.status, 0);
  const env = r.stdout.trim().split('\n').filter((l) => !l.startsWith('NODE_V8_COVERAGE=')).sort(); // c8 adds it
  assert.equal(env, ['PATH=/usr/bin:/bin', 'PROBE_TEST=yes']);
});

test('unknown modes are a usage error', () => {
  const r = probe('no-such-mode');
  assert.is(r.status, 2);
  assert.match(r.stderr, /usage/);
});

test.run();
