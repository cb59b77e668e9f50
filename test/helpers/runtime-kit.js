'use strict';
// Shared plumbing for the CLI-driven lifecycle and robustness tests
// (test/integration/lifecycle-*.test.js, robustness-*.test.js).
//
//   const kit = require('../helpers/runtime-kit')('lifecycle-cli');  // state root /tmp/minicon-test/<name>-<pid>
//   const { ROOT, IO, cli, ok, state, newId, ... } = kit;
//   test.before(() => { kit.begin(); bundle = makeBundle(...); });  // clears ROOT, takes the leak snapshot
//   test.after(() => kit.cleanup([bundle]));                         // delete --force, bruteCleanup, rm, bundles
//   test('no leaks', () => { kit.deleteLeft(); assert.equal(kit.ourLeaks([bundle]), []); });
//
// Only what is provably this file's is touched or counted: its state root, its ids
// (mct-<prefix>-<pid>-<n>, see bundle.js uniqueId), its bundles; not other test runs'.
const fs = require('fs');
const path = require('path');
const assert = require('uvu/assert');
const { spawn, spawnSync } = require('child_process');
const { uniqueId, ROOT: TEST_ROOT } = require('./bundle');
const leaks = require('./leaks');
const { sleepMs: sleep, ownMonitors, childrenOf, rmdirRetry } = require('./config-kit');

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'minicon');

