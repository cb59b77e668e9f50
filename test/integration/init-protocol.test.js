'use strict';
// minicon-init (build/Release/minicon-init) on its own, driven over the sync socket on its fd 3
// (spawn's fourth stdio 'pipe' is a unix stream socket there). Malformed input must make it exit
// non-zero at once, with an ERROR frame (type 8) when it can send one, before it clones anything:
// no PID frame, no child process, no ctl.sock in the state directory named by the PLAN.
// A few well-formed plans (no namespaces, host commands such as /bin/true) check the harness and
// the happy paths of the protocol: PID, GO, STEP, PAUSED/CONTINUE, READY, ERROR, ctl.sock.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const P = require('../../dist/runtime/sync/protocol');
const leaks = require('../helpers/leaks');

const REPO = path.resolve(__dirname, '..', '..');
const INIT = path.join(REPO, 'build', 'Release', 'minicon-init');
const SCRATCH = path.join('/tmp/minicon-test', `init-protocol-${process.pid}`);
const EPROTO = 71;
const ECONNRESET = 104;
const ENOENT = 2;
const TYPE_NAME = { 1: 'PLAN', 2: 'PID', 3: 'GO', 4: 'STEP', 5: 'PAUSED', 6: 'CONTINUE', 7: 'READY', 8: 'ERROR', 9: 'EXEC' };

let before;
let caseNo = 0;
const children = new Set();

test.before(() => {
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  fs.mkdirSync(SCRATCH, { recursive: true });
  before = leaks.snapshot();
});

test.after(() => {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  for (const pid of processesUnder(SCRATCH)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  fs.rmSync(SCRATCH, { recursive: true, force: true });
});

/** a fresh state directory (and a separate cwd for minicon-init) for one case */
function scratch() {
  caseNo += 1;
  const dir = path.join(SCRATCH, `case-${caseNo}`);
  fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'cwd'), { recursive: true });
  return { dir, state: path.join(dir, 'state'), cwd: path.join(dir, 'cwd') };
}

/** processes whose cwd is inside dir (minicon-init's clone child inherits the state dir as cwd) */
function processesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try { if (fs.readlinkSync(`/proc/${e}/cwd`).startsWith(dir)) out.push(Number(e)); } catch { /* gone or not ours */ }
  }
  return out;
}

/** a tolerant frame splitter for what minicon-init sends (it may send EXEC-like types the runtime never sees) */
function splitFrames(buf) {
  const frames = [];
  let off = 0;
  while (buf.length - off >= 6) {
    const len = buf.readUInt32LE(off);
    if (buf.length - off < 4 + len) break;
    frames.push({ type: buf.readUInt16LE(off + 4), payload: buf.subarray(off + 6, off + 4 + len) });
    off += 4 + len;
  }
  return { frames, rest: buf.subarray(off) };
}

function parseError(payload) {
  let o = 0;
  const index = payload.readUInt32LE(o); o += 4;
  const errno = payload.readInt32LE(o); o += 4;
  const ls = payload.readUInt32LE(o); o += 4;
  const syscall = payload.toString('utf8', o, o + ls); o += ls;
  const lp = payload.readUInt32LE(o); o += 4;
  return { index, errno, syscall, path: payload.toString('utf8', o, o + lp) };
}

/**
 * Starts minicon-init with the socket on fd 3. Returns a driver: send(bytes), end(), next(type)
 * waits for a frame of that type, done resolves with { code, signal, ms, frames, stderr }.
 */
function startInit(cwd) {
  const t0 = Date.now();
  const child = spawn(INIT, [], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], cwd });
  children.add(child);
  const sock = child.stdio[3];
  let buf = Buffer.alloc(0);
  const frames = [];
  const waiters = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  sock.on('error', () => { /* EPIPE after minicon-init exits: the exit tells */ });
  sock.on('data', (d) => {
    const r = splitFrames(Buffer.concat([buf, d]));
    buf = r.rest;
    for (const f of r.frames) {
      frames.push(f);
      for (const w of [...waiters]) if (w.type === f.type) { waiters.splice(waiters.indexOf(w), 1); w.resolve(f); }
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const done = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      children.delete(child);
      for (const w of waiters) w.reject(new Error(`minicon-init exited (${code ?? signal}) before sending ${TYPE_NAME[w.type]}; got ${frames.map((f) => TYPE_NAME[f.type] ?? f.type).join(', ') || 'nothing'}`));
      // let the last frames drain from the socket
      setTimeout(() => resolve({ code, signal, ms: Date.now() - t0, frames, stderr }), 30);
    });
  });
  return {
    child,
    pid: child.pid,
    done,
    send: (b) => sock.write(b),
    end: () => sock.end(),
    destroy: () => sock.destroy(),
    next(type, ms = 3000) {
      const have = frames.find((f) => f.type === type && !f.taken);
      if (have) { have.taken = true; return Promise.resolve(have); }
      return new Promise((resolve, reject) => {
        const w = { type, resolve: (f) => { clearTimeout(t); f.taken = true; resolve(f); }, reject: (e) => { clearTimeout(t); reject(e); } };
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`no ${TYPE_NAME[type]} within ${ms} ms; got ${frames.map((f) => TYPE_NAME[f.type] ?? f.type).join(', ') || 'nothing'}`)); }, ms);
        waiters.push(w);
      });
    },
  };
}

