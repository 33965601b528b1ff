"""The component: ferry calls Validator.validate before it imports a profile."""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types

import logic


class Validator(exports.Validator):
    def validate(self, cx, document, packs):
        try:
            found = logic.findings(document)
        except ValueError as e:
            raise Err(types.PluginError_InvalidInput(f"not a profile export: {e}"))
        return [
            types.Finding(
                severity=types.Severity.ERROR,
                code=f["code"],
                message=f["message"],
                path=f["path"],
                yaml_path=None,
                subject=types.Subject_Pack(f["pack"]),
                hint=f["hint"],
                fix=None,
            )
            for f in found
        ]
