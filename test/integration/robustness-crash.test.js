'use strict';
// Crashes at known points: kill -9 of the CLI while `create --step` holds it at a step (right after
// PID, mid-setup, at the last step before READY), during a createRuntime hook (before GO), a state
// directory without state.json (the CLI died right after mkdir), and kill -9 of the monitor
// (minicon-init, the parent of pid 1) of a running and of a created container. Afterwards `state`
// must tell the truth (stopped <=> pid 1 is gone) and `delete --force` must leave nothing: no
// process, no cgroup, no state directory. Needs root.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { makeBundle } = require('../helpers/bundle');
const kit = require('../helpers/runtime-kit')('robustness-crash');

const { ROOT, IO, BIN, cli, ok, state, quickState, newId, bruteCleanup, waitFor, alive, cgroupDirsOf } = kit;

let bundle;
let hookBundle;
const strays = new Set(); // pids this file started outside minicon (hooks), killed in after()

// ---- helpers of this file (the shared ones are in test/helpers/runtime-kit.js) ----------------------

const ppid = (pid) => { try { return Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { return undefined; } };
const comm = (pid) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return undefined; } };
function procsOf(id) {
  for (const d of cgroupDirsOf(id)) {
    try { const p = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number); if (p.length) return p; } catch { /* next */ }
  }
  return [];
}
const readRecord = (id) => { try { return JSON.parse(fs.readFileSync(path.join(ROOT, id, 'state.json'), 'utf8')); } catch { return undefined; } };

/** `state` is truthful: "stopped" exactly when pid 1 is gone; the monitor is gone once stopped */
function assertTruthful(id, pid1, what) {
  waitFor(() => quickState(id).status === 'stopped' || !alive(pid1), 3000);
  const st = state(id);
  assert.ok(st.status, `${what}: state answers (${st.error ?? ''})`);
  if (st.status === 'stopped') assert.not.ok(alive(pid1), `${what}: "stopped" but pid ${pid1} is alive`);
  else assert.ok(alive(pid1), `${what}: "${st.status}" but pid ${pid1} is gone`);
  return st;
}

/** delete --force leaves nothing: no state dir, no cgroup, no process */
function assertForceDeleteCleans(id, pids, what) {
  const r = cli(['delete', '--force', id]);
  assert.is(r.code, 0, `${what}: delete --force: ${r.err}`);
  assert.not.ok(fs.existsSync(path.join(ROOT, id)), `${what}: state dir removed`);
  assert.equal(cgroupDirsOf(id), [], `${what}: cgroups removed`);
  for (const p of pids.filter(Boolean)) assert.ok(waitFor(() => !alive(p)), `${what}: pid ${p} (${comm(p)}) is gone`);
  assert.match(state(id).error ?? '', /does not exist/);
}

/**
 * `create --step` held at a step: answers prompts with Enter until the prompt whose text matches
 * `stopAt` (a step number or a RegExp on its description), then leaves it waiting there.
 */
function createHeldAt(id, stopAt) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, '--root', ROOT, 'create', '--step', '--bundle', bundle.dir, id], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '', answered = 0, done = false;
    const timer = setTimeout(() => { if (!done) { done = true; c.kill('SIGKILL'); reject(new Error(`never reached ${stopAt}: ${err.slice(-300)}`)); } }, 15000);
    c.stdin.on('error', () => {});
    c.stderr.on('data', (d) => {
      err += d;
      if (done) return;
      // (the pid shown may be "undefined" at step 1: PAUSED can overtake PID, see lifecycle-run)
      const prompts = [...err.matchAll(/step (\d+): (.*)\n {2}\(container pid (\w+)[^)]*\) press Enter to run it /g)];
      for (const m of prompts.slice(answered)) {
        const n = Number(m[1]);
        const hit = typeof stopAt === 'number' ? n === stopAt : stopAt.test(m[2]);
        if (hit) {
          done = true;
          clearTimeout(timer);
          // if PID has not been handled yet, pid 1 is the one process in the container's cgroups
          const pid = Number(m[3]) || waitFor(() => readRecord(id)?.pid, 500) || procsOf(id)[0];
          resolve({ cli: c, step: n, describe: m[2], pid });
          return;
        }
        answered += 1;
        c.stdin.write('\n');
      }
    });
    c.on('exit', (code) => { if (!done) { done = true; clearTimeout(timer); reject(new Error(`create exited ${code} before ${stopAt}: ${err.slice(-300)}`)); } });
  });
}

