"""The component: ferry calls Importer.import_ to create a profile (needs palette-api:write)."""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import palette_api, types

import logic


class Importer(exports.Importer):
    def import_(self, cx, env, document):
        try:
            method, path, query, body = logic.request(document)
        except ValueError as e:
            raise Err(types.PluginError_InvalidInput(f"not a profile export: {e}"))
        try:
            response = palette_api.send(env, palette_api.Request(method=method, path=path, query=query, body=body))
        except Err as e:
            raise Err(types.PluginError_Failed(f"{method} {path}: {e.value}"))
        try:
            return types.ImportOutput(uid=logic.uid(response.status, response.body), findings=[])
        except (ValueError, KeyError) as e:
            raise Err(types.PluginError_Failed(str(e)))
