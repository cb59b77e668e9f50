'use strict';
// config.json "hooks" (prestart, createRuntime, createContainer, startContainer, poststart, poststop):
// order, state JSON on stdin, the namespaces each runs in; a failing hook; and fields MiniCon does not
// support, which must be refused by name and leave nothing behind.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const kit = require('../helpers/config-kit')('hooks');

test.before(kit.begin);
test.after(kit.cleanup);

// $1: hook name, $2: log file. Appends "name mnt-ns-link state-json" (one line) to the log.
const HOOK_SH = '#!/bin/sh\nstate=$(cat)\nprintf \'%s %s %s\\n\' "$1" "$(readlink /proc/self/ns/mnt)" "$state" >> "$2"\nexit "${3:-0}"\n';
const ENV = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'];
const TMP = { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777', 'size=1m'] };

/** A bundle whose host dir <bundle>/hooks holds hook.sh and the log; inside it is /tmp/hooks. */
function hookBundle(edit) {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const dir = path.join(b.dir, 'hooks');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'hook.sh'), HOOK_SH, { mode: 0o755 });
  const log = path.join(dir, 'log');
  fs.writeFileSync(log, '');
  const host = (name, code) => ({ path: '/bin/sh', args: ['sh', path.join(dir, 'hook.sh'), name, log, ...(code ? [String(code)] : [])], env: ENV });
  const inside = (name, code) => ({ path: '/bin/sh', args: ['sh', '/tmp/hooks/hook.sh', name, '/tmp/hooks/log', ...(code ? [String(code)] : [])], env: ENV });
  b.write((c) => { c.mounts.push(TMP, { destination: '/tmp/hooks', type: 'bind', source: dir, options: ['bind'] }); });
  if (edit) b.write((c) => edit(c, host, inside));
  const entries = () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [name, mnt, ...rest] = l.split(' ');
    return { name, mnt, state: JSON.parse(rest.join(' ')) };
  });
  return { b, log, entries, host, inside };
}

const assertNothingLeft = (id) => kit.assertNothingLeft(id);

test('hooks: all six run in order, each with the state JSON (id, pid, status) on stdin', () => {
  const h = hookBundle((c, host, inside) => {
    c.hooks = {
      prestart: [host('prestart')],
      createRuntime: [host('createRuntime')],
      createContainer: [host('createContainer')], // before pivot_root: a host path works
      startContainer: [inside('startContainer')], // after pivot_root: a path in the rootfs
      poststart: [host('poststart')],
      poststop: [host('poststop')],
    };
  });
  const id = kit.id('all');
  const c = kit.create(h.b, id);
  assert.is(c.status, 0, c.err());
  let deleted = false;
  try {
    assert.equal(h.entries().map((e) => e.name), ['prestart', 'createRuntime', 'createContainer']);
    const s = kit.mc(['start', id]);
    assert.is(s.status, 0, s.stderr);
    const mine = fs.readlinkSync(`/proc/${c.pid}/ns/mnt`);
    const host = fs.readlinkSync('/proc/self/ns/mnt');
    const e = h.entries();
    assert.equal(e.map((x) => x.name), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart']);
    for (const x of e) {
      assert.is(x.state.id, id, `${x.name}: id`);
      assert.is(x.state.pid, c.pid, `${x.name}: pid`);
      assert.is(x.state.bundle, h.b.dir, `${x.name}: bundle`);
    }
    const by = Object.fromEntries(e.map((x) => [x.name, x]));
    assert.is(by.prestart.state.status, 'creating');
    assert.is(by.createRuntime.state.status, 'creating');
    assert.is(by.poststart.state.status, 'running');
    // where each ran: the runtime's namespaces, or the container's
    assert.is(by.prestart.mnt, host);
    assert.is(by.createRuntime.mnt, host);
    assert.is(by.createContainer.mnt, mine);
    assert.is(by.startContainer.mnt, mine);
    assert.is(by.poststart.mnt, host);
    const d = kit.mc(['delete', '--force', id]);
    deleted = true;
    assert.is(d.status, 0, d.stderr);
    const last = h.entries().pop();
    assert.is(last.name, 'poststop');
    assert.is(last.state.id, id);
    assert.is(last.state.status, 'stopped');
    assert.is(last.mnt, host);
  } finally {
    if (!deleted) kit.destroy(id);
  }
});

test('hooks: args (with argv[0]) and env are exactly the hook\'s own, in the runtime and in the container', () => {
  const h = hookBundle();
  const out = path.join(h.b.dir, 'hooks', 'env');
  // $0 is the argument after the -c script; argv[0] itself shows in /proc/$$/cmdline (only on the
  // host side: before pivot_root a createContainer hook sees the host's /proc, not its own pid's)
  const script = (file) => `printf '%s %s|%s|%s\\n' "$0" "$(tr '\\0' ' ' < /proc/$$/cmdline)" "$FOO" "$HOME" >> ${file}`;
  h.b.write((c) => {
    c.hooks = {
      prestart: [{ path: '/bin/sh', args: ['argv0-pre', '-c', script(out), 'prestart'], env: ['FOO=bar baz', ...ENV] }],
      createContainer: [{ path: '/bin/sh', args: ['argv0-cc', '-c', script(out), 'createContainer'], env: ['FOO=in-ns', ...ENV] }],
    };
  });
  process.env.HOME = process.env.HOME || '/root';
  const id = kit.id('args');
  const c = kit.create(h.b, id);
  try {
    assert.is(c.status, 0, c.err());
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.is(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^prestart argv0-pre -c printf .* prestart \|bar baz\|$/);
    assert.match(lines[1], /^createContainer .*\|in-ns\|$/);
  } finally {
    kit.destroy(id);
  }
});

for (const kind of ['prestart', 'createContainer']) {
  test(`hooks: a ${kind} hook running past its timeout is killed; create fails naming it, leaves nothing`, () => {
    const h = hookBundle((c) => { c.hooks = { [kind]: [{ path: '/bin/sh', args: ['sh', '-c', 'exec sleep 20'], env: ENV, timeout: 1 }] }; });
    const id = kit.id(`timeout-${kind}`);
    const t0 = Date.now();
    const c = kit.create(h.b, id);
    const took = Date.now() - t0;
    assert.is.not(c.status, 0);
    kit.assertNothingLeft(id);
    assert.ok(took < 8000, `create took ${took} ms with a 1 s hook timeout`);
    assert.match(c.err(), new RegExp(`${kind} hook`));
    assert.match(c.err(), /ETIMEDOUT|SIGTERM|SIGKILL|timed out|timeout/i, c.err());
  });
}

for (const kind of ['prestart', 'createRuntime', 'createContainer']) {
  test(`a failing ${kind} hook (exit 1): create fails naming it, and leaves nothing`, () => {
    const h = hookBundle((c, host) => { c.hooks = { [kind]: [host(kind, 1)] }; });
    const id = kit.id(`fail-${kind}`);
    const c = kit.create(h.b, id);
    assert.is.not(c.status, 0, 'create must fail');
    const err = c.err();
    assert.match(err, new RegExp(`${kind} hook`), err);
    assert.match(err, /\/bin\/sh/);
    if (kind === 'createContainer') assert.match(err, /ECANCELED|status 1/, err);
    else assert.match(err, /status 1/, err);
    assert.equal(h.entries().map((e) => e.name), [kind], 'the hook ran once');
    assertNothingLeft(id);
    // and `run` says the same
    const r = kit.run(h.b, kit.id(`fail-${kind}`));
    assert.is.not(r.status, 0);
    assert.match(r.stderr, new RegExp(`${kind} hook`));
    assert.not.match(r.stdout, /./, 'the container never ran');
  });
}

test('a createContainer hook inherits only stdio: not the sync socket between the runtime and pid 1', () => {
  const { b, log } = hookBundle();
  // the hook runs in the container's mount namespace before pivot_root: host paths still work
  b.write((c) => { c.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `ls /proc/self/fd > ${log}`], env: ENV }] }; });
  const id = kit.id('hook-fds');
  const c = kit.start(b, id);
  try {
    const fds = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number).filter((fd) => fd > 2);
    // ls itself holds one fd (the /proc/self/fd directory it reads); nothing else may be open
    assert.ok(fds.length <= 1, `fds open in the hook besides stdio: ${fds.join(' ')}`);
  } finally {
    kit.destroy(c.id);
  }
});