function killCli(c) {
  return new Promise((res) => { if (c.exitCode !== null || c.signalCode !== null) res(); else { c.once('exit', () => res()); c.kill('SIGKILL'); } });
}

test.before(() => {
  kit.begin();
  bundle = makeBundle({ name: `robustness-crash-${process.pid}`, probe: ['pause'] });
  hookBundle = makeBundle({ name: `robustness-crash-hook-${process.pid}`, probe: ['pause'] });
});

test.after(() => {
  for (const p of strays) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  kit.cleanup([bundle, hookBundle]);
});

// ---- kill -9 of the CLI during create ---------------------------------------------------------------

for (const [label, stopAt] of [
  ['right after PID (held before step 1)', 1],
  ['mid-setup (held before pivot_root, mounts made)', /^pivot_root/],
  ['at the last step before READY (held before "wait for start")', /^wait for start/],
]) {
  test(`kill -9 of the CLI during create, ${label}: state is truthful, delete --force cleans`, async () => {
    const id = newId('clikill');
    const held = await createHeldAt(id, stopAt);
    assert.ok(readRecord(id), 'state.json exists while create is held');
    assert.ok(held.pid > 0 && alive(held.pid), `pid 1 (${held.pid}) is alive while held`);
    await killCli(held.cli);
    const rec = readRecord(id);
    const st = assertTruthful(id, held.pid, label);
    // the container side finds the sync socket closed before READY and exits
    assert.is(st.status, 'stopped', `status after the CLI died at step ${held.step} (${held.describe})`);
    assert.is(st.pid, 0);
    const list = JSON.parse(ok(['list', '--format', 'json']).out).find((c) => c.id === id);
    assert.is(list && list.status, 'stopped', 'list agrees');
    const start = cli(['start', id]);
    assert.is(start.code, 1, 'start refuses');
    assert.match(start.err, /stopped/);
    assertForceDeleteCleans(id, [held.pid, rec?.monitorPid], label);
  });
}

