'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const caps = require('../../dist/runtime/spec/capabilities');
const { MiniconError } = require('../../dist/runtime/errors');

test('the table: 41 names, 0..40, kernel order', () => {
  const entries = Object.entries(caps.CAPABILITIES);
  assert.is(entries.length, 41);
  assert.is(caps.CAPABILITIES.CAP_CHOWN, 0);
  assert.is(caps.CAPABILITIES.CAP_KILL, 5);
  assert.is(caps.CAPABILITIES.CAP_NET_BIND_SERVICE, 10);
  assert.is(caps.CAPABILITIES.CAP_SYS_ADMIN, 21);
  assert.is(caps.CAPABILITIES.CAP_AUDIT_WRITE, 29);
  assert.is(caps.CAPABILITIES.CAP_SETFCAP, 31);
  assert.is(caps.CAPABILITIES.CAP_AUDIT_READ, 37);
  assert.is(caps.CAPABILITIES.CAP_PERFMON, 38);
  assert.is(caps.CAPABILITIES.CAP_BPF, 39);
  assert.is(caps.CAPABILITIES.CAP_CHECKPOINT_RESTORE, 40);
  assert.is(caps.LAST_KNOWN_CAP, 40);
  assert.equal(entries.map(([, n]) => n), [...Array(41).keys()]);
  for (const [name, n] of entries) assert.is(caps.capabilityName(n), name);
  assert.is(caps.capabilityName(41), undefined);
});

test('capabilityNumber, and unknown names', () => {
  assert.is(caps.capabilityNumber('CAP_SETUID'), 7);
  for (const [bad, guess] of [['cap_kill', 'CAP_KILL'], ['KILL', 'CAP_KILL'], ['CAP_FOO', undefined], ['', undefined]]) {
    try {
      caps.capabilityNumber(bad);
      assert.unreachable(`${bad} should throw`);
    } catch (e) {
      assert.instance(e, MiniconError);
      assert.is(e.message, `unknown capability ${JSON.stringify(bad)}`);
      if (guess) assert.match(e.detail.hint, `did you mean ${guess}?`);
      else assert.ok(e.detail.hint);
    }
  }
  assert.is(caps.isCapability('CAP_BPF'), true);
  assert.is(caps.isCapability('toString'), false);
  assert.is(caps.isCapability(5), false);
});

test('capabilityMask and capabilityNames', () => {
  assert.is(caps.capabilityMask([]), 0n);
  assert.is(caps.capabilityMask(['CAP_CHOWN']), 1n);
  // runc's default set: AUDIT_WRITE(29) KILL(5) NET_BIND_SERVICE(10)
  assert.is(caps.capabilityMask(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']), 0x20000420n);
  assert.is(caps.capabilityMask(['CAP_KILL', 'CAP_KILL']), 32n);
  const all = caps.capabilityMask(Object.keys(caps.CAPABILITIES));
  assert.is(all, (1n << 41n) - 1n);
  assert.is(caps.capabilityMask(new Set(['CAP_CHECKPOINT_RESTORE'])), 1n << 40n);
  assert.throws(() => caps.capabilityMask(['CAP_KILL', 'CAP_NOPE']), /unknown capability "CAP_NOPE"/);
  assert.equal(caps.capabilityNames(0x20000420n), ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE']);
  assert.equal(caps.capabilityNames(1n << 45n), ['CAP_45']);
  assert.equal(caps.capabilityNames(0n), []);
});

test('capabilityMask agrees with the kernel: CapBnd of this process', () => {
  const bnd = /^CapBnd:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
  const mask = BigInt('0x' + bnd);
  const names = caps.capabilityNames(mask);
  assert.is(caps.capabilityMask(names.filter((n) => caps.isCapability(n))) | (mask & ~((1n << 41n) - 1n)), mask);
});

test('lastCap reads cap_last_cap', () => {
  const expected = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  assert.is(caps.lastCap(), expected);
  assert.ok(expected >= 36 && expected <= 63);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicon-caps-'));
  try {
    fs.writeFileSync(path.join(dir, 'ok'), '38\n');
    assert.is(caps.lastCap(path.join(dir, 'ok')), 38);
    fs.writeFileSync(path.join(dir, 'bad'), 'banana\n');
    assert.throws(() => caps.lastCap(path.join(dir, 'bad')), /unexpected content "banana"/);
    try {
      caps.lastCap(path.join(dir, 'missing'));
      assert.unreachable();
    } catch (e) {
      assert.instance(e, MiniconError);
      assert.match(e.message, 'ENOENT');
      assert.is(e.detail.errno, 'ENOENT');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
