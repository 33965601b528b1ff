import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, uidOf } from './logic.js';

test('the document is posted and the uid read back', () => {
  assert.equal(request('{}').path, '/v1/clusterprofiles/import');
  assert.equal(uidOf(201, '{"uid": "u1"}'), 'u1');
  assert.throws(() => uidOf(409, 'exists'));
});
