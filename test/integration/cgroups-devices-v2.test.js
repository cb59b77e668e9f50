'use strict';
// Device rules on cgroup v2: the eBPF device filter (BPF_PROG_TYPE_CGROUP_DEVICE) MiniCon attaches to
// the container's cgroup. The containers hold CAP_MKNOD in every set and have a tmpfs /dev, so only
// the filter stands between them and the host's devices. What is checked is what the kernel lets the
// container do (open, mknod), never MiniCon's own report. Runs on cgroup v2 only (test/vm/run.sh).
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const kit = require('../helpers/config-kit')('devv2');

const unified = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

/** A bundle whose process (busybox sh -c script) holds CAP_MKNOD in every capability set. */
function mknodBundle(script, devices) {
  return kit.bundle({
    edit: (c) => {
      c.process.args = ['/bin/sh', '-c', script];
      for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient']) {
        const caps = c.process.capabilities[set] || (c.process.capabilities[set] = []);
        if (!caps.includes('CAP_MKNOD')) caps.push('CAP_MKNOD');
      }
      if (devices) c.linux.resources.devices = devices;
    },
  });
}

/** The "== name" sections of the output as {name: text}. */
function sections(text) {
  const out = {};
  let cur;
  for (const l of text.split('\n')) {
    const m = /^@@ (\S+)$/.exec(l);
    if (m) { cur = m[1]; out[cur] = ''; continue; }
    if (cur) out[cur] += `${l}\n`;
  }
  return out;
}

if (!unified) {
  test('cgroups-devices-v2: skipped (this host has cgroup v1/hybrid; the file runs inside test/vm/run.sh)', () => {
    console.log('\n  skip: cgroups-devices-v2.test.js needs cgroup v2 (bash test/vm/run.sh)');
  });
} else {
  test.before(kit.begin);
  test.after(kit.cleanup);

  test('default rules with CAP_MKNOD: the standard devices work; a block device can be neither made nor opened', () => {
    const b = mknodBundle([
      'echo "@@ null"; /probe write /dev/null x',
      'echo "@@ zero"; head -c 4 /dev/zero | wc -c',
      'echo "@@ mknod-null"; mknod /dev/null2 c 1 3 2>&1; /probe write /dev/null2 x',
      'echo "@@ mknod-sda"; mknod /dev/sda b 8 0 2>&1; echo "rc=$?"',
      'echo "@@ open-sda"; if [ -e /dev/sda ]; then /probe cat /dev/sda; else echo absent; fi',
      'echo "@@ mknod-mem"; mknod /dev/mem2 c 1 1 2>&1; echo "rc=$?"',
      'echo "@@ open-mem"; if [ -e /dev/mem2 ]; then /probe cat /dev/mem2; else echo absent; fi',
      'echo "@@ end"',
    ].join('; '));
    const r = kit.run(b, kit.id('default'));
    assert.is(r.status, 0, `run failed (CAP_MKNOD must be accepted on v2 now)\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const s = sections(r.stdout);
    assert.ok('end' in s, r.stdout + r.stderr);
    assert.is(s.null.trim(), 'ok', `/dev/null is writable: ${s.null}`);
    assert.is(s.zero.trim(), '4', `/dev/zero is readable: ${s.zero}`);
    assert.match(s['mknod-null'], /^ok$/m, `mknod c 1:3 and write it: ${s['mknod-null']}`);
    // MiniCon's default rules do not allow "b *:* m" (runc's do): mknod itself fails; if it were
    // allowed, opening the node must still fail
    const sdaMade = !/absent/.test(s['open-sda']);
    if (sdaMade) assert.match(s['open-sda'], /error=EPERM/, `open b 8:0: ${s['open-sda']}`);
    else assert.match(s['mknod-sda'], /Operation not permitted/, `mknod b 8:0: ${s['mknod-sda']}`);
    const memMade = !/absent/.test(s['open-mem']);
    if (memMade) assert.match(s['open-mem'], /error=EPERM/, `open c 1:1 (/dev/mem): ${s['open-mem']}`);
    else assert.match(s['mknod-mem'], /Operation not permitted/, `mknod c 1:1: ${s['mknod-mem']}`);
  });

  test('an explicit rule is honoured as written: c 10:237 "mr" allows mknod and read, not write; others stay denied', () => {
    const b = mknodBundle([
      'echo "@@ mknod-lc"; mknod /dev/lc c 10 237 2>&1; echo "rc=$?"',
      'echo "@@ read-lc"; /probe cat /dev/lc',
      'echo "@@ write-lc"; /probe write /dev/lc x',
      'echo "@@ mknod-fuse"; mknod /dev/fuse c 10 229 2>&1; echo "rc=$?"',
      'echo "@@ null"; /probe write /dev/null x',
      'echo "@@ end"',
    ].join('; '), [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 237, access: 'mr' }]);
    const r = kit.run(b, kit.id('explicit'));
    assert.is(r.status, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const s = sections(r.stdout);
    assert.ok('end' in s, r.stdout + r.stderr);
    assert.match(s['mknod-lc'], /rc=0/, `mknod c 10:237 allowed by "m": ${s['mknod-lc']}`);
    // read(2) on loop-control fails (EINVAL, or ENXIO/ENODEV without the driver), but never EPERM:
    // the open got through the filter
    assert.not.match(s['read-lc'], /error=EPERM/, `open c 10:237 for reading: ${s['read-lc']}`);
    assert.match(s['write-lc'], /error=EPERM/, `open c 10:237 for writing: ${s['write-lc']}`);
    assert.match(s['mknod-fuse'], /Operation not permitted/, `mknod c 10:229: ${s['mknod-fuse']}`);
    assert.match(s['mknod-fuse'], /rc=1/);
    assert.is(s.null.trim(), 'ok', 'the standard devices stay allowed');
  });

  test('no deny-all: a specific deny on the inherited allow-all (b 8:* denied, c 10:237 mknod allowed)', () => {
    const b = mknodBundle([
      'echo "@@ mknod-sda"; mknod /dev/sda b 8 0 2>&1; echo "rc=$?"',
      'echo "@@ mknod-lc"; mknod /dev/lc c 10 237 2>&1; echo "rc=$?"',
      'echo "@@ read-lc"; /probe cat /dev/lc',
      'echo "@@ end"',
    ].join('; '), [{ allow: false, type: 'b', major: 8, minor: null, access: 'rwm' }]);
    const r = kit.run(b, kit.id('blacklist'));
    assert.is(r.status, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const s = sections(r.stdout);
    assert.ok('end' in s, r.stdout + r.stderr);
    assert.match(s['mknod-sda'], /Operation not permitted/, s['mknod-sda']);
    assert.match(s['mknod-lc'], /rc=0/, s['mknod-lc']);
    assert.not.match(s['read-lc'], /error=EPERM/, s['read-lc']);
  });

  test('no leaks: no mount, cgroup, process, state or netns left by this file', kit.noLeaks);
}

test.run();