/** feeds bytes (then EOF unless keepOpen) and checks the rejection */
async function expectRejected(bytes, { keepOpen = false, errno = EPROTO, syscalls = ['read', 'decode'], s = scratch() } = {}) {
  const init = startInit(s.cwd);
  if (bytes.length) init.send(bytes);
  if (!keepOpen) init.end();
  const r = await init.done;
  init.destroy();
  const what = `frames ${r.frames.map((f) => TYPE_NAME[f.type] ?? f.type).join(',') || 'none'}, exit ${r.code ?? r.signal}`;
  assert.ok(r.code !== null && r.code !== 0, `exits non-zero (${what})`);
  assert.ok(r.ms < 2000, `exits promptly (${r.ms} ms)`);
  assert.not.ok(r.frames.some((f) => f.type === P.SyncType.PID), `nothing was cloned: no PID frame (${what})`);
  const errors = r.frames.filter((f) => f.type === P.SyncType.ERROR);
  assert.is(errors.length, 1, `one ERROR frame (${what})`);
  const e = parseError(errors[0].payload);
  assert.is(e.errno, errno, `errno ${e.errno} (${e.syscall} ${e.path})`);
  assert.ok(syscalls.includes(e.syscall), `syscall ${e.syscall}`);
  assert.not.ok(fs.existsSync(path.join(s.state, 'ctl.sock')), 'no ctl.sock left in the state directory');
  assert.equal(fs.readdirSync(s.state), [], 'the state directory is untouched');
  assert.equal(processesUnder(s.dir), [], 'no process left behind');
  return e;
}

// ---- building frames ---------------------------------------------------------------------------

const hdr = (len, type) => { const b = Buffer.alloc(6); b.writeUInt32LE(len >>> 0, 0); b.writeUInt16LE(type, 4); return b; };
const step = (op, ints = [], strs = []) => ({ op, ints, strs, describe: 'test' });
const planOf = (s, steps, extra = {}) => ({ cloneFlags: 0n, flags: 0, stateDir: s.state, pidnsPath: '', home: [], steps, ...extra });
/** a valid PLAN frame for the state dir, then edited as raw bytes; the frame length is fixed up */
function editedPlan(plan, edit) {
  const body = Buffer.from(encodePlanSafe(plan).subarray(6));
  const out = edit(body);
  return Buffer.concat([hdr(out.length + 2, P.SyncType.PLAN), out]);
}
function encodePlanSafe(plan) { return P.encodePlan(plan); }
const EXEC_TRUE = step(P.StepOp.EXEC, [1], ['/bin/true']);

// ---- no fd 3, --version ------------------------------------------------------------------------

test('without fd 3: a usage message on stderr and exit 2', async () => {
  const r = await new Promise((resolve) => {
    const c = spawn(INIT, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => { err += d; });
    c.on('exit', (code) => resolve({ code, err }));
  });
  assert.is(r.code, 2);
  assert.match(r.err, /minicon-init/);
  assert.match(r.err, /fd 3/);
});

// ---- malformed input ---------------------------------------------------------------------------

test('garbage bytes: ERROR EPROTO, exit non-zero, nothing cloned', async () => {
  await expectRejected(Buffer.from('hello, this is not a frame at all\n'));
});

test('EOF at once: ERROR ECONNRESET, exit non-zero', async () => {
  await expectRejected(Buffer.alloc(0), { errno: ECONNRESET });
});

test('a frame with a huge length is refused at once, without waiting for its payload', async () => {
  await expectRejected(hdr(0xffffffff, P.SyncType.PLAN), { keepOpen: true });
  await expectRejected(hdr(P.MAX_FRAME + 1, P.SyncType.PLAN), { keepOpen: true });
});

