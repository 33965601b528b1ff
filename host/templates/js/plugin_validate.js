// The component: ferry calls validator.validate before it imports a profile.
import { findings } from './logic.js';

export const validator = {
  validate(cx, document, packs) {
    let found;
    try {
      found = findings(document);
    } catch (e) {
      // A thrown { tag, val } is the call's plugin-error.
      throw { tag: 'invalid-input', val: `not a profile export: ${e.message}` };
    }
    return found.map((f) => ({
      severity: 'error',
      code: f.code,
      message: f.message,
      path: f.path,
      subject: { tag: 'pack', val: f.pack },
      hint: f.hint,
    }));
  },
};
