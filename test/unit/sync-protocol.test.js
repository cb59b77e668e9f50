'use strict';
// The sync protocol codec (src/runtime/sync/protocol.ts via dist/): the bytes the runtime sends to
// minicon-init, and the reader of what comes back. Pure logic; the "frames from minicon-init" here
// are hand-made fixtures. The last tests compare the TypeScript table with native/init/sync.h.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const P = require('../../dist/runtime/sync/protocol');

const { SyncType, StepOp, FrameReader, decodeMessage, encodePlan, encodeGo, frame, MAX_FRAME } = P;

/** little-endian helpers for building expected bytes by hand */
const u16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
const str = (s) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
const fixtureFrame = (type, payload) => Buffer.concat([u32(payload.length + 2), u16(type), payload]);

// fixtures: frames as minicon-init sends them
const PID_FRAME = fixtureFrame(SyncType.PID, u32(4242));
const STEP_FRAME = fixtureFrame(SyncType.STEP, Buffer.concat([u32(3), i32(0), u64(123456789n)]));
const PAUSED_FRAME = fixtureFrame(SyncType.PAUSED, u32(7));
const READY_FRAME = fixtureFrame(SyncType.READY, u64(0x1122334455667788n));
const ERROR_FRAME = fixtureFrame(SyncType.ERROR, Buffer.concat([u32(6), i32(22), str('pivot_root'), str('/x/rootfs')]));
const ALL = [PID_FRAME, STEP_FRAME, PAUSED_FRAME, READY_FRAME, ERROR_FRAME];
const EXPECTED = [
  { type: SyncType.PID, pid: 4242 },
  { type: SyncType.STEP, index: 3, errno: 0, ns: 123456789n },
  { type: SyncType.PAUSED, index: 7 },
  { type: SyncType.READY, ns: 0x1122334455667788n },
  { type: SyncType.ERROR, index: 6, errno: 22, syscall: 'pivot_root', path: '/x/rootfs' },
];

test('encodePlan: a tiny plan, byte for byte', () => {
  const plan = {
    cloneFlags: 0x20020000n, flags: 3, stateDir: '/s', pidnsPath: '', home: ['/h'],
    steps: [
      { op: StepOp.UNSHARE, ints: [0x02000000], strs: [], describe: 'x' },
      { op: StepOp.SETRLIMIT, ints: [7, -1, 1024n], strs: [], describe: 'x' },
      { op: StepOp.CHDIR, ints: [], strs: ['/tmp'], describe: 'x' },
    ],
  };
  const expected = Buffer.from([
    0x60, 0x00, 0x00, 0x00, // frame length: 2 + 94
    0x01, 0x00, // PLAN
    0x00, 0x00, 0x02, 0x20, 0x00, 0x00, 0x00, 0x00, // u64 clone flags
    0x03, 0x00, 0x00, 0x00, // u32 flags (step mode | wait for GO)
    0x02, 0x00, 0x00, 0x00, 0x2f, 0x73, // str "/s"
    0x00, 0x00, 0x00, 0x00, // str ""
    0x01, 0x00, 0x00, 0x00, // u32 home files
    0x02, 0x00, 0x00, 0x00, 0x2f, 0x68, //   "/h"
    0x03, 0x00, 0x00, 0x00, // u32 nsteps
    0x02, 0x00, 0x01, 0x00, 0x00, 0x00, // UNSHARE, 1 int, 0 strs
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, //   CLONE_NEWCGROUP
    0x0d, 0x00, 0x03, 0x00, 0x00, 0x00, // SETRLIMIT (13), 3 ints, 0 strs
    0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //   7
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, //   -1
    0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //   1024
    0x0e, 0x00, 0x00, 0x00, 0x01, 0x00, // CHDIR (14), 0 ints, 1 str
    0x04, 0x00, 0x00, 0x00, 0x2f, 0x74, 0x6d, 0x70, //   "/tmp"
  ]);
  const got = encodePlan(plan);
  assert.is(got.toString('hex'), expected.toString('hex'));
  assert.is(got.readUInt32LE(0), got.length - 4);
});