test('a frame length below the 2 type bytes is refused', async () => {
  await expectRejected(Buffer.concat([hdr(1, 1), Buffer.alloc(8)]), { keepOpen: true });
  await expectRejected(Buffer.concat([hdr(0, 1), Buffer.alloc(8)]), { keepOpen: true });
});

test('a frame cut short by EOF: ECONNRESET', async () => {
  await expectRejected(Buffer.concat([hdr(102, P.SyncType.PLAN), Buffer.alloc(10)]), { errno: ECONNRESET });
  await expectRejected(Buffer.from([5, 0, 0]), { errno: ECONNRESET });
});

test('a first frame that is not PLAN (GO, CONTINUE, unknown type) is refused', async () => {
  await expectRejected(P.encodeGo('{}'));
  await expectRejected(P.frame(P.SyncType.CONTINUE));
  await expectRejected(Buffer.concat([hdr(6, 77), Buffer.alloc(4)]));
});

test('a PLAN with a truncated step is refused before chdir/clone', async () => {
  const s = scratch();
  const bytes = editedPlan(planOf(s, [step(P.StepOp.CHDIR, [], ['/tmp']), EXEC_TRUE]), (b) => b.subarray(0, b.length - 3));
  await expectRejected(bytes, { s });
  // a step header that claims more ints than were sent
  const s2 = scratch();
  const plan2 = editedPlan(planOf(s2, [step(P.StepOp.UMASK, [0o22])]), (b) => { b.writeUInt16LE(0xffff, b.length - 8 - 4); return b; });
  await expectRejected(plan2, { s: s2 });
});

test('a PLAN with stray bytes after its last step is refused', async () => {
  const s = scratch();
  await expectRejected(editedPlan(planOf(s, [EXEC_TRUE]), (b) => Buffer.concat([b, Buffer.from([0, 0, 0])])), { s });
});

test('a PLAN with an unknown op (0, OP_MAX, 99, 0xffff) is refused', async () => {
  const opMax = Object.keys(P.StepOp).filter((k) => isNaN(Number(k))).length + 1;
  for (const op of [0, opMax, 99, 0xffff]) {
    const s = scratch();
    await expectRejected(P.encodePlan(planOf(s, [step(op, [1], ['x']), EXEC_TRUE])), { s });
  }
});

test('a string containing NUL (the state dir, a step string) is refused', async () => {
  const s = scratch();
  const dirBytes = Buffer.from(s.state);
  const bytes = editedPlan(planOf(s, [EXEC_TRUE]), (b) => { const i = b.indexOf(dirBytes); b[i + dirBytes.length - 2] = 0; return b; });
  await expectRejected(bytes, { s });
  const s2 = scratch();
  const bytes2 = editedPlan(planOf(s2, [step(P.StepOp.EXEC, [1], ['/bin/trueX'])]), (b) => { const i = b.indexOf(Buffer.from('/bin/trueX')); b[i + 9] = 0; return b; });
  await expectRejected(bytes2, { s: s2 });
});

test('absurd counts (steps, home files, ints) with little data are refused promptly', async () => {
  const s = scratch();
  // the step count is the last u32 before the (absent) steps
  await expectRejected(editedPlan(planOf(s, []), (b) => { b.writeUInt32LE(0xffffffff, b.length - 4); return b; }), { s });
  const s2 = scratch();
  // the home count follows the two strings: 8 + 4 + (4 + len) + 4
  await expectRejected(editedPlan(planOf(s2, []), (b) => { b.writeUInt32LE(0xffffffff, 8 + 4 + 4 + Buffer.byteLength(s2.state) + 4); return b; }), { s: s2 });
});

test('a step with fewer operands than its op reads is refused by the decoder (not crashed on after clone)', async () => {
  // SETHOSTNAME reads strs[0], MOUNT strs[0..3] and ints[0..2], SETRLIMIT ints[0..2], EXEC ints[0] args:
  // with none sent, the child dereferences NULL or reads past the arrays (verified: SIGSEGV, exit 139)
  for (const bad of [step(P.StepOp.SETHOSTNAME), step(P.StepOp.MOUNT), step(P.StepOp.SETRLIMIT), step(P.StepOp.EXEC, [5], ['/bin/true'])]) {
    const s = scratch();
    // PLAN_WAIT_GO: should the plan be accepted, the child waits for a GO that never comes
    const init = startInit(s.cwd);
    init.send(P.encodePlan(planOf(s, [bad, EXEC_TRUE], { flags: P.PLAN_WAIT_GO })));
    const r = await Promise.race([init.done, new Promise((res) => setTimeout(() => res(null), 1000))]);
    init.destroy(); // a cloned child sees EOF instead of GO and exits
    const fin = r ?? await init.done;
    const got = fin.frames.map((f) => TYPE_NAME[f.type] ?? f.type).join(',');
    assert.not.ok(fin.frames.some((f) => f.type === P.SyncType.PID), `${P.StepOp[bad.op]} with ${bad.ints.length} ints/${bad.strs.length} strs: decoded and cloned (frames: ${got}); expected an ERROR frame (decode, EPROTO)`);
    assert.ok(fin.code !== 0);
    const e = parseError(fin.frames.find((f) => f.type === P.SyncType.ERROR).payload);
    assert.is(e.errno, EPROTO);
  }
});

