'use strict';
// The container lifecycle through the runc-style CLI, with the kernel as the witness:
// create -> created (pid 1 exists and has not exec'd) -> start -> running (it has) -> pause (frozen
// in its freezer cgroup) -> resume -> kill TERM -> stopped -> delete -> gone; and the guards
// (start twice, delete while running, kill/pause of the wrong status), delete --force, kill --all,
// ps and list. Needs root.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const { makeBundle } = require('../helpers/bundle');
const kit = require('../helpers/runtime-kit')('lifecycle-cli');

const { ROOT, cli, ok, state, quickState, newId, sleep, waitFor, alive, cgroupDirsOf } = kit;

let bundle;
let shBundle;

// ---- helpers of this file (the shared ones are in test/helpers/runtime-kit.js) --------------------

const exe = (pid) => { try { return fs.readlinkSync(`/proc/${pid}/exe`); } catch (e) { return `<${e.code}>`; } };
const cmdline = (pid) => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return []; } };
const recordOf = (id) => JSON.parse(fs.readFileSync(path.join(ROOT, id, 'state.json'), 'utf8'));
const exitOf = (id) => { try { return JSON.parse(fs.readFileSync(path.join(ROOT, id, 'exit.json'), 'utf8')); } catch { return undefined; } };

/** where the kernel says pid is frozen: the v1 freezer of its cgroup, or cgroup v2's cgroup.events */
function frozenState(pid) {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => l.split(':')[1] === 'freezer');
  if (v1) return fs.readFileSync(`/sys/fs/cgroup/freezer${v1.split(':')[2]}/freezer.state`, 'utf8').trim();
  const v2 = lines.find((l) => l.startsWith('0::'));
  return /frozen 1/.test(fs.readFileSync(`/sys/fs/cgroup${v2.slice(3)}/cgroup.events`, 'utf8')) ? 'FROZEN' : 'THAWED';
}

test.before(() => {
  kit.begin();
  bundle = makeBundle({ name: `lifecycle-cli-${process.pid}`, probe: ['pause'] });
  shBundle = makeBundle({ name: `lifecycle-cli-sh-${process.pid}`, args: ['sh', '-c', 'sleep 100 & sleep 100 & wait; exit 5'] });
});

test.after(() => kit.cleanup([bundle, shBundle]));

// ---- the main path --------------------------------------------------------------------------------

const main = { id: undefined, pid: undefined };

test('create: status "created", pid 1 exists in its cgroups and is still minicon-init (no exec yet)', () => {
  main.id = newId('life');
  ok(['create', '--bundle', bundle.dir, main.id]);
  const st = state(main.id);
  assert.is(st.status, 'created');
  assert.is(st.id, main.id);
  assert.is(st.bundle, bundle.dir);
  assert.ok(Number.isInteger(st.pid) && st.pid > 0, `pid ${st.pid}`);
  main.pid = st.pid;
  assert.ok(fs.existsSync(`/proc/${st.pid}`));
  assert.ok(exe(st.pid).endsWith('/minicon-init'), `exe is ${exe(st.pid)}`);
  assert.ok((cmdline(st.pid)[0] ?? '').endsWith('minicon-init'), `cmdline ${cmdline(st.pid).join(' ')}`);
  assert.ok(fs.readFileSync(`/proc/${st.pid}/cgroup`, 'utf8').includes(main.id), 'pid 1 is in the container cgroups');
  assert.ok(cgroupDirsOf(main.id).length > 0);
  assert.not.equal(fs.readlinkSync(`/proc/${st.pid}/ns/pid`), fs.readlinkSync('/proc/self/ns/pid'));
});

test('start: status "running", the same pid now runs the probe', () => {
  ok(['start', main.id]);
  const st = state(main.id);
  assert.is(st.status, 'running');
  assert.is(st.pid, main.pid);
  assert.ok(waitFor(() => exe(main.pid).endsWith('/probe')), `exe is ${exe(main.pid)}`);
  assert.equal(cmdline(main.pid), ['/probe', 'pause']);
});

