"""The component: ferry calls Masker.mask for every profile it exports or masks."""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import config, types

import logic


class Masker(exports.Masker):
    def mask(self, cx, document, packs):
        # Settings come from the policy: [plugins.{{id}}] config = { key-words = "token,secret" }
        words = [w.strip().lower() for w in (config.get("key-words") or "token").split(",") if w.strip()]
        try:
            masked_document, masked = logic.mask_document(document, words)
        except ValueError as e:
            raise Err(types.PluginError_InvalidInput(f"not a profile export: {e}"))
        return types.MaskOutput(
            document=masked_document,
            masked=[types.MaskedValue(pointer=p, key=k, value=v, rule=r) for p, k, v, r in masked],
        )
