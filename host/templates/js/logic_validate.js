// What this validator checks, apart from the component glue (plugin.js) so that it is tested
// with plain Node (test.mjs): every pack names a pinned version.
export function findings(document) {
  const doc = JSON.parse(document);
  return (doc.spec?.template?.packs ?? []).flatMap((pack, n) => {
    const version = String(pack.version ?? '');
    if (version && version !== 'latest' && !version.includes('*')) return [];
    return [{
      code: 'acme-unpinned-pack',
      message: `pack '${pack.name}' has no pinned version (${version || 'none'})`,
      path: `/spec/template/packs/${n}/version`,
      pack: `${pack.name}@${version}`,
      hint: 'pin the pack to a released version in the source profile',
    }];
  });
}
