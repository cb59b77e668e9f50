'use strict';
// config.json "root" (path relative and absolute, readonly), "hostname", "domainname".
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const kit = require('../helpers/config-kit')('root');
const { mountAt } = require('../helpers/config-kit');

test.before(kit.begin);
test.after(kit.cleanup);

const marker = `marker-${process.pid}-${Date.now()}`;

test('root.path relative: resolved against the bundle, not the CLI\'s cwd', () => {
  const b = kit.bundle({ shared: false, probe: ['cat', '/marker'] });
  assert.is(b.config.root.path, 'rootfs');
  fs.writeFileSync(path.join(b.rootfs, 'marker'), marker);
  // the CLI runs from / : a relative root resolved against the cwd would be /rootfs
  const r = kit.mc(['run', '--bundle', b.dir, kit.id('relative')], { cwd: '/' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.split('\n')[1], marker);
  b.write({ process: { args: ['/probe', 'stat', '/'] } });
  const s = kit.probe(b, kit.id('relative'));
  assert.is(Number(s.ino), fs.statSync(b.rootfs).ino, 'the container\'s / is the bundle\'s rootfs');
});

test('root.path absolute: a rootfs outside the bundle', () => {
  const owner = kit.bundle({ shared: false, name: 'root-owner' });
  fs.writeFileSync(path.join(owner.rootfs, 'marker'), marker);
  const b = kit.bundle({ probe: ['cat', '/marker'], edit: { root: { path: owner.rootfs, readonly: true } } });
  assert.not.ok(fs.existsSync(path.join(b.dir, 'rootfs')));
  const r = kit.run(b, kit.id('absolute'));
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.split('\n')[1], marker);
});

test('root.readonly true: writing to / fails with EROFS, / is mounted ro', () => {
  const b = kit.bundle({ shared: false, probe: ['write', '/newfile', 'x'], edit: { root: { readonly: true } } });
  const r = kit.run(b, kit.id('ro'));
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^error=EROFS$/m);
  assert.not.ok(fs.existsSync(path.join(b.rootfs, 'newfile')));
  b.write({ process: { args: ['/probe', 'sleep', '30'] } });
  const c = kit.start(b, kit.id('ro'));
  try {
    const root = mountAt(c.pid, '/');
    assert.ok(root.options.includes('ro'), `/ is ${root.line}`);
  } finally {
    kit.destroy(c.id);
  }
});

test('root.readonly false: the container writes into the rootfs', () => {
  const b = kit.bundle({ shared: false, probe: ['write', '/newfile', marker], edit: { root: { readonly: false } } });
  const r = kit.run(b, kit.id('rw'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is(fs.readFileSync(path.join(b.rootfs, 'newfile'), 'utf8'), marker);
});

test('hostname: set in the container\'s uts namespace, the host\'s unchanged', () => {
  const host = os.hostname();
  const name = `box-${process.pid}`;
  const b = kit.bundle({ probe: ['info'], edit: { hostname: name } });
  const p = kit.probe(b, kit.id('hostname'));
  assert.is(p.hostname, name);
  assert.is(os.hostname(), host);
  assert.is(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), host);
});

test('domainname: set in the container\'s uts namespace, the host\'s unchanged', () => {
  const host = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim();
  const b = kit.bundle({ probe: ['info'], edit: { hostname: 'h', domainname: `dom-${process.pid}.test` } });
  const p = kit.probe(b, kit.id('domainname'));
  assert.is(p.domainname, `dom-${process.pid}.test`);
  assert.is(p.hostname, 'h');
  assert.is(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim(), host);
});

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
