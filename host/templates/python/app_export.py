"""The component: ferry calls Exporter.export to read a profile (needs palette-api:read)."""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import palette_api, types

import logic


class Exporter(exports.Exporter):
    def export(self, cx, env, profile):
        try:
            method, path, query = logic.request(profile.uid)
        except ValueError as e:
            raise Err(types.PluginError_InvalidInput(str(e)))
        try:
            response = palette_api.send(env, palette_api.Request(method=method, path=path, query=query, body=None))
        except Err as e:
            raise Err(types.PluginError_Failed(f"{method} {path}: {e.value}"))
        try:
            return types.ExportOutput(document=logic.document(response.status, response.body), packs=[])
        except ValueError as e:
            raise Err(types.PluginError_Failed(str(e)))