test('encodePlan: the empty plan; UTF-8 strings count bytes, not characters', () => {
  const empty = encodePlan({ cloneFlags: 0n, flags: 0, stateDir: '', pidnsPath: '', home: [], steps: [] });
  assert.is(empty.toString('hex'), '1e000000' + '0100' + '0000000000000000' + '00000000' + '00000000' + '00000000' + '00000000' + '00000000');
  const utf = encodePlan({ cloneFlags: 0n, flags: 0, stateDir: 'é', pidnsPath: '', home: [], steps: [] });
  assert.is(utf.readUInt32LE(18), 2);
  assert.is(utf.subarray(22, 24).toString('utf8'), 'é');
});

test('encodeGo and frame', () => {
  assert.is(encodeGo('{}').toString('hex'), '08000000' + '0300' + '02000000' + '7b7d');
  assert.is(frame(SyncType.CONTINUE).toString('hex'), '02000000' + '0600');
  assert.is(frame(SyncType.CONTINUE, Buffer.from([1, 2])).toString('hex'), '04000000' + '0600' + '0102');
  assert.is(frame(SyncType.GO, Buffer.alloc(MAX_FRAME - 2)).length, MAX_FRAME + 4, 'exactly the maximum is allowed');
  assert.throws(() => frame(SyncType.GO, Buffer.alloc(MAX_FRAME - 1)), /too large/);
});

test('a NUL byte in any string sent to minicon-init throws, naming the problem', () => {
  const base = { cloneFlags: 0n, flags: 0, stateDir: '/s', pidnsPath: '', home: [], steps: [] };
  assert.throws(() => encodePlan({ ...base, stateDir: '/s\0x' }), /NUL/);
  assert.throws(() => encodePlan({ ...base, pidnsPath: '\0' }), /NUL/);
  assert.throws(() => encodePlan({ ...base, home: ['/sys/fs/cgroup/x\0/cgroup.procs'] }), /NUL/);
  assert.throws(() => encodePlan({ ...base, steps: [{ op: StepOp.EXEC, ints: [1], strs: ['/bin/sh\0-c'], describe: 'x' }] }), /NUL/);
  assert.throws(() => encodeGo('{"a":"\0"}'), /NUL/);
});

test('decodeMessage: every runtime-bound type', () => {
  ALL.forEach((f, i) => assert.equal(decodeMessage(f.readUInt16LE(4), f.subarray(6)), EXPECTED[i]));
  const neg = decodeMessage(SyncType.ERROR, Buffer.concat([u32(0), i32(-5), str(''), str('')]));
  assert.is(neg.errno, -5);
  const big = decodeMessage(SyncType.STEP, Buffer.concat([u32(0xffffffff), i32(2), u64(0xffffffffffffffffn)]));
  assert.is(big.index, 0xffffffff);
  assert.is(big.ns, 0xffffffffffffffffn);
});

test('decodeMessage: truncated payloads are rejected', () => {
  assert.throws(() => decodeMessage(SyncType.PID, Buffer.alloc(3)), /truncated/);
  assert.throws(() => decodeMessage(SyncType.PID, Buffer.alloc(0)), /truncated/);
  assert.throws(() => decodeMessage(SyncType.STEP, Buffer.alloc(15)), /truncated/);
  assert.throws(() => decodeMessage(SyncType.READY, Buffer.alloc(7)), /truncated/);
  assert.throws(() => decodeMessage(SyncType.PAUSED, Buffer.alloc(2)), /truncated/);
  // an ERROR whose path string claims more bytes than there are
  assert.throws(() => decodeMessage(SyncType.ERROR, Buffer.concat([u32(0), i32(1), str('x'), u32(10), Buffer.from('abc')])), /truncated/);
  // an ERROR without its path string at all
  assert.throws(() => decodeMessage(SyncType.ERROR, Buffer.concat([u32(0), i32(1), str('x')])), /truncated/);
});

test('decodeMessage: stray bytes after a message are rejected', () => {
  assert.throws(() => decodeMessage(SyncType.PID, Buffer.alloc(5)), /stray/);
  assert.throws(() => decodeMessage(SyncType.READY, Buffer.alloc(9)), /stray/);
  assert.throws(() => decodeMessage(SyncType.ERROR, Buffer.concat([ERROR_FRAME.subarray(6), Buffer.from([0])])), /stray/);
});

test('decodeMessage: types the runtime never receives, and unknown types, are rejected', () => {
  // EXEC goes from the child to the monitor on the status pipe, never to the runtime
  for (const t of [0, SyncType.PLAN, SyncType.GO, SyncType.CONTINUE, SyncType.EXEC, 10, 99, 0xffff]) {
    assert.throws(() => decodeMessage(t, Buffer.alloc(4)), /unexpected message type/, `type ${t}`);
  }
});

