// The component: ferry calls exporter.export to read a profile (needs palette-api:read).
import { send } from 'ferry:plugin/palette-api@{{contract}}';
import { request, documentOf } from './logic.js';

export const exporter = {
  export(cx, env, profile) {
    let req;
    try {
      req = request(profile.uid);
    } catch (e) {
      throw { tag: 'invalid-input', val: e.message };
    }
    try {
      // A host error (result's err) is thrown: its `payload` is the message.
      const response = send(env, req);
      return { document: documentOf(response.status, response.body), packs: [] };
    } catch (e) {
      throw { tag: 'failed', val: `${req.method} ${req.path}: ${e.payload ?? e.message}` };
    }
  },
};
