// What this masker does, apart from the component glue (plugin.js) so that it is tested with
// plain Node (test.mjs). Masks the values of YAML keys that contain one of some words.

// Palette's placeholder, quoted: unquoted in YAML, `*` starts an alias.
export const PLACEHOLDER = '"********"';
const KEY_AND_VALUE = /^( *)([A-Za-z0-9_.-]+):[ \t]+([^#\s][^#]*?)[ \t]*(#.*)?$/;
const KEY_ONLY = /^( *)([A-Za-z0-9_.-]+):[ \t]*(#.*)?$/;
const LIST_ITEM = /^( *)- /;

// A JSON pointer (RFC 6901) over the YAML tree: what ferry takes as masked-value.key.
export function pointer(path) {
  return path.map((p) => '/' + p.replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

function worthMasking(value) {
  return !['', '""', "''", PLACEHOLDER, '********'].includes(value) && !value.includes('{{') && !'|>&*[{'.includes(value[0]);
}

// Masks the scalars of block-mapping keys containing one of `words` (lowercase). Returns the new
// text and a list of [key, source text]. Keys are JSON pointers, after `[n]` in document n of a
// text holding several `---` documents. Values inside lists are left alone: this template reads
// YAML line by line; use a YAML library for more.
export function maskYaml(text, words) {
  const lines = text.split('\n');
  const separators = lines.flatMap((l, i) => (l.trimEnd() === '---' ? [i] : []));
  const leading = separators.length > 0 && lines.slice(0, separators[0]).every((l) => !l.trim());
  const documents = separators.length + (leading ? 0 : 1);
  let doc = leading ? -1 : 0;
  let stack = [];
  const masked = [];
  lines.forEach((line, i) => {
    if (line.trimEnd() === '---') {
      doc += 1;
      stack = [];
      return;
    }
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const indent = line.length - line.trimStart().length;
    while (stack.length && stack[stack.length - 1][0] >= indent) stack.pop();
    if (LIST_ITEM.test(line)) {
      stack.push([indent, null]);
      return;
    }
    let m = KEY_AND_VALUE.exec(line);
    if (m) {
      const path = [...stack.map(([, k]) => k), m[2]];
      const value = m[3];
      if (path.includes(null) || !worthMasking(value)) return;
      if (words.some((w) => m[2].toLowerCase().includes(w))) {
        const key = (documents > 1 ? `[${doc}]` : '') + pointer(path);
        masked.push([key, value]);
        const start = m[1].length + m[2].length + line.slice(m[1].length + m[2].length).indexOf(value);
        lines[i] = line.slice(0, start) + PLACEHOLDER + line.slice(start + value.length);
      }
      return;
    }
    m = KEY_ONLY.exec(line);
    if (m) stack.push([indent, m[2]]);
  });
  return [lines.join('\n'), masked];
}

// Masks every pack's values in a Palette export (JSON text). Returns the masked document
// (undefined when nothing was masked) and a list of {pointer, key, value, rule}.
export function maskDocument(document, words) {
  const doc = JSON.parse(document);
  const masked = [];
  (doc.spec?.template?.packs ?? []).forEach((pack, n) => {
    if (typeof pack.values !== 'string') return;
    const [text, found] = maskYaml(pack.values, words);
    for (const [key, value] of found) {
      masked.push({ pointer: `/spec/template/packs/${n}/values`, key, value, rule: 'acme:key-word' });
    }
    pack.values = text;
  });
  return [masked.length ? JSON.stringify(doc, null, 2) : undefined, masked];
}