test('a well-formed PLAN whose pid-ns path cannot be opened: ERROR open, from the monitor, no clone, no ctl.sock left', async () => {
  const s = scratch();
  const init = startInit(s.cwd);
  init.send(P.encodePlan(planOf(s, [EXEC_TRUE], { pidnsPath: path.join(s.dir, 'no-such-ns') })));
  const r = await init.done;
  init.destroy();
  assert.ok(r.code !== 0);
  assert.not.ok(r.frames.some((f) => f.type === P.SyncType.PID));
  const e = parseError(r.frames.find((f) => f.type === P.SyncType.ERROR).payload);
  assert.is(e.syscall, 'open');
  assert.is(e.errno, ENOENT);
  assert.is(e.index, P.MONITOR_STEP, 'the monitor\'s own failure, not a step\'s');
  assert.equal(processesUnder(s.dir), []);
  assert.not.ok(fs.existsSync(path.join(s.state, 'ctl.sock')), 'minicon-init left its ctl.sock behind after failing (it listened before setns/clone3)');
});

// ---- well-formed plans: the harness and the protocol's happy paths --------------------------------

function ask(stateDir, line) {
  return new Promise((resolve, reject) => {
    const c = net.connect(path.join(stateDir, 'ctl.sock'));
    let reply = '';
    c.on('connect', () => c.write(line));
    c.on('data', (d) => { reply += d; if (reply.includes('\n')) { c.destroy(); resolve(reply.trim()); } });
    c.on('error', reject);
    c.setTimeout(3000, () => { c.destroy(); reject(new Error(`no answer to ${JSON.stringify(line)}`)); });
  });
}

test('control: PID, STEP, READY; ctl.sock answers pid/unknown/start; the exit status is recorded', async () => {
  const s = scratch();
  const init = startInit(s.cwd);
  init.send(P.encodePlan(planOf(s, [step(P.StepOp.CHDIR, [], ['/']), step(P.StepOp.WAIT_START), step(P.StepOp.EXEC, [3], ['/bin/sh', '-c', 'exit 3'])])));
  const pidFrame = await init.next(P.SyncType.PID);
  const pid = pidFrame.payload.readUInt32LE(0);
  assert.ok(pid > 1);
  const st = await init.next(P.SyncType.STEP);
  assert.is(st.payload.readUInt32LE(0), 0);
  assert.is(st.payload.readInt32LE(4), 0);
  await init.next(P.SyncType.READY);
  assert.ok(fs.existsSync(path.join(s.state, 'ctl.sock')));
  assert.is(await ask(s.state, 'pid\n'), String(pid));
  assert.match(await ask(s.state, 'bogus\n'), /^error 22 EINVAL/);
  assert.match(await ask(s.state, 'start\n'), /^ok \d+$/); // ok <ns from clone to execve>
  const r = await init.done;
  assert.is(r.code, 3, 'the monitor exits with the container\'s status');
  assert.is(JSON.parse(fs.readFileSync(path.join(s.state, 'exit.json'), 'utf8')).exitCode, 3);
  assert.not.ok(fs.existsSync(path.join(s.state, 'ctl.sock')), 'ctl.sock removed at exit');
  assert.equal(processesUnder(s.dir), []);
});

test('control: a failing step sends ERROR with its index, errno, syscall and path', async () => {
  const s = scratch();
  const init = startInit(s.cwd);
  const missing = path.join(s.dir, 'missing-dir');
  init.send(P.encodePlan(planOf(s, [step(P.StepOp.UMASK, [0o22]), step(P.StepOp.CHDIR, [], [missing]), step(P.StepOp.WAIT_START), EXEC_TRUE])));
  const e = parseError((await init.next(P.SyncType.ERROR)).payload);
  assert.equal(e, { index: 1, errno: ENOENT, syscall: 'chdir', path: missing });
  const r = await init.done;
  assert.is(r.code, 1);
  assert.equal(processesUnder(s.dir), []);
});

