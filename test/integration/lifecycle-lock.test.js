'use strict';
// One command at a time per container: create, start, kill, delete, pause and resume take an flock
// on the container's state directory. Here `flock(1)` (util-linux) holds it from outside, as
// another minicon command would, and the kernel shows whether delete waited.
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn, spawnSync } = require('child_process');
const kit = require('../helpers/config-kit')('lock');
const { sleepMs } = require('../helpers/config-kit');

test.before(kit.begin);
test.after(kit.cleanup);

test('delete --force waits while another command holds the container, then removes it', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const c = kit.start(b, kit.id('lock'));
  const dir = `${kit.root}/${c.id}`;
  const holder = spawn('flock', [dir, '-c', 'sleep 1.5'], { stdio: 'ignore' });
  sleepMs(300); // the holder has the lock
  const t0 = Date.now();
  const r = kit.mc(['delete', '--force', c.id]);
  const waited = Date.now() - t0;
  holder.kill();
  assert.is(r.status, 0, r.stderr);
  assert.ok(waited >= 900, `delete returned after ${waited} ms while the lock was held for 1.5 s`);
  kit.assertNothingLeft(c.id);
});

test('a command that cannot get the lock within its time says the container is busy', () => {
  const b = kit.bundle({ probe: ['sleep', '30'] });
  const c = kit.start(b, kit.id('busy'));
  const dir = `${kit.root}/${c.id}`;
  const holder = spawn('flock', [dir, '-c', 'sleep 12'], { stdio: 'ignore' });
  try {
    sleepMs(300);
    const r = kit.mc(['pause', c.id], { timeout: 20000 });
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /is busy/);
    assert.is(kit.state(c.id).status, 'running', 'nothing changed');
  } finally {
    holder.kill('SIGKILL');
    spawnSync('sleep', ['0.2']);
    kit.destroy(c.id);
  }
});

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
