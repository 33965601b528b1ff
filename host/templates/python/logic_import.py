"""What this importer sends Palette, apart from the component glue (app.py) so that it is tested
with plain Python (test_logic.py). ferry adds the credentials and allows the write only outside
dry runs, to a plugin granted palette-api:write."""
import json


def request(document):
    """(method, path, query, body) of the import of `document`."""
    json.loads(document)
    return "POST", "/v1/clusterprofiles/import", [("publish", "true")], document


def uid(status, body):
    """The new profile's uid out of Palette's answer, or ValueError saying why not."""
    if status not in (200, 201):
        raise ValueError(f"Palette answered {status}: {body[:200]}")
    return json.loads(body)["uid"]