test('control: with PLAN_WAIT_GO no step runs before GO', async () => {
  const s = scratch();
  const init = startInit(s.cwd);
  init.send(P.encodePlan(planOf(s, [step(P.StepOp.CHDIR, [], ['/']), step(P.StepOp.WAIT_START), EXEC_TRUE], { flags: P.PLAN_WAIT_GO })));
  await init.next(P.SyncType.PID);
  await new Promise((r) => setTimeout(r, 150));
  assert.not.ok(init.child.exitCode !== null);
  const early = (await Promise.race([init.next(P.SyncType.STEP, 100).then(() => true), new Promise((r) => setTimeout(() => r(false), 120))]).catch(() => false));
  assert.not.ok(early, 'a STEP before GO');
  init.send(P.encodeGo('{"ociVersion":"1.0.2"}'));
  await init.next(P.SyncType.STEP);
  await init.next(P.SyncType.READY);
  assert.match(await ask(s.state, 'start\n'), /^ok \d+$/);
  assert.is((await init.done).code, 0);
});

test('step mode: PAUSED before each step until CONTINUE, then start runs the program', async () => {
  const s = scratch();
  const init = startInit(s.cwd);
  init.send(P.encodePlan(planOf(s, [step(P.StepOp.CHDIR, [], ['/']), step(P.StepOp.WAIT_START), step(P.StepOp.EXEC, [3], ['/bin/sh', '-c', 'exit 3'])], { flags: P.PLAN_STEP_MODE })));
  await init.next(P.SyncType.PID);
  let p = await init.next(P.SyncType.PAUSED);
  assert.is(p.payload.readUInt32LE(0), 0);
  init.send(P.frame(P.SyncType.CONTINUE));
  await init.next(P.SyncType.STEP);
  p = await init.next(P.SyncType.PAUSED);
  assert.is(p.payload.readUInt32LE(0), 1);
  init.send(P.frame(P.SyncType.CONTINUE));
  await init.next(P.SyncType.READY);
  const reply = await ask(s.state, 'start\n');
  const r = await init.done;
  assert.match(reply, /^ok \d+$/, `start in step mode: the monitor answered "${reply}" (the child's exit: ${r.code})`);
  assert.is(r.code, 3, 'the program ran: exit 3');
});

test('PID is the first frame the runtime reads, even when the monitor is slow to return to its cgroups', async () => {
  // The runtime records pid 1 from PID; a STEP/PAUSED/READY before it leaves create without a pid
  // (state "stopped" while pid 1 lives, --pid-file "undefined"). Without PLAN_WAIT_GO the child
  // starts its steps right after clone3 while the monitor still writes itself to the home
  // cgroup.procs files; a FIFO as the home file (a fixture) holds the monitor there on purpose.
  const s = scratch();
  const fifo = path.join(s.dir, 'home.fifo');
  const mk = require('child_process').spawnSync('mkfifo', [fifo]);
  assert.is(mk.status, 0);
  const init = startInit(s.cwd);
  init.send(P.encodePlan(planOf(s, [step(P.StepOp.CHDIR, [], ['/']), step(P.StepOp.WAIT_START), EXEC_TRUE], { home: [fifo] })));
  await new Promise((r) => setTimeout(r, 300));
  const fd = fs.openSync(fifo, 'r'); // releases the monitor's open(); it writes its pid and goes on
  const written = fs.readFileSync(fd, 'utf8');
  fs.closeSync(fd);
  assert.is(written, String(init.pid), 'the monitor wrote its own pid to its home file');
  await init.next(P.SyncType.PID);
  await init.next(P.SyncType.READY);
  init.child.kill('SIGKILL'); // pid 1 then finds the start pipe closed and exits without running anything
  const r = await init.done;
  init.destroy();
  const order = r.frames.map((f) => TYPE_NAME[f.type] ?? f.type);
  assert.is(order[0], 'PID', `frames in arrival order: ${order.join(', ')}`);
});

test('no leaks: no process, mount or cgroup left by these cases', () => {
  const left = leaks.assertNoLeaks(before, { waitMs: 1500 }).filter((l) => {
    if (l.startsWith('process left:')) { const pid = Number(/pid (\d+)/.exec(l)[1]); try { return fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(SCRATCH); } catch { return false; } }
    return l.includes(SCRATCH);
  });
  assert.equal(left, []);
  assert.equal(processesUnder(SCRATCH), []);
});

test.run();
