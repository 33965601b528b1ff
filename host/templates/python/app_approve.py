"""The component: ferry calls Approver.approve after validation, before it imports a profile."""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types

import logic


class Approver(exports.Approver):
    def approve(self, cx, document, findings):
        errors = sum(1 for f in findings if f.severity == types.Severity.ERROR)
        try:
            decision, why = logic.decide(document, errors)
        except ValueError as e:
            raise Err(types.PluginError_InvalidInput(f"not a profile export: {e}"))
        return types.Decision_Approve() if decision == "approve" else types.Decision_Deny(why)