test('a failing startContainer hook: start fails naming it, the process never runs, delete leaves nothing', () => {
  const h = hookBundle((c, host, inside) => { c.hooks = { startContainer: [inside('startContainer', 1)] }; c.process.args = ['/probe', 'info']; });
  const id = kit.id('fail-start');
  const c = kit.create(h.b, id);
  assert.is(c.status, 0, c.err());
  try {
    const s = kit.mc(['start', id]);
    assert.is.not(s.status, 0, 'start must fail');
    assert.match(s.stderr, /startContainer|hook/);
    assert.equal(h.entries().map((e) => e.name), ['startContainer']);
    assert.is(c.out(), '', 'the probe never ran');
  } finally {
    kit.destroy(id);
  }
  assertNothingLeft(id);
});

test('a failing poststop hook: delete warns but still removes everything', () => {
  const h = hookBundle((c, host) => { c.hooks = { poststop: [host('poststop', 1)] }; });
  const id = kit.id('fail-poststop');
  const c = kit.create(h.b, id);
  assert.is(c.status, 0, c.err());
  fs.writeFileSync(h.log, ''); // (a create retried by the kit has run delete, and so the hook, once)
  const d = kit.mc(['delete', '--force', id]);
  assert.is(d.status, 0, d.stderr);
  assert.match(d.stderr, /poststop/);
  assert.equal(h.entries().map((e) => e.name), ['poststop']);
  assertNothingLeft(id);
});

const UNSUPPORTED = {
  'linux.seccomp': (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; },
  'linux.intelRdt': (c) => { c.linux.intelRdt = { closID: 'mct' }; },
  'linux.personality': (c) => { c.linux.personality = { domain: 'LINUX' }; },
  'linux.resources.blockIO': (c) => { c.linux.resources.blockIO = { weight: 10 }; },
  'process.ioPriority': (c) => { c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE' }; },
};
for (const [field, edit] of Object.entries(UNSUPPORTED)) {
  test(`unsupported ${field}: create and run fail naming the field, and leave nothing`, () => {
    const b = kit.bundle({ probe: ['info'], edit });
    const id = kit.id('unsupported');
    const c = kit.create(b, id);
    assert.is.not(c.status, 0);
    assert.ok(c.err().includes(field), `the error names ${field}: ${c.err()}`);
    assertNothingLeft(id);
    const rid = kit.id('unsupported');
    const r = kit.run(b, rid);
    assert.is.not(r.status, 0);
    assert.ok(r.stderr.includes(field), r.stderr);
    assert.is(r.stdout, '');
    assertNothingLeft(rid);
  });
}

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
