// What this importer sends Palette, apart from the component glue (plugin.js) so that it is
// tested with plain Node (test.mjs). ferry adds the credentials and allows the write only outside
// dry runs, to a plugin granted palette-api:write.
export function request(document) {
  JSON.parse(document);
  return { method: 'POST', path: '/v1/clusterprofiles/import', query: [['publish', 'true']], body: document };
}

export function uidOf(status, body) {
  if (status !== 200 && status !== 201) throw new Error(`Palette answered ${status}: ${body.slice(0, 200)}`);
  return JSON.parse(body).uid;
}
