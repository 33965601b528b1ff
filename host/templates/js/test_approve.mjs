import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './logic.js';

test('a change ticket is needed', () => {
  assert.equal(decide(JSON.stringify({ metadata: { labels: {} } }), 0)[0], 'deny');
  const ticket = JSON.stringify({ metadata: { labels: { 'change-ticket': 'CHG-1' } } });
  assert.deepEqual(decide(ticket, 0), ['approve', undefined]);
  assert.equal(decide(ticket, 1)[0], 'deny');
});
