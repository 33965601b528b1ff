import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findings } from './logic.js';

test('an unpinned pack is a finding', () => {
  const doc = JSON.stringify({ spec: { template: { packs: [{ name: 'ok', version: '1.2.0' }, { name: 'loose', version: 'latest' }] } } });
  assert.deepEqual(findings(doc).map((f) => f.path), ['/spec/template/packs/1/version']);
});

test('pinned packs pass', () => {
  assert.deepEqual(findings('{"spec": {"template": {"packs": []}}}'), []);
});