/** true while pid exists and is neither a zombie nor dead */
const alive = (pid) => { try { return !/^\S+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };

/** polls pred every step ms until it returns something truthy or ms have passed; returns its last value */
function waitFor(pred, ms = 3000, step = 50) {
  const end = Date.now() + ms;
  for (;;) { const v = pred(); if (v || Date.now() > end) return v; sleep(step); }
}

/** the cgroup directories (every hierarchy) whose path names id */
function cgroupDirsOf(id) { return leaks.cgroupDirs([id]).filter((d) => d.includes(id)); }

function runtimeKit(name) {
  const ROOT = path.join(TEST_ROOT, `${name}-${process.pid}`);
  const IO = `${ROOT}-io`;
  const TAG = `-${process.pid}-`;
  const ids = [];
  let before;
  let ioCount = 0;

  function ioFiles() {
    ioCount += 1;
    fs.mkdirSync(IO, { recursive: true });
    return [path.join(IO, `${ioCount}.out`), path.join(IO, `${ioCount}.err`)];
  }

  /** ./bin/minicon with stdout/stderr in files, not pipes: a created container inherits the CLI's
   *  stdio and keeps it open, so a pipe would never see EOF (spawnSync would wait for it).
   *  opts: {stdin, timeout}; returns {code, signal, out, err} */
  function cli(args, opts = {}) {
    const [outFile, errFile] = ioFiles();
    const o = fs.openSync(outFile, 'w'), e = fs.openSync(errFile, 'w');
    let r;
    try {
      r = spawnSync(process.execPath, [BIN, '--root', ROOT, ...args], { stdio: [opts.stdin ?? 'ignore', o, e], timeout: opts.timeout ?? 20000, killSignal: 'SIGKILL' });
    } finally { fs.closeSync(o); fs.closeSync(e); }
    if (r.error) throw r.error;
    const res = { code: r.status, signal: r.signal, out: fs.readFileSync(outFile, 'utf8'), err: fs.readFileSync(errFile, 'utf8') };
    fs.rmSync(outFile, { force: true }); fs.rmSync(errFile, { force: true });
    return res;
  }

  /** the same, asynchronously, so that independent cases run side by side; returns {code, out, err} */
  function cliAsync(args) {
    const [outFile, errFile] = ioFiles();
    const o = fs.openSync(outFile, 'w'), e = fs.openSync(errFile, 'w');
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [BIN, '--root', ROOT, ...args], { stdio: ['ignore', o, e] });
      fs.closeSync(o); fs.closeSync(e);
      const timer = setTimeout(() => c.kill('SIGKILL'), 30000);
      c.on('error', reject);
      c.on('exit', (code) => { clearTimeout(timer); resolve({ code, out: fs.readFileSync(outFile, 'utf8'), err: fs.readFileSync(errFile, 'utf8') }); });
    });
  }

  /** cli, asserting exit 0 */
  function ok(args) {
    const r = cli(args);
    assert.is(r.code, 0, `minicon ${args.join(' ')}: exit ${r.code}\n${r.err}`);
    return r;
  }

  /** `minicon state`: the OCI state, or {error, code} */
  function state(id) {
    const r = cli(['state', id]);
    return r.code === 0 ? JSON.parse(r.out) : { error: r.err, code: r.code };
  }

  /** the same answer as `minicon state`, computed in this process (dist/, the code the CLI runs): for
   *  polling, where a node process per poll would cost ~200 ms each; assertions still use the CLI */
  function quickState(id) {
    try { return require('../../dist/runtime/container/query').stateOf(ROOT, id); } catch (e) { return { error: e.message }; }
  }

  /** a unique container id, remembered for cleanup and the leak check */
  function newId(p) { const id = uniqueId(p); ids.push(id); return id; }

  /** test.before: an empty state root, and the leak snapshot */
  function begin() {
    fs.rmSync(ROOT, { recursive: true, force: true });
    before = leaks.snapshot();
  }

  /** delete --force of every container of this file that still has a state directory */
  function deleteLeft() {
    for (const id of ids) if (fs.existsSync(path.join(ROOT, id))) cli(['delete', '--force', id]);
  }

  /**
   * Leaks that are ours (waiting up to 3 s for them to go): anything under this file's state root,
   * its ids (mct-*-<pid>-*), the given bundles' directories; minicon-init processes whose cwd or
   * cgroup names one of those. Not other tests'.
   */
  function ourLeaks(bundles = []) {
    const dirs = bundles.filter(Boolean).map((b) => b.dir);
    const mine = (s) => s.includes(ROOT) || (s.includes('mct-') && s.includes(TAG)) || dirs.some((d) => s.includes(d));
    const end = Date.now() + 3000;
    for (;;) {
      const left = leaks.findLeaks(before, { root: ROOT }).filter((l) => {
        if (l.startsWith('state left:')) return true;
        if (l.startsWith('process left:')) {
          const pid = Number(/pid (\d+)/.exec(l)[1]);
          try { return mine(fs.readlinkSync(`/proc/${pid}/cwd`)) || mine(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')); } catch { return false; }
        }
        if (l.startsWith('mount table grew')) return false;
        return mine(l);
      });
      if (!left.length || Date.now() > end) return left;
      sleep(100);
    }
  }

  /**
   * Last-resort cleanup after delete --force (which can fail, e.g. when state.json lacks the pid):
   * only what is provably this file's: processes in cgroups named after its ids, minicon-init
   * monitors whose cwd is one of its state dirs; then the cgroup dirs (deepest first).
   */
  function bruteCleanup(list) {
    const mineCwd = (pid) => { try { const cwd = fs.readlinkSync(`/proc/${pid}/cwd`); return list.some((id) => cwd.startsWith(`${ROOT}/${id}`)); } catch { return false; } };
    for (const pid of ownMonitors(ROOT)) {
      if (!mineCwd(pid)) continue;
      for (const c of childrenOf(pid)) { try { process.kill(c, 'SIGKILL'); } catch { /* gone */ } }
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    const dirs = leaks.cgroupDirs(list).filter((d) => list.includes(path.basename(d))).sort((a, b) => b.length - a.length);
    for (const d of dirs) {
      try { if (fs.existsSync(`${d}/freezer.state`)) fs.writeFileSync(`${d}/freezer.state`, 'THAWED'); } catch { /* best effort */ }
      try { for (const p of fs.readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
    }
    for (const d of dirs) rmdirRetry(d, 20);
  }

  /** test.after (pass or fail): delete --force what is left, bruteCleanup, remove ROOT, IO and the bundles */
  function cleanup(bundles = []) {
    deleteLeft();
    bruteCleanup(ids);
    fs.rmSync(ROOT, { recursive: true, force: true });
    fs.rmSync(IO, { recursive: true, force: true });
    for (const b of bundles) { try { b && b.remove(); } catch (e) { console.error(e.message); } }
  }

  return {
    ROOT, IO, TAG, BIN, ids,
    cli, cliAsync, ok, state, quickState, newId,
    begin, deleteLeft, ourLeaks, bruteCleanup, cleanup,
    sleep, waitFor, alive, cgroupDirsOf,
  };
}

module.exports = Object.assign(runtimeKit, { BIN, sleep, waitFor, alive, cgroupDirsOf });
