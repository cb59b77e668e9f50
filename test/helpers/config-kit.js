'use strict';
// Shared plumbing for the black-box config.json tests (test/integration/config-*.test.js).
//
//   const kit = require('../helpers/config-kit')('process');   // one state root per test file
//   test.before(kit.begin);                    // leak snapshot
//   const b = kit.bundle({ probe: ['info'] });  // tracked: removed by kit.cleanup()
//   const r = kit.run(b, kit.id('x'));          // spawnSync of `minicon run` -> {status, stdout, stderr}
//   const c = kit.start(b, kit.id('y'));        // create + start; c.pid is the host pid of pid 1
//   ... read /proc/<c.pid>/... ...; kit.destroy(c.id)
//   test('no leaks', kit.noLeaks);              // last test of the file
//   test.after(kit.cleanup);                    // delete --force what is left, remove bundles
//
// Everything is asserted on what the kernel shows; MiniCon's own reports are only used to find the
// pid (--pid-file, `state`).
const fs = require('fs');
const path = require('path');
const assert = require('uvu/assert');
const { spawnSync } = require('child_process');
const { makeBundle, uniqueId, parseProbe, ROOT } = require('./bundle');
const leaks = require('./leaks');

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'minicon');

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function kit(name) {
  const root = path.join(ROOT, `state-config-${name}-${process.pid}`);
  const ids = new Set();
  const bundles = [];
  let before;

  /** Runs the CLI with this file's --root. opts: {input, timeout, stdio, cwd, env} */
  function mc(args, opts = {}) {
    const r = spawnSync(BIN, ['--root', root, ...args], {
      encoding: 'utf8', timeout: opts.timeout ?? 30000, input: opts.input, stdio: opts.stdio, cwd: opts.cwd, env: { ...process.env, ...(opts.env || {}) },
    });
    if (r.error) throw r.error;
    return r;
  }

  const self = {
    root,
    BIN,
    mc,
    parseProbe,
    begin() {
      fs.mkdirSync(ROOT, { recursive: true });
      before = leaks.snapshot();
    },
    /** A bundle; by default on the shared read-only rootfs cache (no copy): pass {shared: false} for a
     *  private, writable copy of the rootfs (needed to change files in b.rootfs). */
    bundle(opts = {}) {
      const b = makeBundle({ name: `config-${name}`, shared: true, ...opts });
      bundles.push(b);
      return b;
    },
    id(prefix) {
      const id = uniqueId(`${name}-${prefix}`);
      ids.add(id);
      return id;
    },
    /** `minicon run --bundle B ID` in the foreground: the container's stdout is ours. */
    run(b, id, opts = {}) {
      return mc(['run', '--bundle', b.dir, id], opts);
    },
    /** `run` and parse the probe's key=value output; asserts exit 0 unless opts.status is given. */
    probe(b, id, opts = {}) {
      const r = self.run(b, id, opts);
      const want = opts.status ?? 0;
      assert.is(r.status, want, `run ${id} exited ${r.status} (want ${want})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return Object.assign(parseProbe(r.stdout), { $stdout: r.stdout, $stderr: r.stderr });
    },
    /**
     * `create`, its output (and the container's) going to files; returns {status, pid, out(), err()}.
     * A create that exits 0 with a --pid-file that is not a pid is MiniCon's READY-before-PID race
     * (see test/integration/config-pidfile.test.js): that container is torn down by hand and the create
     * retried (at most twice), with a warning, so that the tests of other features stay deterministic.
     */
    create(b, id, attempt = 0) {
      const outFile = path.join(b.dir, `${id}.out`);
      const errFile = path.join(b.dir, `${id}.err`);
      const pidFile = path.join(b.dir, `${id}.pid`);
      fs.rmSync(pidFile, { force: true });
      const o = fs.openSync(outFile, 'w');
      const e = fs.openSync(errFile, 'w');
      let r;
      try {
        r = mc(['create', '--bundle', b.dir, '--pid-file', pidFile, id], { stdio: ['ignore', o, e] });
      } finally {
        fs.closeSync(o);
        fs.closeSync(e);
      }
      let pid;
      let pidText;
      try { pidText = fs.readFileSync(pidFile, 'utf8'); pid = Number(pidText); } catch { /* create failed */ }
      if (r.status === 0 && !(pid > 0) && attempt < 2) {
        process.stderr.write(`\n  warning: create ${id} exited 0 but wrote --pid-file ${JSON.stringify(pidText)} (READY overtook PID); retrying\n`);
        self.teardown(id);
        return self.create(b, id, attempt + 1);
      }
      return { status: r.status, pid, pidText, outFile, errFile, err: () => fs.readFileSync(errFile, 'utf8'), out: () => fs.readFileSync(outFile, 'utf8') };
    },
    /** Removes container id by hand (delete --force, then its monitor, processes and cgroups). */
    teardown(id) {
      try { mc(['delete', '--force', id]); } catch { /* best effort */ }
      for (const pid of ownMonitors(root)) {
        let cwd = '';
        try { cwd = fs.readlinkSync(`/proc/${pid}/cwd`); } catch { /* gone */ }
        if (!cwd.includes(`/${id}`)) continue;
        for (const child of childrenOf(pid)) { try { process.kill(child, 'SIGKILL'); } catch { /* gone */ } }
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      const dirs = leaks.cgroupDirs([id]).filter((d) => path.basename(d) === id);
      for (const d of dirs) rmdirRetry(d, 40);
      fs.rmSync(path.join(root, id), { recursive: true, force: true });
    },
    /** The OCI state JSON (only to learn the pid). */
    state(id) {
      const r = mc(['state', id]);
      assert.is(r.status, 0, `state ${id}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    /** create + start; returns {id, pid, out(), err()} for a running container. */
    start(b, id) {
      const c = self.create(b, id);
      assert.is(c.status, 0, `create ${id} failed: ${c.err()}`);
      assert.ok(c.pid > 0, `create ${id} exited 0 but its --pid-file holds ${JSON.stringify(c.pidText)}`);
      const s = mc(['start', id]);
      assert.is(s.status, 0, `start ${id} failed: ${s.stderr}`);
      return { id, pid: c.pid, out: c.out, err: c.err, outFile: c.outFile };
    },
    /** delete --force, asserting it worked. */
    destroy(id) {
      const r = mc(['delete', '--force', id]);
      assert.is(r.status, 0, `delete --force ${id}: ${r.stderr}`);
    },
    /** Waits until the file's text satisfies pred (or the time is up); returns the text. */
    waitFor(file, pred, ms = 5000) {
      const deadline = Date.now() + ms;
      let text = '';
      for (;;) {
        try { text = fs.readFileSync(file, 'utf8'); } catch { text = ''; }
        if (pred(text) || Date.now() > deadline) return text;
        sleepMs(25);
      }
    },
    /** Asserts nothing of container id is left: no state dir, no cgroup dir, no monitor in its state dir. */
    assertNothingLeft(id) {
      assert.ok(self.gone(id), `the state directory of ${id} is left`);
      assert.equal(leaks.cgroupDirs([id]).filter((d) => d.includes(id)), [], `cgroups of ${id} left`);
      const monitors = ownMonitors(root).filter((pid) => { try { return fs.readlinkSync(`/proc/${pid}/cwd`).includes(id); } catch { return false; } });
      assert.equal(monitors, [], `minicon-init of ${id} left`);
    },
    /** True when the state dir of id is gone (the runtime removed everything). */
    gone(id) {
      return !fs.existsSync(path.join(root, id));
    },
    /**
     * The leak check, as the last test of the file (containers must have been deleted by their tests).
     * Other test files may run at the same time as this one (other engineers, `npm test`): only what
     * belongs to this file counts: its container ids, its state root, its bundles, monitors whose
     * working directory (the state directory) is under its root, netns named after this process.
     */
    noLeaks() {
      const dirs = bundles.map((b) => b.dir);
      for (const b of bundles.splice(0)) {
        try { b.remove(); } catch (e) { bundles.push(b); throw e; }
      }
      const mine = (s) => [...ids].some((id) => s.includes(id)) || s.includes(root) || dirs.some((d) => s.includes(d)) || s.includes(`mct-${process.pid}`);
      const deadline = Date.now() + 2000;
      let found;
      for (;;) {
        found = leaks.findLeaks(before, { root, ids: [...ids] }).filter((l) => {
          const m = /^process left: minicon-init pid (\d+)/.exec(l);
          if (m) return ownMonitors(root).includes(Number(m[1]));
          if (/^mount table grew/.test(l)) return false; // the new lines themselves are checked
          return mine(l);
        });
        if (!found.length || Date.now() > deadline) break;
        sleepMs(100);
      }
      assert.equal(found, [], `left behind:\n  ${found.join('\n  ')}`);
    },
    /** after: brute-force removal of everything this file created (pass or fail). */
    cleanup() {
      for (const id of ids) {
        if (fs.existsSync(path.join(root, id))) { try { mc(['delete', '--force', id]); } catch { /* best effort */ } }
      }
      // monitors of this file's containers that delete could not stop: their container, then them
      for (const pid of ownMonitors(root)) {
        for (const child of childrenOf(pid)) { try { process.kill(child, 'SIGKILL'); } catch { /* gone */ } }
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      // cgroups of this file's containers that delete could not remove (deepest first, once empty)
      const dirs = leaks.cgroupDirs([...ids]).filter((d) => [...ids].some((id) => path.basename(d) === id)).sort((a, b) => b.length - a.length);
      for (const d of dirs) rmdirRetry(d, 20);
      for (const b of bundles.splice(0)) { try { b.remove(); } catch (e) { process.stderr.write(`cleanup: ${e.message}\n`); } }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return self;
}

/** minicon-init monitors whose cwd (their state directory) is under root. */
function ownMonitors(root) {
  const out = [];
  for (const p of leaks.initProcesses()) {
    try { if (fs.readlinkSync(`/proc/${p.pid}/cwd`).startsWith(`${root}/`)) out.push(p.pid); } catch { /* gone, or a zombie */ }
  }
  return out;
}

/** rmdir of a (cgroup) directory, retried every 50 ms while it is busy; done when it is gone. */
function rmdirRetry(dir, tries = 20) {
  for (let i = 0; i < tries; i++) {
    try { fs.rmdirSync(dir); break; } catch (e) { if (e.code === 'ENOENT') break; sleepMs(50); }
  }
}

/** Direct children of pid. */
function childrenOf(pid) {
  const out = [];
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch { /* gone */ }
  return out;
}

/** /proc/<pid>/status as {Key: value}. */
function procStatus(pid) {
  const out = {};
  for (const l of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return out;
}

/** /proc/<pid>/mountinfo parsed: [{mountPoint, root, options, optional, fstype, source, superOptions}] */
function mountinfo(pid) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    const dash = f.indexOf('-');
    return {
      id: f[0], parent: f[1], root: unescape(f[3]), mountPoint: unescape(f[4]), options: f[5].split(','),
      optional: f.slice(6, dash), fstype: f[dash + 1], source: f[dash + 2], superOptions: (f[dash + 3] || '').split(','), line: l,
    };
  });
}

/** The last mount on a mount point (the one visible), from /proc/<pid>/mountinfo. */
function mountAt(pid, mp) {
  const all = mountinfo(pid).filter((m) => m.mountPoint === mp);
  return all[all.length - 1];
}

/**
 * The mount that holds path p (an absolute path in pid's mount namespace), from /proc/<pid>/mountinfo:
 * the one with the longest mount point that is p or a parent of p (the top one when stacked).
 */
function mountOf(pid, p) {
  const within = (mp) => mp === '/' || p === mp || p.startsWith(`${mp}/`);
  let best;
  for (const m of mountinfo(pid)) if (within(m.mountPoint) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  return best;
}

/** True where /sys/fs/cgroup is cgroup v2 only (the test VM, Ubuntu 24.04); false on v1/hybrid hosts. */
const unified = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

/** /proc/<pid>/cgroup as {controller: path} (v2 entry under key ''). */
function procCgroup(pid) {
  const out = {};
  for (const l of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean)) {
    const [, list, p] = l.match(/^\d+:([^:]*):(.*)$/) || [];
    if (list === undefined) continue;
    if (list === '') out[''] = p;
    for (const c of list.split(',')) if (c) out[c] = p;
  }
  return out;
}

/** Directory of controller c's v1 hierarchy for a cgroup path (e.g. cpu -> /sys/fs/cgroup/cpu or cpu,cpuacct). */
function v1Dir(controller, cgPath) {
  const base = '/sys/fs/cgroup';
  for (const name of fs.readdirSync(base)) {
    if (!name.split(',').includes(controller)) continue;
    const d = path.join(base, name);
    try { if (fs.lstatSync(d).isSymbolicLink()) continue; } catch { continue; }
    return path.join(d, cgPath);
  }
  return undefined;
}

/**
 * The directory of pid's cgroup, from /proc/<pid>/cgroup: on cgroup v2 /sys/fs/cgroup<the "0::" path>
 * (one directory for every controller); on v1 the one in controller's hierarchy.
 */
function cgroupDir(pid, controller) {
  const cg = procCgroup(pid);
  if (unified) {
    if (cg[''] === undefined) throw new Error(`pid ${pid} has no "0::" line in /proc/${pid}/cgroup`);
    return path.posix.join('/sys/fs/cgroup', cg['']);
  }
  if (cg[controller] === undefined) throw new Error(`pid ${pid} has no ${controller} cgroup`);
  return v1Dir(controller, cg[controller]);
}

/** Parses a hex capability mask into a BigInt. */
const capMask = (hex) => BigInt(`0x${hex}`);

module.exports = kit;
module.exports.procStatus = procStatus;
module.exports.mountinfo = mountinfo;
module.exports.mountAt = mountAt;
module.exports.procCgroup = procCgroup;
module.exports.v1Dir = v1Dir;
module.exports.cgroupDir = cgroupDir;
module.exports.mountOf = mountOf;
module.exports.unified = unified;
module.exports.capMask = capMask;
module.exports.sleepMs = sleepMs;
module.exports.ownMonitors = ownMonitors;
module.exports.childrenOf = childrenOf;
module.exports.rmdirRetry = rmdirRetry;
module.exports.parseProbe = parseProbe;
