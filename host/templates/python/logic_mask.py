"""What this masker does, apart from the component glue (app.py) so that it is tested with
plain Python (test_logic.py). Masks the values of YAML keys that contain one of some words."""
import json
import re

# Palette's placeholder, quoted: unquoted in YAML, `*` starts an alias.
PLACEHOLDER = '"********"'
KEY_AND_VALUE = re.compile(
    r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):[ \t]+(?P<value>[^#\s][^#]*?)[ \t]*(?:#.*)?$"
)
KEY_ONLY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):[ \t]*(?:#.*)?$")
LIST_ITEM = re.compile(r"^(?P<indent> *)- ")


def pointer(path):
    """A JSON pointer (RFC 6901) over the YAML tree: what ferry takes as masked-value.key."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def worth_masking(value):
    return value not in ("", '""', "''", PLACEHOLDER, "********") and "{{" not in value and value[0] not in "|>&*[{"


def mask_yaml(text, words):
    """Masks the scalars of block-mapping keys containing one of `words` (lowercase). Returns the
    new text and a list of (key, source text). Keys are JSON pointers, after `[n]` in document n
    of a text holding several `---` documents. Values inside lists are left alone: this template
    reads YAML line by line; use a YAML library for more."""
    lines = text.split("\n")
    separators = [i for i, l in enumerate(lines) if l.rstrip() == "---"]
    leading = bool(separators) and all(not l.strip() for l in lines[: separators[0]])
    documents = len(separators) + (0 if leading else 1)
    doc = -1 if leading else 0
    stack, masked = [], []
    for i, line in enumerate(lines):
        if line.rstrip() == "---":
            doc, stack = doc + 1, []
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if LIST_ITEM.match(line):
            stack.append((indent, None))
            continue
        m = KEY_AND_VALUE.match(line)
        if m:
            path = [k for _, k in stack] + [m.group("key")]
            value = m.group("value")
            if None in path or not worth_masking(value):
                continue
            if any(w in m.group("key").lower() for w in words):
                key = pointer(path)
                if documents > 1:
                    key = f"[{doc}]{key}"
                masked.append((key, value))
                lines[i] = line[: m.start("value")] + PLACEHOLDER + line[m.end("value") :]
            continue
        m = KEY_ONLY.match(line)
        if m:
            stack.append((indent, m.group("key")))
    return "\n".join(lines), masked


def mask_document(document, words):
    """Masks every pack's values in a Palette export (JSON text). Returns the masked document
    (None when nothing was masked) and a list of (pointer, key, value, rule)."""
    doc = json.loads(document)
    masked = []
    for n, pack in enumerate(doc.get("spec", {}).get("template", {}).get("packs", [])):
        if not isinstance(pack.get("values"), str):
            continue
        text, found = mask_yaml(pack["values"], words)
        for key, value in found:
            masked.append((f"/spec/template/packs/{n}/values", key, value, "acme:key-word"))
        pack["values"] = text
    return (json.dumps(doc, indent=2) if masked else None), masked