test('start on a running container fails clearly and changes nothing', () => {
  const r = cli(['start', main.id]);
  assert.is(r.code, 1);
  assert.match(r.err, new RegExp(`cannot start container "${main.id}": it is running`));
  assert.is(state(main.id).status, 'running');
  assert.ok(alive(main.pid));
});

test('pause: status "paused", the kernel has frozen the cgroup', () => {
  ok(['pause', main.id]);
  assert.is(state(main.id).status, 'paused');
  assert.is(frozenState(main.pid), 'FROZEN');
  const again = cli(['pause', main.id]);
  assert.is(again.code, 1);
  assert.match(again.err, /cannot pause .*paused/);
});

test('resume: "running" again, thawed', () => {
  ok(['resume', main.id]);
  assert.is(state(main.id).status, 'running');
  assert.is(frozenState(main.pid), 'THAWED');
  const again = cli(['resume', main.id]);
  assert.is(again.code, 1);
  assert.match(again.err, /cannot resume .*running/);
});

test('ps: the container\'s pids (table and json)', () => {
  const t = ok(['ps', main.id]).out;
  assert.match(t, /^PID\s+CMD/);
  assert.match(t, new RegExp(`^${main.pid}\\s+/probe pause$`, 'm'));
  assert.equal(JSON.parse(ok(['ps', '--format', 'json', main.id]).out), [main.pid]);
});

