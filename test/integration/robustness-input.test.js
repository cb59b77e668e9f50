'use strict';
// Bad input to `create`: each case must fail with a clear message on stderr that names the problem,
// exit non-zero, and leave nothing behind (no state directory, no cgroup, no process). A duplicate ID
// must leave the first container untouched. Then 20 concurrent `create`s of distinct IDs all
// succeed, `list` shows the 20, and they are all deleted. Needs root.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const { makeBundle } = require('../helpers/bundle');
const leaks = require('../helpers/leaks');
const kit = require('../helpers/runtime-kit')('robustness-input');

const { ROOT, IO, cli, cliAsync, ok, state, newId, bruteCleanup, alive, cgroupDirsOf } = kit;

let good;
const badBundles = [];

// ---- helpers of this file (the shared ones are in test/helpers/runtime-kit.js) ----------------------

const entries = (dir) => { try { return fs.readdirSync(dir); } catch { return []; } };

/** a bundle whose config.json is written by `edit` (function on the config, or raw text) */
function badBundle(name, edit) {
  const b = makeBundle({ name: `robustness-input-${name}-${process.pid}`, shared: true, probe: ['exit', '0'] });
  badBundles.push(b);
  if (typeof edit === 'string') fs.writeFileSync(b.configPath, edit);
  else if (edit) b.write(edit);
  return b;
}

