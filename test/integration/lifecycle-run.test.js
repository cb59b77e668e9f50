'use strict';
// `run` through the CLI: the exit status is the container's (exit N, 128+N for signal N, 127 when
// the command is not found), --detach, --pid-file, --trace (one line per step, then "ready"), and
// --step (pause before each step; Enter runs it; a closed stdin runs through). Needs root.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { makeBundle } = require('../helpers/bundle');
const kit = require('../helpers/runtime-kit')('lifecycle-run');

const { ROOT, IO, BIN, cli, ok, state, newId, waitFor, alive, cgroupDirsOf } = kit;

let bundle;

// ---- helpers of this file (the shared ones are in test/helpers/runtime-kit.js) ----------------------

/** the bundle's config for this test: process args, and other edits */
function configure(args, edit) {
  bundle.write((c) => {
    c.process.args = args;
    c.linux.namespaces = [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
    if (edit) edit(c);
  });
}
/** after `run` (foreground), nothing of the container is left */
function assertGone(id) {
  assert.not.ok(fs.existsSync(path.join(ROOT, id)), `state dir of ${id} removed`);
  assert.equal(cgroupDirsOf(id), [], `cgroups of ${id} removed`);
}

/** ./bin/minicon run --step, answering each prompt with a line on stdin (or closing stdin at once) */
function runStepped(id, { closeStdin = false } = {}) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, '--root', ROOT, 'run', '--step', '--bundle', bundle.dir, id], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '', out = '', answered = 0;
    const timer = setTimeout(() => c.kill('SIGKILL'), 20000);
    if (closeStdin) c.stdin.end();
    c.stdin.on('error', () => { /* closed by the CLI after the last step */ });
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => {
      err += d;
      if (closeStdin) return;
      const prompts = (err.match(/press Enter to run it/g) || []).length;
      while (answered < prompts) { answered += 1; c.stdin.write('\n'); }
    });
    c.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, err, out, answered }); });
  });
}

test.before(() => {
  kit.begin();
  bundle = makeBundle({ name: `lifecycle-run-${process.pid}`, probe: ['exit', '0'] });
});

test.after(() => kit.cleanup([bundle]));

// ---- exit statuses ----------------------------------------------------------------------------------

test('run: the container\'s exit status (exit 7 -> 7), and nothing is left after it', () => {
  configure(['/probe', 'exit', '7']);
  const id = newId('exit7');
  const r = cli(['run', '--bundle', bundle.dir, id]);
  assert.is(r.code, 7, r.err);
  assertGone(id);
});