test('FrameReader: several frames in one chunk, in order', () => {
  const r = new FrameReader();
  assert.equal(r.feed(Buffer.concat(ALL)), EXPECTED);
  assert.equal(r.feed(Buffer.alloc(0)), []);
});

test('FrameReader: frames split at every byte boundary', () => {
  const all = Buffer.concat(ALL);
  for (let cut = 1; cut < all.length; cut++) {
    const r = new FrameReader();
    const got = [...r.feed(all.subarray(0, cut)), ...r.feed(all.subarray(cut))];
    assert.equal(got, EXPECTED, `cut at ${cut}`);
  }
  const r = new FrameReader();
  const got = [];
  for (const b of all) got.push(...r.feed(Buffer.from([b])));
  assert.equal(got, EXPECTED, 'one byte at a time');
});

test('FrameReader: a partial frame stays buffered until the rest arrives', () => {
  const r = new FrameReader();
  assert.equal(r.feed(Buffer.concat([PID_FRAME, READY_FRAME.subarray(0, 5)])), [EXPECTED[0]]);
  assert.equal(r.feed(READY_FRAME.subarray(5, 10)), []);
  assert.equal(r.feed(Buffer.concat([READY_FRAME.subarray(10), PAUSED_FRAME])), [EXPECTED[3], EXPECTED[2]]);
});

test('FrameReader: bad frame lengths and bad payloads throw', () => {
  assert.throws(() => new FrameReader().feed(Buffer.concat([u32(1), u16(2)])), /bad frame length 1/);
  assert.throws(() => new FrameReader().feed(Buffer.concat([u32(0), u16(2)])), /bad frame length/);
  assert.throws(() => new FrameReader().feed(Buffer.concat([u32(MAX_FRAME + 1), u16(2)])), /bad frame length/);
  assert.throws(() => new FrameReader().feed(Buffer.concat([u32(0xffffffff), u16(2)])), /bad frame length/);
  assert.throws(() => new FrameReader().feed(fixtureFrame(SyncType.PID, Buffer.alloc(3))), /truncated/);
  assert.throws(() => new FrameReader().feed(fixtureFrame(SyncType.GO, Buffer.alloc(4))), /unexpected/);
  // garbage text: "hell" as a length is far beyond MAX_FRAME
  assert.throws(() => new FrameReader().feed(Buffer.from('hello, not a frame')), /bad frame length/);
});

// ---- the TypeScript table against native/init/sync.h --------------------------------------------

const header = fs.readFileSync(path.join(__dirname, '..', '..', 'native', 'init', 'sync.h'), 'utf8');

function cEnum(name) {
  const body = new RegExp(`enum ${name} \\{([\\s\\S]*?)\\};`).exec(header);
  assert.ok(body, `enum ${name} in sync.h`);
  const out = {};
  let next = 0;
  for (const raw of body[1].replace(/\/\*[\s\S]*?\*\//g, '').split(',')) {
    const m = /^\s*(\w+)\s*(?:=\s*(\d+))?\s*$/.exec(raw);
    if (!m) continue;
    next = m[2] !== undefined ? Number(m[2]) : next;
    out[m[1]] = next++;
  }
  return out;
}

test('sync.h and protocol.ts: message types, step ops and the frame limit agree', () => {
  const types = cEnum('sync_type');
  for (const [k, v] of Object.entries(types)) assert.is(SyncType[k.replace(/^SYNC_/, '')], v, k);
  const cops = cEnum('step_op');
  for (const [k, v] of Object.entries(cops)) {
    if (k === 'OP_MAX') continue;
    assert.is(StepOp[k.replace(/^OP_/, '')], v, k);
  }
  const tsOps = Object.keys(StepOp).filter((k) => isNaN(Number(k)));
  assert.is(tsOps.length, cops.OP_MAX - 1, 'same number of ops');
  assert.ok(/#define SYNC_MAX_FRAME \(1u << 20\)/.test(header));
  assert.is(MAX_FRAME, 1 << 20);
  assert.ok(/#define PLAN_STEP_MODE 1u/.test(header));
  assert.is(P.PLAN_STEP_MODE, 1);
  assert.ok(/#define PLAN_WAIT_GO 2u/.test(header));
  assert.is(P.PLAN_WAIT_GO, 2);
});

test.run();
