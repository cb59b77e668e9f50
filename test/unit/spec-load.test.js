'use strict';
// loadSpec: reading <bundle>/config.json, with clear errors for a missing bundle, a missing file and bad JSON.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadSpec, locateJsonError } = require('../../dist/runtime/spec/validate');
const { defaultSpec } = require('../../dist/runtime/spec/default');
const { MiniconError } = require('../../dist/runtime/errors');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'minicon-load-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

function makeBundle(text) {
  const dir = path.join(tmp, `b${++n}`);
  fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true });
  if (text !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), text);
  return dir;
}

function good() {
  const s = defaultSpec();
  s.process.terminal = false;
  return JSON.stringify(s, null, '\t');
}

function loadError(dir, options) {
  try {
    loadSpec(dir, options);
  } catch (e) {
    assert.instance(e, MiniconError);
    assert.type(e.detail.hint, 'string');
    return e;
  }
  assert.unreachable(`loadSpec(${dir}) should fail`);
}

test('a valid bundle loads and is normalized', () => {
  const dir = makeBundle(good());
  const s = loadSpec(dir);
  assert.is(s.root.path, path.join(dir, 'rootfs'));
  assert.is(s.ociVersion, '1.0.2-dev');
  assert.is(s.process.terminal, false);
  // a relative bundle path works too
  assert.is(loadSpec(path.relative(process.cwd(), dir)).root.path, path.join(dir, 'rootfs'));
  // options reach the validator
  const t = makeBundle(JSON.stringify(defaultSpec()));
  assert.match(loadError(t).message, 'process.terminal: true needs --console-socket');
  assert.is(loadSpec(t, { allowTerminal: true }).process.terminal, true);
  // a byte order mark is tolerated
  assert.is(loadSpec(makeBundle('\ufeff' + good())).hostname, 'runc');
});

test('missing bundle, bundle that is a file', () => {
  const missing = path.join(tmp, 'nope');
  const e = loadError(missing);
  assert.is(e.message, `bundle ${missing} does not exist`);
  assert.match(e.detail.hint, '--bundle');
  assert.is(e.detail.path, missing);
  const file = path.join(tmp, 'plainfile');
  fs.writeFileSync(file, '{}');
  assert.is(loadError(file).message, `bundle ${file} is not a directory`);
  assert.is(loadError(path.join(file, 'sub')).message, `bundle ${path.join(file, 'sub')} does not exist`);
});

test('missing config.json, config.json that is a directory', () => {
  const dir = makeBundle();
  const e = loadError(dir);
  assert.is(e.message, `config.json: ${path.join(dir, 'config.json')} does not exist`);
  assert.match(e.detail.hint, 'minicon spec');
  assert.is(e.detail.errno, 'ENOENT');
  fs.mkdirSync(path.join(dir, 'config.json'));
  assert.match(loadError(dir).message, 'is a directory, not a file');
});

test('truncated and malformed JSON name the file and the position', () => {
  const e = loadError(makeBundle('{"ociVersion":"1.'));
  assert.is(e.message, 'config.json: not valid JSON at position 17: Unexpected end of JSON input');
  assert.match(e.detail.hint, 'line 1, column 18');
  assert.match(e.detail.hint, 'config.json');
  const full = good();
  const cut = full.slice(0, 200);
  assert.is(loadError(makeBundle(cut)).message, `config.json: not valid JSON at position ${cut.length}: Unexpected end of JSON input`);
  assert.is(loadError(makeBundle('')).message, 'config.json: not valid JSON at position 0: Unexpected end of JSON input');
  assert.match(loadError(makeBundle('  \n')).detail.hint, 'the file is empty');
  assert.is(loadError(makeBundle('{"a":}')).message, 'config.json: not valid JSON at position 5: Unexpected token "}"');
  assert.is(loadError(makeBundle('{"a" 1}')).message, "config.json: not valid JSON at position 5: Expected ':' after property name");
  assert.is(loadError(makeBundle('[1,]')).message, 'config.json: not valid JSON at position 3: Unexpected token "]"');
  assert.is(loadError(makeBundle('{} x')).message, 'config.json: not valid JSON at position 3: Unexpected non-whitespace character after JSON');
  const multi = '{\n  "ociVersion": "1.0.2",\n  "process": {,\n}';
  const m = loadError(makeBundle(multi));
  assert.is(m.message, `config.json: not valid JSON at position ${multi.indexOf(',\n}')}: Expected double-quoted property name`);
  assert.match(m.detail.hint, 'line 3, column 15');
  // valid JSON that is not an object
  assert.is(loadError(makeBundle('[]')).message, 'config.json: must be a JSON object, got an array');
  // valid JSON with a bad field: the validator's message
  const bad = JSON.parse(good());
  bad.linux.namespaces[2].type = 'foo';
  assert.match(loadError(makeBundle(JSON.stringify(bad))).message, 'config.json: linux.namespaces[2].type: unknown namespace type "foo"');
});

test('locateJsonError agrees with V8 where V8 gives a position', () => {
  const samples = ['{"a" 1}', '{"a":1,}', '{"a":1 "b":2}', '[1 2]', '{"a":"\\x"}', '{"a":"\u0001"}', '01', '-', '{"a":tru}', '"abc', '[', '{"a":[1,{"b":}]}', '1.', '1e', '1.5e+', '-a', '[1.x]'];
  for (const s of samples) {
    let v8;
    try {
      JSON.parse(s);
    } catch (e) {
      v8 = e.message;
    }
    assert.ok(v8, `${s} is invalid`);
    const mine = locateJsonError(s);
    assert.ok(mine, `locateJsonError(${JSON.stringify(s)}) finds the error`);
    const m = /at position (\d+)/.exec(v8);
    if (m) assert.is(mine.pos, Number(m[1]), `${JSON.stringify(s)}: V8 says ${v8}`);
    if (/Unexpected end of JSON input/.test(v8)) assert.is(mine.pos, s.length);
  }
  for (const s of ['{}', '[]', '1', '"x"', 'null', ' {"a": [1, 2.5e3, -0, true, false, null, "\\u00e9\\n"]} ', good()]) {
    assert.is(locateJsonError(s), undefined, s.slice(0, 40));
  }
});

test.run();
