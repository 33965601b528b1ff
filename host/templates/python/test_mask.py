import json
import unittest

import logic


class MaskTest(unittest.TestCase):
    def test_masks_the_values_of_keys_with_a_word_and_reports_where(self):
        values = "app:\n  apiToken: abc123 # keep me\n  replicas: 2\n  list:\n    - token: in-a-list\n---\nauthToken: 'x y'\n"
        doc = json.dumps({"spec": {"template": {"packs": [{"name": "p", "values": values}]}}})
        masked_doc, masked = logic.mask_document(doc, ["token"])
        self.assertEqual(
            masked,
            [
                ("/spec/template/packs/0/values", "[0]/app/apiToken", "abc123", "acme:key-word"),
                ("/spec/template/packs/0/values", "[1]/authToken", "'x y'", "acme:key-word"),
            ],
        )
        out = json.loads(masked_doc)["spec"]["template"]["packs"][0]["values"]
        self.assertIn('apiToken: "********" # keep me', out)
        self.assertIn("token: in-a-list", out)

    def test_nothing_to_mask_leaves_the_document(self):
        doc = json.dumps({"spec": {"template": {"packs": [{"values": "a: 1\n"}]}}})
        self.assertEqual(logic.mask_document(doc, ["token"]), (None, []))


if __name__ == "__main__":
    unittest.main()
