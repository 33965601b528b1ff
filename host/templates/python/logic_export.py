"""What this exporter asks Palette, apart from the component glue (app.py) so that it is tested
with plain Python (test_logic.py). ferry adds the credentials; the plugin never sees a key."""


def request(uid):
    """(method, path, query) of the export of profile `uid`."""
    if not uid:
        raise ValueError("this exporter takes the profile by uid: --uid UID")
    return "GET", f"/v1/clusterprofiles/{uid}/export", [("format", "json")]


def document(status, body):
    """The export document out of Palette's answer, or ValueError saying why not."""
    if status != 200:
        raise ValueError(f"Palette answered {status}: {body[:200]}")
    return body
