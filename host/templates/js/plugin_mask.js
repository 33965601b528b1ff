// The component: ferry calls masker.mask for every profile it exports or masks.
import { get } from 'ferry:plugin/config@{{contract}}';
import { maskDocument } from './logic.js';

export const masker = {
  mask(cx, document, packs) {
    // Settings come from the policy: [plugins.{{id}}] config = { key-words = "token,secret" }
    const words = (get('key-words') ?? 'token').split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
    let result;
    try {
      result = maskDocument(document, words);
    } catch (e) {
      // A thrown { tag, val } is the call's plugin-error.
      throw { tag: 'invalid-input', val: `not a profile export: ${e.message}` };
    }
    const [masked, values] = result;
    return { document: masked, masked: values };
  },
};
