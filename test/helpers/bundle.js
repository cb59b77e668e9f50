'use strict';
// Throwaway OCI bundles for tests: a busybox rootfs (Debian's busybox-static), the static probe at
// /probe, /etc/passwd and /etc/group, and config.json from the project's own `runc spec` equivalent.
//
//   const { makeBundle, uniqueId, parseProbe } = require('../helpers/bundle');
//   const b = makeBundle({ probe: ['info'], edit: c => { c.hostname = 'box'; } });
//   // ... run minicon with --bundle b.dir, id uniqueId('host') ...
//   b.write(c => { c.process.args = ['/probe', 'exit', '3']; });   // or b.write({ hostname: 'x' })
//   b.remove();
//
// Bundles live under /tmp/minicon-test/ (the leak checker looks for that path in mount tables).
// One pristine busybox rootfs is cached at /tmp/minicon-test/busybox-rootfs; each bundle gets its own
// copy, or with { shared: true } points root.path at the cache itself, read-only (no copy at all).

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = '/tmp/minicon-test';
const CACHE = path.join(ROOT, 'busybox-rootfs');
const REPO = path.resolve(__dirname, '..', '..');
const STAMP = '.minicon-test-cache';

let counter = 0;

/** A container id unique to this test process: `mct-<prefix>-<pid>-<n>` (the leak checker knows `mct-`). */
function uniqueId(prefix = 't') {
  const p = String(prefix).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 20) || 't';
  counter += 1;
  return `mct-${p}-${process.pid}-${counter}`;
}

/** The probe binary built by node-gyp (MINICON_PROBE overrides). Throws a clear error when missing. */
function probePath() {
  const p = process.env.MINICON_PROBE || path.join(REPO, 'build', 'Release', 'minicon-probe');
  if (!fs.existsSync(p)) {
    throw new Error(`minicon-probe not built: ${p} is missing (run \`npm run build\`, or ` +
      '`mkdir -p build/Release && gcc -static -O2 -o build/Release/minicon-probe native/probe/probe.c`)');
  }
  return p;
}

/** True when the ELF file has no PT_INTERP program header (a static binary). */
function isStaticElf(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const h = Buffer.alloc(64);
    fs.readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // ELF64 only
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    fs.readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/** The host's static busybox (Debian's busybox-static). Throws a clear error when missing. */
function busyboxPath() {
  for (const p of [process.env.MINICON_BUSYBOX, '/bin/busybox', '/usr/bin/busybox'].filter(Boolean)) {
    if (fs.existsSync(p) && isStaticElf(p)) return fs.realpathSync(p);
  }
  throw new Error('no static busybox on this host: install Debian\'s busybox-static (bash setup.sh does)');
}

function stampOf(files) {
  return files.map(f => { const s = fs.statSync(f); return `${f} ${s.size} ${s.mtimeMs}`; }).join('\n') + '\n';
}

/** Fills dir with a busybox rootfs and the probe. */
function populateRootfs(dir, busybox, probe) {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.chmodSync(path.join(dir, 'root'), 0o700);
  fs.copyFileSync(busybox, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  const list = spawnSync(busybox, ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`${busybox} --list failed: ${list.stderr}`);
  for (const a of list.stdout.split('\n').map(s => s.trim()).filter(Boolean)) {
    if (a === 'busybox' || a.includes('/')) continue;
    fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  }
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  fs.writeFileSync(path.join(dir, 'etc', 'hostname'), 'minicon-test\n');
  fs.copyFileSync(probe, path.join(dir, 'probe'));
  fs.chmodSync(path.join(dir, 'probe'), 0o755);
}

/**
 * Builds (once, atomically) the pristine rootfs cache for this busybox and this probe: its folder
 * is named after them, so two checkouts with different builds (a CI rehearsal beside a work tree)
 * never pull the rootfs from under each other. Caches of other builds unused for an hour go.
 */
function ensureRootfsCache() {
  const busybox = busyboxPath();
  const probe = probePath();
  const stamp = stampOf([busybox, probe]);
  const dir = `${CACHE}-${require('crypto').createHash('sha1').update(stamp).digest('hex').slice(0, 12)}`;
  try {
    if (fs.readFileSync(path.join(dir, STAMP), 'utf8') === stamp) return dir;
  } catch { /* no cache yet */ }
  fs.mkdirSync(ROOT, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp, { mode: 0o755 });
  populateRootfs(tmp, busybox, probe);
  fs.writeFileSync(path.join(tmp, STAMP), stamp);
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, STAMP))) throw e; // someone else won the race: fine
  }
  for (const other of fs.readdirSync(ROOT)) {
    const p = path.join(ROOT, other);
    if (!other.startsWith(path.basename(CACHE)) || p === dir) continue;
    try { if (Date.now() - fs.statSync(p).mtimeMs > 3600e3) fs.rmSync(p, { recursive: true, force: true }); } catch { /* in use or gone */ }
  }
  return dir;
}