test('run: killed by a signal -> 128+N (probe signal-self 9 -> 137)', () => {
  // a pid namespace's init ignores even a SIGKILL it sends itself (the kernel protects it), so the
  // probe runs in the host pid namespace here
  configure(['/probe', 'signal-self', '9'], (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid'); });
  const id = newId('sig9');
  const r = cli(['run', '--bundle', bundle.dir, id]);
  assert.is(r.code, 137, r.err + r.out);
  assertGone(id);
});

test('run: a signal from outside to pid 1 of a pid namespace -> 128+N', () => {
  configure(['/probe', 'pause']);
  const id = newId('extkill');
  const pidFile = path.join(IO, `${id}.pid`);
  fs.mkdirSync(IO, { recursive: true });
  const c = spawn(process.execPath, [BIN, '--root', ROOT, 'run', '--pid-file', pidFile, '--bundle', bundle.dir, id], { stdio: 'ignore' });
  const done = new Promise((res) => c.on('exit', (code) => res(code)));
  const pid = waitFor(() => { try { return Number(fs.readFileSync(pidFile, 'utf8')); } catch { return 0; } }, 5000);
  assert.ok(pid > 0, 'the pid file appears');
  assert.ok(waitFor(() => { try { return fs.readlinkSync(`/proc/${pid}/exe`).endsWith('/probe'); } catch { return false; } }), 'the probe runs');
  process.kill(pid, 'SIGKILL');
  return done.then((code) => {
    assert.is(code, 137);
    assertGone(id);
  });
});

test('run: a command that does not exist -> 127, and the error names execve and ENOENT', () => {
  configure(['no-such-command-xyz']);
  const id = newId('enoent');
  const r = cli(['run', '--bundle', bundle.dir, id]);
  assert.match(r.err, /execve/);
  assert.match(r.err, /ENOENT/);
  assert.match(r.err, /no-such-command-xyz/);
  assert.is(r.code, 127, `exit status of run when the command is not found (stderr: ${r.err.trim()})`);
  assertGone(id);
});

// ---- --detach, --pid-file ---------------------------------------------------------------------------

test('run --detach: returns at once with the container running; --pid-file holds its pid; delete --force cleans', () => {
  configure(['/probe', 'pause']);
  const id = newId('detach');
  const pidFile = path.join(IO, `${id}.pid`);
  const t0 = Date.now();
  ok(['run', '--detach', '--pid-file', pidFile, '--bundle', bundle.dir, id]);
  assert.ok(Date.now() - t0 < 10000);
  const st = state(id);
  assert.is(st.status, 'running');
  assert.is(fs.readFileSync(pidFile, 'utf8').trim(), String(st.pid));
  assert.ok(alive(st.pid));
  ok(['delete', '--force', id]);
  assert.ok(waitFor(() => !alive(st.pid)));
  assertGone(id);
});

test('create --pid-file: the file holds the pid that state reports', () => {
  configure(['/probe', 'pause']);
  const id = newId('pidfile');
  const pidFile = path.join(IO, `${id}.pid`);
  ok(['create', '--pid-file', pidFile, '--bundle', bundle.dir, id]);
  const st = state(id);
  assert.is(st.status, 'created');
  assert.is(fs.readFileSync(pidFile, 'utf8').trim(), String(st.pid));
  ok(['delete', '--force', id]);
  assertGone(id);
});

// ---- --trace, --step --------------------------------------------------------------------------------

test('run --trace: one numbered line per setup step with its time, then "ready ... after clone"', () => {
  configure(['/probe', 'exit', '0']);
  const id = newId('trace');
  const r = cli(['run', '--trace', '--bundle', bundle.dir, id]);
  assert.is(r.code, 0, r.err);
  const lines = r.err.split('\n').filter((l) => l.startsWith('trace: '));
  const steps = lines.filter((l) => /^trace: step /.test(l));
  assert.ok(steps.length > 20, `${steps.length} step lines`);
  steps.forEach((l, i) => assert.match(l, new RegExp(`^trace: step\\s+${i + 1}\\s+\\d+\\.\\d{3} ms  \\S`), l));
  for (const what of ['rslave', 'bind the rootfs', 'mount proc on /proc', 'pivot_root', 'sethostname', 'chdir /']) {
    assert.ok(steps.some((l) => l.includes(what)), `a step line for ${what}`);
  }
  const ready = lines.findIndex((l) => /^trace: ready \d+\.\d{3} ms after clone/.test(l));
  assert.ok(ready >= 0, lines.slice(-3).join('\n'));
  assert.is(ready, steps.length, 'ready comes after the last step line');
  // then the time from clone to execve, which the container reports as it execs
  assert.match(lines[ready + 1] ?? '', /^trace: execve \d+\.\d{3} ms after clone$/);
  assert.is(lines.length, ready + 2);
  assertGone(id);
});

test('run --step: each step waits for a line on stdin; then the program runs (exit 3)', async () => {
  configure(['/probe', 'exit', '3']);
  const id = newId('step');
  const r = await runStepped(id);
  // prompts end without a newline ("... press Enter to run it "), so the next one follows on that line
  const prompts = r.err.match(/step (\d+): /g) || [];
  assert.ok(prompts.length > 20, `${prompts.length} prompts`);
  prompts.forEach((p, i) => assert.is(p, `step ${i + 1}: `));
  assert.match(r.err, /container pid \d+: look at \/proc\/\d+\/ns/);
  assert.is(r.answered, prompts.length);
  assert.is(r.code, 3, `run --step should exit with the program's status 3 (got ${r.code}; stderr tail: ${r.err.slice(-200).trim()})`);
  assertGone(id);
});

test('run --step with stdin closed: runs through without waiting (exit 3)', async () => {
  configure(['/probe', 'exit', '3']);
  const id = newId('stepclosed');
  const t0 = Date.now();
  const r = await runStepped(id, { closeStdin: true });
  assert.ok(Date.now() - t0 < 15000);
  assert.ok((r.err.match(/step \d+: /g) || []).length > 20);
  assert.is(r.code, 3, `got ${r.code}; stderr tail: ${r.err.slice(-200).trim()}`);
  assertGone(id);
});

test('create --step: the first prompt already names pid 1 (PID is handled before the first PAUSED)', async () => {
  // without PLAN_WAIT_GO the child starts its steps right after clone3 while the monitor is still
  // returning to its cgroups; in step mode its PAUSED can reach the runtime before the monitor's PID
  configure(['/probe', 'pause']);
  const tries = [1, 2, 3, 4, 5].map(() => newId('steppid'));
  const results = await Promise.all(tries.map((id) => new Promise((resolve) => {
    fs.mkdirSync(IO, { recursive: true });
    const errFile = path.join(IO, `${id}.err`);
    const e = fs.openSync(errFile, 'w');
    const c = spawn(process.execPath, [BIN, '--root', ROOT, 'create', '--step', '--bundle', bundle.dir, id], { stdio: ['ignore', 'ignore', e] });
    fs.closeSync(e);
    const timer = setTimeout(() => c.kill('SIGKILL'), 20000);
    c.on('exit', (code) => { clearTimeout(timer); resolve({ id, code, err: fs.readFileSync(errFile, 'utf8') }); });
  })));
  for (const r of results) cli(['delete', '--force', r.id]);
  for (const r of results) {
    assert.is(r.code, 0, r.err);
    const first = /step 1: .*\n {2}\(container pid (\S+?):/.exec(r.err);
    assert.ok(first, r.err.slice(0, 300));
    assert.match(first[1], /^\d+$/, `${r.id}: the step 1 prompt shows "container pid ${first[1]}"`);
    assert.not.match(r.err, /pid undefined/);
  }
});

test('no leaks: no mount, cgroup, state file or minicon-init process of ours is left', () => {
  kit.deleteLeft();
  assert.equal(kit.ourLeaks([bundle]), []);
});

test.run();