/** what the runtime and the kernel say about id, for failure messages */
function describe(id) {
  let rec = {};
  try { rec = JSON.parse(fs.readFileSync(path.join(ROOT, id, 'state.json'), 'utf8')); } catch { /* none */ }
  const st = state(id);
  const procs = cgroupDirsOf(id).map((d) => { try { return fs.readFileSync(`${d}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean).join(','); } catch { return ''; } }).find(Boolean) ?? '';
  let pf = '';
  try { pf = fs.readFileSync(path.join(IO, `${id}.pid`), 'utf8'); } catch { /* no pid file */ }
  return `${id}: status ${st.status}, state.json pid ${rec.pid}, --pid-file ${JSON.stringify(pf)}, processes in its cgroup [${procs}]`;
}

test.before(() => {
  kit.begin();
  good = makeBundle({ name: `robustness-input-good-${process.pid}`, shared: true, probe: ['pause'] });
});

test.after(() => kit.cleanup([good, ...badBundles]));

// ---- bad bundles and configs ------------------------------------------------------------------------

test('bad bundles and configs: a clear error naming the problem, non-zero exit, nothing left', async () => {
  const cases = [
    ['missing bundle', () => '/tmp/minicon-test/no-such-bundle-dir', /bundle \/tmp\/minicon-test\/no-such-bundle-dir does not exist/],
    ['malformed config.json', () => badBundle('garbage', 'this is not json {').dir, /config\.json: not valid JSON/],
    ['truncated config.json', () => badBundle('truncated', '{"ociVersion": "1.0.2", "process": {"args": ["/probe"').dir, /config\.json: not valid JSON.*(end|Unexpected)/i],
    ['empty config.json', () => badBundle('empty', '').dir, /config\.json/],
    ['unknown namespace type', () => badBundle('ns', (c) => { c.linux.namespaces.push({ type: 'timewarp' }); }).dir, /linux\.namespaces\[\d+\]\.type: unknown namespace type "timewarp"/],
    ['rootfs missing', () => badBundle('rootfs', (c) => { c.root.path = '/tmp/minicon-test/no-such-rootfs'; }).dir, /root\.path: .*no-such-rootfs does not exist/],
    ['uidMappings without a user namespace', () => badBundle('uidmap', (c) => { c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; }).dir, /linux\.uidMappings: needs a user namespace/],
    ['memory limit -5', () => badBundle('mem', (c) => { c.linux.resources.memory = { limit: -5 }; }).dir, /linux\.resources\.memory\.limit: -5 is out of range/],
    ['pids limit -7', () => badBundle('pids', (c) => { c.linux.resources.pids = { limit: -7 }; }).dir, /linux\.resources\.pids\.limit: -7 is out of range/],
    ['cpu shares 1', () => badBundle('cpu', (c) => { c.linux.resources.cpu = { shares: 1 }; }).dir, /linux\.resources\.cpu\.shares: 1 is out of range/],
    ['args empty', () => badBundle('args', (c) => { c.process.args = []; }).dir, /process\.args: is empty/],
    ['args missing', () => badBundle('noargs', (c) => { delete c.process.args; }).dir, /process\.args/],
  ];
  const runs = cases.map(([name, dir, want]) => {
    const id = newId('bad');
    return cliAsync(['create', '--bundle', dir(), id]).then((r) => ({ name, id, want, r }));
  });
  for (const { name, id, want, r } of await Promise.all(runs)) {
    assert.ok(r.code !== 0 && r.code !== null, `${name}: exit ${r.code}`);
    assert.match(r.err, /^minicon: /, `${name}: a minicon error on stderr: ${r.err}`);
    assert.match(r.err, want, `${name}: ${r.err}`);
    assert.is(r.out, '', `${name}: nothing on stdout`);
    assert.not.ok(fs.existsSync(path.join(ROOT, id)), `${name}: no state dir`);
    assert.equal(cgroupDirsOf(id), [], `${name}: no cgroup`);
  }
  assert.equal(entries(ROOT), [], 'the state root is empty');
});

test('invalid IDs: "../x", "", 1025 characters, "a/b", "x y", ".." are refused, nothing created anywhere', async () => {
  const long = 'a'.repeat(1025);
  const cases = ['../x', '', long, 'a/b', 'x y', '..', '.', 'a\nb'];
  const results = await Promise.all(cases.map((id) => cliAsync(['create', '--bundle', good.dir, id]).then((r) => ({ id, r }))));
  for (const { id, r } of results) {
    const shown = id.length > 20 ? `${id.length} chars` : JSON.stringify(id);
    assert.is(r.code, 1, `${shown}: exit ${r.code} ${r.err}`);
    assert.match(r.err, /invalid container ID/, shown);
  }
  assert.match(results[2].r.err, /1025 characters/);
  assert.match(results[3].r.err, /"\/" is not allowed/);
  assert.match(results[4].r.err, /" " is not allowed/);
  assert.equal(entries(ROOT), [], 'nothing under the state root');
  assert.not.ok(fs.existsSync(path.join(ROOT, '..', 'x')), 'nothing next to the state root');
  assert.not.ok(fs.existsSync(path.join(path.dirname(ROOT), 'a')), 'no "a" directory');
  assert.equal(leaks.cgroupDirs(['x y', 'a/b']).filter((d) => /\/(x y|a|b|x)$/.test(d)), []);
});

test('a duplicate ID is refused and the first container is untouched', () => {
  const id = newId('dup');
  ok(['create', '--bundle', good.dir, id]);
  const first = state(id);
  assert.is(first.status, 'created', `right after create: ${describe(id)}`);
  const recText = fs.readFileSync(path.join(ROOT, id, 'state.json'), 'utf8');
  const cg = cgroupDirsOf(id);
  const files = entries(path.join(ROOT, id)).sort();
  const r = cli(['create', '--bundle', good.dir, id]);
  assert.is(r.code, 1);
  assert.match(r.err, new RegExp(`container "${id}" already exists`));
  const after = state(id);
  assert.is(after.status, 'created');
  assert.is(after.pid, first.pid);
  assert.ok(alive(first.pid), 'its pid 1 still lives');
  assert.is(fs.readFileSync(path.join(ROOT, id, 'state.json'), 'utf8'), recText, 'state.json unchanged');
  assert.equal(entries(path.join(ROOT, id)).sort(), files);
  assert.equal(cgroupDirsOf(id), cg, 'its cgroups are still there');
  assert.ok(fs.readFileSync(`/proc/${first.pid}/cgroup`, 'utf8').includes(id));
  // and it still works
  ok(['start', id]);
  assert.is(state(id).status, 'running');
  ok(['delete', '--force', id]);
  assert.equal(cgroupDirsOf(id), []);
});

// ---- concurrency ------------------------------------------------------------------------------------

test('20 concurrent creates of distinct IDs all succeed; list shows 20; all deleted', async () => {
  const mine = Array.from({ length: 20 }, () => newId('conc'));
  const pidFile = (id) => path.join(IO, `${id}.pid`);
  const created = await Promise.all(mine.map((id) => cliAsync(['create', '--pid-file', pidFile(id), '--bundle', good.dir, id]).then((r) => ({ id, r }))));
  for (const { id, r } of created) assert.is(r.code, 0, `${id}: ${r.err}`);
  const listed = JSON.parse(ok(['list', '--format', 'json']).out).filter((c) => mine.includes(c.id));
  assert.is(listed.length, 20);
  // under this load, READY can reach the runtime before the monitor's PID frame: create then ends
  // without a pid (state.json has none, --pid-file says "undefined") and state reports "stopped"
  const wrong = listed.filter((c) => c.status !== 'created').map((c) => describe(c.id));
  if (wrong.length) {
    bruteCleanup(listed.filter((c) => c.status !== 'created').map((c) => c.id)); // delete --force cannot remove them
    for (const c of listed) if (c.status !== 'created') fs.rmSync(path.join(ROOT, c.id), { recursive: true, force: true });
  }
  assert.equal(wrong, [], `containers not "created" right after create:\n  ${wrong.join('\n  ')}`);
  for (const c of listed) {
    assert.ok(alive(c.pid), `${c.id} pid ${c.pid}`);
    assert.is(fs.readFileSync(pidFile(c.id), 'utf8'), String(c.pid), `${c.id} --pid-file`);
  }
  assert.is(new Set(listed.map((c) => c.pid)).size, 20, 'twenty distinct pids');
  assert.equal(ok(['list', '-q']).out.split('\n').filter(Boolean).filter((l) => mine.includes(l)).sort(), [...mine].sort());
  const deleted = await Promise.all(mine.map((id) => cliAsync(['delete', '--force', id]).then((r) => ({ id, r }))));
  for (const { id, r } of deleted) assert.is(r.code, 0, `${id}: ${r.err}`);
  for (const c of listed) assert.not.ok(alive(c.pid), `${c.id} pid ${c.pid}`);
  assert.equal(entries(ROOT), []);
  for (const id of mine) assert.equal(cgroupDirsOf(id), [], id);
});

test('no leaks: no mount, cgroup, state file or minicon-init process of ours is left', () => {
  kit.deleteLeft();
  assert.equal(kit.ourLeaks(), []);
});

test.run();
