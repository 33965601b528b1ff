// The component: ferry calls importer.import to create a profile (needs palette-api:write).
import { send } from 'ferry:plugin/palette-api@{{contract}}';
import { request, uidOf } from './logic.js';

export const importer = {
  import(cx, env, document) {
    let req;
    try {
      req = request(document);
    } catch (e) {
      throw { tag: 'invalid-input', val: `not a profile export: ${e.message}` };
    }
    try {
      const response = send(env, req);
      return { uid: uidOf(response.status, response.body), findings: [] };
    } catch (e) {
      throw { tag: 'failed', val: `${req.method} ${req.path}: ${e.payload ?? e.message}` };
    }
  },
};
