// The component: ferry calls approver.approve after validation, before it imports a profile.
import { decide } from './logic.js';

export const approver = {
  approve(cx, document, findings) {
    let decision, why;
    try {
      [decision, why] = decide(document, findings.filter((f) => f.severity === 'error').length);
    } catch (e) {
      throw { tag: 'invalid-input', val: `not a profile export: ${e.message}` };
    }
    return decision === 'approve' ? { tag: 'approve' } : { tag: 'deny', val: why };
  },
};