test('kill -9 of the CLI while a createRuntime hook runs (after PID, before GO): truthful, cleaned', async () => {
  const id = newId('hookkill');
  const marker = path.join(IO, `${id}.hook`);
  fs.mkdirSync(IO, { recursive: true });
  hookBundle.write((c) => {
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo $$ > ${marker}.tmp && mv ${marker}.tmp ${marker} && exec sleep 30`] }] };
  });
  const c = spawn(process.execPath, [BIN, '--root', ROOT, 'create', '--bundle', hookBundle.dir, id], { stdio: ['ignore', 'ignore', 'ignore'] });
  const hookPid = await new Promise((res) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      let v = 0;
      try { v = Number(fs.readFileSync(marker, 'utf8')); } catch { /* not yet */ }
      if (v || Date.now() - t0 > 10000) { clearInterval(iv); res(v); }
    }, 20);
  });
  assert.ok(hookPid > 0, 'the hook runs');
  strays.add(hookPid);
  const rec = readRecord(id);
  assert.ok(rec && rec.pid > 0, 'PID was recorded before the hook');
  assert.ok(alive(rec.pid));
  await killCli(c);
  const st = assertTruthful(id, rec.pid, 'CLI killed in a createRuntime hook');
  assert.is(st.status, 'stopped', 'pid 1 was waiting for GO and exits when the sync socket closes');
  process.kill(hookPid, 'SIGKILL');
  assertForceDeleteCleans(id, [rec.pid, rec.monitorPid], 'hook');
});

test('a state directory without state.json (the CLI died right after mkdir; simulated): listed, stopped, deletable', () => {
  const id = newId('orphan');
  fs.mkdirSync(path.join(ROOT, id), { recursive: true });
  const st = state(id);
  assert.is(st.status, 'stopped', st.error);
  assert.is(st.pid, 0);
  assert.ok(ok(['list', '-q']).out.split('\n').includes(id));
  const plain = cli(['delete', id]);
  assert.is(plain.code, 0, plain.err);
  assert.not.ok(fs.existsSync(path.join(ROOT, id)));
});

test('state.json without a pid while pid 1 lives (as a CLI killed before PID, or READY overtaking PID, leaves it; simulated): delete --force still cleans', () => {
  const id = newId('nopid');
  ok(['create', '--bundle', bundle.dir, id]);
  const rec = readRecord(id);
  const { pid, monitorPid } = rec;
  delete rec.pid; delete rec.pidStartTime; delete rec.monitorPid;
  fs.writeFileSync(path.join(ROOT, id, 'state.json'), JSON.stringify(rec));
  assert.ok(alive(pid));
  const st = state(id).status;
  try {
    // whatever it says, --force must not trust it: the cgroup still holds pid 1
    const r = cli(['delete', '--force', id]);
    assert.is(r.code, 0, `delete --force (state said "${st}"): ${r.err.trim()}`);
    assert.ok(waitFor(() => !alive(pid)), 'pid 1 killed');
    assert.ok(waitFor(() => !alive(monitorPid)), 'monitor gone');
    assert.not.ok(fs.existsSync(path.join(ROOT, id)));
    assert.equal(cgroupDirsOf(id), []);
  } finally {
    bruteCleanup([id]); // reported above; do not let it slow or fail the tests after this one
    fs.rmSync(path.join(ROOT, id), { recursive: true, force: true });
  }
});

// ---- kill -9 of the monitor ---------------------------------------------------------------------------

function monitorOf(id) {
  const { pid } = state(id);
  const mon = ppid(pid);
  assert.is(comm(mon), 'minicon-init', `the parent of pid 1 (${mon}) is minicon-init`);
  assert.is(readRecord(id).monitorPid, mon);
  return { pid, mon };
}

test('kill -9 of the monitor of a running container: it lives on ("running"); kill + delete clean up', () => {
  const id = newId('monkill');
  ok(['run', '--detach', '--bundle', bundle.dir, id]);
  const { pid, mon } = monitorOf(id);
  process.kill(mon, 'SIGKILL');
  assert.ok(waitFor(() => !alive(mon)), 'the monitor is gone');
  assert.ok(waitFor(() => ppid(pid) !== mon), 'pid 1 was reparented');
  assert.ok(alive(pid), 'the container lives on');
  assert.is(state(id).status, 'running');
  assert.equal(JSON.parse(ok(['ps', '--format', 'json', id]).out), [pid]);
  ok(['kill', id, 'KILL']);
  assert.ok(waitFor(() => quickState(id).status === 'stopped'), `status ${state(id).status}`);
  assert.not.ok(alive(pid));
  ok(['delete', id]);
  assert.not.ok(fs.existsSync(path.join(ROOT, id)));
  assert.equal(cgroupDirsOf(id), []);
});

test('kill -9 of the monitor of a running container, then delete --force: everything gone', () => {
  const id = newId('monforce');
  ok(['run', '--detach', '--bundle', bundle.dir, id]);
  const { pid, mon } = monitorOf(id);
  process.kill(mon, 'SIGKILL');
  assert.ok(waitFor(() => !alive(mon)));
  assert.is(state(id).status, 'running');
  assertForceDeleteCleans(id, [pid, mon], 'monitor killed');
});

test('kill -9 of the monitor of a created container: pid 1 never runs the program, state says stopped, start refuses', () => {
  const id = newId('moncreated');
  ok(['create', '--bundle', bundle.dir, id]);
  const { pid, mon } = monitorOf(id);
  process.kill(mon, 'SIGKILL');
  const st = assertTruthful(id, pid, 'created, monitor killed');
  assert.is(st.status, 'stopped', 'pid 1 exits when the start pipe closes');
  const s = cli(['start', id]);
  assert.is(s.code, 1);
  assert.match(s.err, /cannot start .*stopped/);
  ok(['delete', id]);
  assert.not.ok(fs.existsSync(path.join(ROOT, id)));
  assert.equal(cgroupDirsOf(id), []);
});

test('no leaks: no mount, cgroup, state file or minicon-init process of ours is left', () => {
  for (const p of strays) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  kit.deleteLeft();
  assert.equal(kit.ourLeaks([bundle, hookBundle]), []);
});

test.run();