test('list: table, --format json, -q', () => {
  const t = ok(['list']).out.split('\n').filter(Boolean);
  assert.match(t[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  const row = t.find((l) => l.startsWith(`${main.id} `));
  assert.ok(row, t.join('\n'));
  assert.match(row, new RegExp(`^${main.id}\\s+${main.pid}\\s+running\\s+${bundle.dir}\\s+\\S+\\s+root$`));
  const j = JSON.parse(ok(['list', '--format', 'json']).out);
  const mine = j.find((c) => c.id === main.id);
  assert.is(mine.status, 'running');
  assert.is(mine.pid, main.pid);
  assert.is(mine.bundle, bundle.dir);
  assert.ok(ok(['list', '-q']).out.split('\n').includes(main.id));
  assert.ok(ok(['list', '--quiet']).out.split('\n').includes(main.id));
});

test('delete without --force on a running container fails and changes nothing', () => {
  const recBefore = fs.readFileSync(path.join(ROOT, main.id, 'state.json'), 'utf8');
  const cgBefore = cgroupDirsOf(main.id);
  const r = cli(['delete', main.id]);
  assert.is(r.code, 1);
  assert.match(r.err, new RegExp(`cannot delete container "${main.id}": it is running`));
  assert.match(r.err, /--force/);
  assert.is(state(main.id).status, 'running');
  assert.ok(alive(main.pid));
  assert.is(fs.readFileSync(path.join(ROOT, main.id, 'state.json'), 'utf8'), recBefore);
  assert.equal(cgroupDirsOf(main.id), cgBefore);
});

test('kill TERM: the probe (pid 1) exits 143; status "stopped", pid 0', () => {
  ok(['kill', main.id, 'TERM']);
  waitFor(() => quickState(main.id).status === 'stopped');
  const st = state(main.id);
  assert.is(st.status, 'stopped');
  assert.is(st.pid, 0);
  assert.not.ok(alive(main.pid));
  assert.is(waitFor(() => exitOf(main.id))?.exitCode, 143);
});

test('kill on a stopped container fails; start too', () => {
  const k = cli(['kill', main.id, 'KILL']);
  assert.is(k.code, 1);
  assert.match(k.err, /cannot kill .*stopped/);
  const s = cli(['start', main.id]);
  assert.is(s.code, 1);
  assert.match(s.err, /cannot start .*stopped/);
});

test('delete: state says "does not exist"; no state dir, no cgroup', () => {
  ok(['delete', main.id]);
  const st = state(main.id);
  assert.is(st.code, 1);
  assert.match(st.error, new RegExp(`container "${main.id}" does not exist`));
  assert.not.ok(fs.existsSync(path.join(ROOT, main.id)));
  assert.equal(cgroupDirsOf(main.id), []);
  assert.not.ok(ok(['list', '-q']).out.split('\n').includes(main.id));
});

// ---- other paths ----------------------------------------------------------------------------------

test('delete --force of a running container: process, cgroups and state all gone', () => {
  const id = newId('force');
  ok(['run', '--detach', '--bundle', bundle.dir, id]);
  const { pid } = state(id);
  assert.is(state(id).status, 'running');
  ok(['delete', '--force', id]);
  assert.ok(waitFor(() => !alive(pid)), 'pid 1 is gone');
  assert.match(state(id).error, /does not exist/);
  assert.not.ok(fs.existsSync(path.join(ROOT, id)));
  assert.equal(cgroupDirsOf(id), []);
});

test('delete --force of a paused container (it must be thawed to die)', () => {
  const id = newId('forcepaused');
  ok(['run', '--detach', '--bundle', bundle.dir, id]);
  const { pid } = state(id);
  ok(['pause', id]);
  assert.is(state(id).status, 'paused');
  ok(['delete', '--force', id]);
  assert.ok(waitFor(() => !alive(pid)));
  assert.not.ok(fs.existsSync(path.join(ROOT, id)));
  assert.equal(cgroupDirsOf(id), []);
});

test('a created container: pause refused; kill 9 stops it; delete (no --force) removes it', () => {
  const id = newId('created');
  ok(['create', '--bundle', bundle.dir, id]);
  const { pid } = state(id);
  const p = cli(['pause', id]);
  assert.is(p.code, 1);
  assert.match(p.err, /cannot pause .*created/);
  ok(['kill', id, '9']);
  assert.ok(waitFor(() => quickState(id).status === 'stopped'));
  assert.not.ok(alive(pid));
  ok(['delete', id]);
  assert.not.ok(fs.existsSync(path.join(ROOT, id)));
  assert.equal(cgroupDirsOf(id), []);
});

test('delete of a created (never started) container needs no --force and kills its pid 1', () => {
  const id = newId('created2');
  ok(['create', '--bundle', bundle.dir, id]);
  const { pid } = state(id);
  ok(['delete', id]);
  assert.ok(waitFor(() => !alive(pid)));
  assert.not.ok(fs.existsSync(path.join(ROOT, id)));
  assert.equal(cgroupDirsOf(id), []);
});

test('kill --all reaches every process in the cgroup (pid 1 ignores TERM; its children do not)', () => {
  const id = newId('killall');
  ok(['run', '--detach', '--bundle', shBundle.dir, id]);
  waitFor(() => { try { return require('../../dist/runtime/container/query').processes(ROOT, id).length === 3; } catch { return false; } });
  const pids = (() => { const r = cli(['ps', '--format', 'json', id]); const j = r.code === 0 ? JSON.parse(r.out) : []; return j.length === 3 ? j : undefined; })();
  assert.ok(pids, `ps shows sh and two sleeps: ${cli(['ps', id]).out}`);
  ok(['kill', id, 'TERM']);
  sleep(300);
  assert.is(state(id).status, 'running', 'TERM to pid 1 alone (sh, default disposition) is ignored');
  ok(['kill', '--all', id, 'TERM']);
  assert.ok(waitFor(() => quickState(id).status === 'stopped'), `status ${state(id).status}`);
  assert.is(exitOf(id)?.exitCode, 5, 'the sleeps died, sh\'s wait returned, sh exited 5');
  for (const p of pids) assert.not.ok(alive(p), `pid ${p}`);
  ok(['delete', id]);
});

test('kill USR1 by name: the probe reports 128+10', () => {
  const id = newId('usr1');
  ok(['run', '--detach', '--bundle', bundle.dir, id]);
  ok(['kill', id, 'SIGUSR1']);
  assert.ok(waitFor(() => quickState(id).status === 'stopped'));
  assert.is(exitOf(id)?.exitCode, 138);
  ok(['delete', id]);
});

test('no leaks: no mount, cgroup, state file or minicon-init process of ours is left', () => {
  kit.deleteLeft();
  assert.equal(kit.ourLeaks([bundle, shBundle]), []);
});

test.run();
