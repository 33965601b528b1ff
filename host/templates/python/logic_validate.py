"""What this validator checks, apart from the component glue (app.py) so that it is tested with
plain Python (test_logic.py): every pack names a pinned version."""
import json


def findings(document):
    """A list of dicts, one per pack without a pinned version."""
    doc = json.loads(document)
    out = []
    for n, pack in enumerate(doc.get("spec", {}).get("template", {}).get("packs", [])):
        version = str(pack.get("version") or "")
        if version in ("", "latest") or "*" in version:
            out.append({
                "code": "acme-unpinned-pack",
                "message": f"pack {pack.get('name')!r} has no pinned version ({version or 'none'})",
                "path": f"/spec/template/packs/{n}/version",
                "pack": f"{pack.get('name')}@{version}",
                "hint": "pin the pack to a released version in the source profile",
            })
    return out
