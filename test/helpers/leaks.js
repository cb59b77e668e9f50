'use strict';
// Leak checks for tests that run containers: take a snapshot before, then list what was left behind.
//
//   const leaks = require('../helpers/leaks');
//   const before = leaks.snapshot();
//   ... create/run/delete containers with --root STATE ...
//   assert.equal(leaks.assertNoLeaks(before, { root: STATE }), []);   // [] or descriptions
//
// What counts as a leak (each compared with the snapshot, so that state left by something else
// before the test does not fail it):
//   - the mount table (/proc/self/mountinfo) has more lines, or a new line mentions minicon
//   - a new directory under /sys/fs/cgroup (depth <= 6) whose name contains "minicon" or is a test id
//     (uniqueId's `mct-` prefix, or one of opts.ids)
//   - any entry left in the state root dir opts.root
//   - a new process whose comm is minicon-init
//   - a new network namespace (`ip netns list`, /run/netns)
//   - a new veth whose name starts with "mc"
// Processes and cgroups may need a moment to go away after a kill, so assertNoLeaks polls for up to
// opts.waitMs (default 2000 ms) before it reports.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP_DEPTH = 6;

// iproute2 mounts /run/netns on itself the first time anything runs `ip netns add`, and keeps it:
// that is shared infrastructure, not a leak (a namespace left in it is reported separately).
const IGNORED_MOUNTPOINTS = new Set(['/run/netns']);

function readMounts() {
  try {
    return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
      .filter(l => !IGNORED_MOUNTPOINTS.has(l.split(' ')[4]));
  } catch {
    return [];
  }
}

/** A mountinfo line without its mount and parent ids (they change on every remount). */
function mountKey(line) {
  return line.split(' ').slice(2).join(' ');
}

function isTestName(name, ids) {
  return /minicon/i.test(name) || name.startsWith('mct-') || ids.some(id => name.includes(id));
}

function cgroupDirs(ids = []) {
  const found = [];
  const walk = (dir, depth) => {
    let ents;
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (!e.isDirectory()) continue; // symlinks (cpu,cpuacct) are not followed
      const p = path.join(dir, e.name);
      if (isTestName(e.name, ids)) found.push(p);
      if (depth < CGROUP_DEPTH) walk(p, depth + 1);
    }
  };
  walk(CGROUP_ROOT, 1);
  return found;
}

function initProcesses() {
  const out = [];
  let ents = [];
  try {
    ents = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const pid of ents) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm !== 'minicon-init') continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      let cmd = '';
      try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { /* gone */ }
      out.push({ pid: Number(pid), state, cmd });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

function netnsList() {
  const names = new Set();
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status === 0) for (const l of r.stdout.split('\n')) if (l.trim()) names.add(l.trim().split(/\s+/)[0]);
  try { for (const n of fs.readdirSync('/run/netns')) names.add(n); } catch { /* none */ }
  return [...names];
}

function veths() {
  const names = [];
  const r = spawnSync('ip', ['-o', 'link', 'show', 'type', 'veth'], { encoding: 'utf8' });
  if (r.status === 0) {
    for (const l of r.stdout.split('\n')) {
      const m = /^\d+:\s+([^:@\s]+)/.exec(l);
      if (m) names.push(m[1]);
    }
    return names;
  }
  // No iproute2: fall back to sysfs (a veth's device link points under devices/virtual/net).
  try {
    for (const n of fs.readdirSync('/sys/class/net')) {
      if (fs.existsSync(`/sys/class/net/${n}/ifindex`) && fs.readlinkSync(`/sys/class/net/${n}`).includes('/virtual/')) names.push(n);
    }
  } catch { /* no sysfs */ }
  return names;
}

/** What the host looks like now; pass it to assertNoLeaks after the test. */
function snapshot(opts = {}) {
  const mounts = readMounts();
  return {
    mountCount: mounts.length,
    mountKeys: new Set(mounts.map(mountKey)),
    cgroups: new Set(cgroupDirs(opts.ids || [])),
    inits: new Set(initProcesses().map(p => p.pid)),
    netns: new Set(netnsList()),
    veths: new Set(veths()),
  };
}

/** Everything left behind since `before`, as human-readable strings ([] when clean). No waiting. */
function findLeaks(before, opts = {}) {
  const ids = opts.ids || [];
  const leaks = [];
  const mounts = readMounts();
  if (mounts.length > before.mountCount) leaks.push(`mount table grew: ${before.mountCount} -> ${mounts.length} lines`);
  for (const l of mounts) {
    if (before.mountKeys.has(mountKey(l))) continue;
    if (/minicon/i.test(l) || ids.some(id => l.includes(id))) leaks.push(`mount left: ${l}`);
  }
  for (const d of cgroupDirs(ids)) if (!before.cgroups.has(d)) leaks.push(`cgroup left: ${d}`);
  if (opts.root) {
    let ents = [];
    try { ents = fs.readdirSync(opts.root); } catch { /* no state root: nothing left */ }
    for (const e of ents) leaks.push(`state left: ${path.join(opts.root, e)}`);
  }
  for (const p of initProcesses()) {
    if (!before.inits.has(p.pid)) leaks.push(`process left: minicon-init pid ${p.pid} state ${p.state}${p.cmd ? ` (${p.cmd})` : ''}`);
  }
  for (const n of netnsList()) if (!before.netns.has(n)) leaks.push(`network namespace left: ${n}`);
  for (const v of veths()) if (v.startsWith('mc') && !before.veths.has(v)) leaks.push(`veth left: ${v}`);
  return leaks;
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The leaks since `before` ([] when clean), after waiting up to opts.waitMs (default 2000) for
 * processes and cgroups to go away. Options: root (state dir that must be empty), ids (test ids to
 * look for in cgroup names and mounts), waitMs.
 */
function assertNoLeaks(before, opts = {}) {
  const deadline = Date.now() + (opts.waitMs ?? 2000);
  for (;;) {
    const leaks = findLeaks(before, opts);
    if (!leaks.length || Date.now() >= deadline) return leaks;
    sleepMs(100);
  }
}

/** Like assertNoLeaks, but throws an Error listing the leaks. */
function expectNoLeaks(before, opts = {}) {
  const leaks = assertNoLeaks(before, opts);
  if (leaks.length) throw new Error(`left behind:\n  ${leaks.join('\n  ')}`);
}

module.exports = { snapshot, findLeaks, assertNoLeaks, expectNoLeaks, cgroupDirs, initProcesses, netnsList, veths };
