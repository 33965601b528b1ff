import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, documentOf } from './logic.js';

test('the request names the profile', () => {
  assert.equal(request('abc').path, '/v1/clusterprofiles/abc/export');
  assert.throws(() => request(undefined));
});

test('an error status is an error', () => {
  assert.equal(documentOf(200, '{}'), '{}');
  assert.throws(() => documentOf(404, 'not found'));
});
