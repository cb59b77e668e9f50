'use strict';
// A race in create, opt-in because it only shows now and then: without PLAN_WAIT_GO (no user
// namespace, no prestart/createRuntime/createContainer/startContainer hooks) pid 1 runs its steps
// right after clone3 and sends READY on the sync socket, while the monitor first writes itself back
// to its own cgroups (one cgroup.procs write per v1 hierarchy) and only then sends PID. When READY
// reaches the runtime first, create resolves with no pid: --pid-file holds "undefined", state.json
// has no pid (`state` says "stopped"), and `delete --force` then leaves the container's processes
// and cgroups behind.
//
//   MINICON_RACE_LOOPS=60 npx uvu test/integration 'config-pidfile\.test\.js$'
//
// (config-kit's create() retries when it meets this race, so the other config tests stay
// deterministic; here create is called directly.)
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const kit = require('../helpers/config-kit')('pidfile');

const LOOPS = Number(process.env.MINICON_RACE_LOOPS || 0);

test.before(kit.begin);
test.after(kit.cleanup);

if (!LOOPS) {
  test('create: --pid-file always holds pid 1 (skipped: set MINICON_RACE_LOOPS=60 to run this race check)', () => {
    console.log('  skip: MINICON_RACE_LOOPS is not set');
  });
} else {
  test(`create: --pid-file and state.json hold pid 1's host pid, ${LOOPS} creates in a row`, () => {
    // the smallest plan: pid 1 reaches READY as fast as it can
    const b = kit.bundle({
      probe: ['sleep', '30'],
      edit: (c) => {
        c.mounts = [];
        c.linux.namespaces = [{ type: 'mount' }];
        delete c.hostname;
        delete c.linux.maskedPaths;
        delete c.linux.readonlyPaths;
        delete c.process.rlimits;
        delete c.process.capabilities;
      },
    });
    const bad = [];
    for (let i = 0; i < LOOPS && !bad.length; i++) {
      const id = kit.id('race');
      const pidFile = path.join(b.dir, `${id}.pid`);
      const errFile = path.join(b.dir, `${id}.err`);
      const e = fs.openSync(errFile, 'w');
      let r;
      try {
        // (the container inherits the CLI's stdio: no pipe, or spawnSync would wait for the container)
        r = kit.mc(['create', '--bundle', b.dir, '--pid-file', pidFile, id], { stdio: ['ignore', 'ignore', e] });
      } finally {
        fs.closeSync(e);
      }
      assert.is(r.status, 0, fs.readFileSync(errFile, 'utf8'));
      const text = fs.readFileSync(pidFile, 'utf8');
      const state = JSON.parse(fs.readFileSync(path.join(kit.root, id, 'state.json'), 'utf8'));
      if (!(Number(text) > 0) || !(state.pid > 0)) bad.push(`create #${i + 1} ${id}: --pid-file ${JSON.stringify(text)}, state.json pid ${state.pid}`);
      kit.teardown(id);
    }
    assert.equal(bad, [], bad.join('\n'));
  });
}

test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);

test.run();
