import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskDocument } from './logic.js';

test('masks the values of keys with a word and reports where', () => {
  const values = "app:\n  apiToken: abc123 # keep me\n  replicas: 2\n  list:\n    - token: in-a-list\n---\nauthToken: 'x y'\n";
  const doc = JSON.stringify({ spec: { template: { packs: [{ name: 'p', values }] } } });
  const [masked, found] = maskDocument(doc, ['token']);
  assert.deepEqual(found.map((m) => [m.key, m.value]), [['[0]/app/apiToken', 'abc123'], ['[1]/authToken', "'x y'"]]);
  const out = JSON.parse(masked).spec.template.packs[0].values;
  assert.ok(out.includes('apiToken: "********" # keep me'), out);
  assert.ok(out.includes('token: in-a-list'), out);
});

test('nothing to mask leaves the document', () => {
  const doc = JSON.stringify({ spec: { template: { packs: [{ values: 'a: 1\n' }] } } });
  assert.deepEqual(maskDocument(doc, ['token']), [undefined, []]);
});
