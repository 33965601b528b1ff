import json
import unittest

import logic


class ValidateTest(unittest.TestCase):
    def test_an_unpinned_pack_is_a_finding(self):
        doc = json.dumps({"spec": {"template": {"packs": [
            {"name": "ok", "version": "1.2.0"},
            {"name": "loose", "version": "latest"},
        ]}}})
        found = logic.findings(doc)
        self.assertEqual([f["path"] for f in found], ["/spec/template/packs/1/version"])

    def test_pinned_packs_pass(self):
        self.assertEqual(logic.findings('{"spec": {"template": {"packs": []}}}'), [])


if __name__ == "__main__":
    unittest.main()
