'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { validateId, isValidId, ID_MAX_LENGTH } = require('../../dist/runtime/container/id');
const { MiniconError } = require('../../dist/runtime/errors');

function rejects(id, hintPart) {
  let err;
  try {
    validateId(id);
  } catch (e) {
    err = e;
  }
  assert.ok(err, `validateId(${JSON.stringify(id)}) should throw`);
  assert.instance(err, MiniconError);
  assert.match(err.message, 'invalid container ID ');
  assert.match(err.message, ': use 1 to 1024 of A-Z a-z 0-9 _ . - (not "." or "..")');
  assert.ok(err.detail.hint, 'has a hint');
  if (hintPart) assert.match(err.detail.hint, hintPart);
  assert.is(isValidId(id), false);
  return err;
}

test('valid ids pass and are returned', () => {
  for (const id of ['a', 'A', '0', 'my-container_1.2', 'x'.repeat(ID_MAX_LENGTH), '.hidden', '-dash', 'a..b', '...']) {
    assert.is(validateId(id), id);
    assert.is(isValidId(id), true);
  }
});

test('the exact message for ../x', () => {
  const err = rejects('../x', '"/" is not allowed');
  assert.is(err.message, 'invalid container ID "../x": use 1 to 1024 of A-Z a-z 0-9 _ . - (not "." or "..")');
});

test('empty, slash, dot, dotdot, too long, odd characters', () => {
  rejects('', 'missing or empty');
  rejects('a/b', '"/"');
  rejects('.', 'state directory');
  rejects('..', 'state directory');
  const long = rejects('x'.repeat(ID_MAX_LENGTH + 1), '1025 characters');
  assert.ok(long.message.length < 300, 'a long id is abbreviated in the message');
  rejects('a b', '" "');
  rejects('a+b', '"+"');
  rejects('a\nb');
  rejects('é');
  rejects('a\0b');
  rejects(undefined, 'missing or empty');
});

test.run();
