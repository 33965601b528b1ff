// What this approver decides, apart from the component glue (plugin.js) so that it is tested
// with plain Node (test.mjs): a profile goes ahead only with a change ticket and no errors.
export function decide(document, errorCount) {
  const labels = JSON.parse(document).metadata?.labels ?? {};
  if (errorCount) return ['deny', `${errorCount} finding(s) of severity error`];
  if (!labels['change-ticket']) return ['deny', 'the profile has no change-ticket label; add one (metadata.labels.change-ticket)'];
  return ['approve', undefined];
}
