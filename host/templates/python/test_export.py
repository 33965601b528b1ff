import unittest

import logic


class ExportTest(unittest.TestCase):
    def test_the_request_names_the_profile(self):
        self.assertEqual(logic.request("abc"), ("GET", "/v1/clusterprofiles/abc/export", [("format", "json")]))
        with self.assertRaises(ValueError):
            logic.request(None)

    def test_an_error_status_is_an_error(self):
        self.assertEqual(logic.document(200, "{}"), "{}")
        with self.assertRaises(ValueError):
            logic.document(404, "not found")


if __name__ == "__main__":
    unittest.main()
