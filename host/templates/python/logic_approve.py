"""What this approver decides, apart from the component glue (app.py) so that it is tested with
plain Python (test_logic.py): a profile goes ahead only with a change ticket and no errors."""
import json


def decide(document, error_count):
    """("approve", None) or ("deny", why)."""
    labels = json.loads(document).get("metadata", {}).get("labels") or {}
    if error_count:
        return "deny", f"{error_count} finding(s) of severity error"
    if not labels.get("change-ticket"):
        return "deny", "the profile has no change-ticket label; add one (metadata.labels.change-ticket)"
    return "approve", None