/** The current runc-style default config (the project's compiled defaultSpec). */
function defaultConfig() {
  let mod;
  try {
    mod = require(path.join(REPO, 'dist', 'runtime', 'spec', 'default'));
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error('dist/runtime/spec/default.js is missing: run `npm run build` (tsc) first');
  }
  return JSON.parse(JSON.stringify(mod.defaultSpec()));
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep-merges plain objects; arrays and scalars replace; undefined deletes the key. */
function merge(target, edits) {
  for (const [k, v] of Object.entries(edits)) {
    if (v === undefined) delete target[k];
    else if (isPlainObject(v) && isPlainObject(target[k])) merge(target[k], v);
    else target[k] = JSON.parse(JSON.stringify(v));
  }
  return target;
}

function applyEdit(config, edit) {
  if (!edit) return config;
  if (typeof edit === 'function') {
    const r = edit(config);
    return r && typeof r === 'object' ? r : config;
  }
  if (isPlainObject(edit)) return merge(config, edit);
  throw new TypeError('config edit must be a function(config) or a plain object');
}

/** Mount points at or below dir, from this process's mount table. */
function mountsUnder(dir) {
  const unescape = s => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  const real = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map(l => unescape(l.split(' ')[4]))
    .filter(mp => mp === real || mp.startsWith(real + '/'));
}

/**
 * Makes a bundle. Options:
 *   shared: true   root.path is the shared read-only cache (no copy; the container cannot write to /)
 *   args: [...]    process.args
 *   probe: [...]   process.args = ['/probe', ...probe]
 *   edit: fn(config) or object (deep-merged)   applied last
 *   name: string   a readable part of the temp dir's name
 * Returns { dir, rootfs, config, configPath, write(edit), remove() }.
 */
function makeBundle(opts = {}) {
  const cache = ensureRootfsCache();
  fs.mkdirSync(ROOT, { recursive: true });
  const tag = String(opts.name || 'bundle').replace(/[^A-Za-z0-9_.-]+/g, '-');
  const dir = fs.mkdtempSync(path.join(ROOT, `${tag}-`));
  let rootfs;
  const config = defaultConfig();
  config.process.terminal = false;
  if (opts.shared) {
    rootfs = cache;
    config.root = { path: cache, readonly: true };
  } else {
    rootfs = path.join(dir, 'rootfs');
    const cp = spawnSync('cp', ['-a', cache, rootfs], { encoding: 'utf8' });
    if (cp.status !== 0) throw new Error(`copying the rootfs cache failed: ${cp.stderr}`);
    fs.rmSync(path.join(rootfs, STAMP), { force: true });
    config.root.path = 'rootfs';
  }
  if (opts.args) config.process.args = [...opts.args];
  if (opts.probe) config.process.args = ['/probe', ...opts.probe];

  const bundle = {
    dir,
    rootfs,
    configPath: path.join(dir, 'config.json'),
    config: applyEdit(config, opts.edit),
    /** Applies an edit (function or object) to the config and rewrites config.json. */
    write(edit) {
      bundle.config = applyEdit(bundle.config, edit);
      fs.writeFileSync(bundle.configPath, JSON.stringify(bundle.config, null, '\t') + '\n');
      return bundle;
    },
    /** Deletes the bundle (never the shared cache). Refuses when something is still mounted inside. */
    remove() {
      const left = mountsUnder(dir);
      if (left.length) throw new Error(`not removing ${dir}: still mounted: ${left.join(', ')}`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  bundle.write();
  return bundle;
}

/** Parses the probe's `key=value` lines into an object (the first `=` splits; later keys win). */
function parseProbe(text) {
  const out = {};
  for (const line of String(text).split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

module.exports = {
  ROOT,
  CACHE,
  makeBundle,
  uniqueId,
  parseProbe,
  probePath,
  busyboxPath,
  isStaticElf,
  ensureRootfsCache,
  defaultConfig,
  mountsUnder,
};
