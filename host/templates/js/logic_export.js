// What this exporter asks Palette, apart from the component glue (plugin.js) so that it is
// tested with plain Node (test.mjs). ferry adds the credentials; the plugin never sees a key.
export function request(uid) {
  if (!uid) throw new Error('this exporter takes the profile by uid: --uid UID');
  return { method: 'GET', path: `/v1/clusterprofiles/${uid}/export`, query: [['format', 'json']] };
}

export function documentOf(status, body) {
  if (status !== 200) throw new Error(`Palette answered ${status}: ${body.slice(0, 200)}`);
  return body;
}
