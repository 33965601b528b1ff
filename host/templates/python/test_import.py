import unittest

import logic


class ImportTest(unittest.TestCase):
    def test_the_document_is_posted_and_the_uid_read_back(self):
        self.assertEqual(logic.request("{}")[:2], ("POST", "/v1/clusterprofiles/import"))
        self.assertEqual(logic.uid(201, '{"uid": "u1"}'), "u1")
        with self.assertRaises(ValueError):
            logic.uid(409, "exists")


if __name__ == "__main__":
    unittest.main()
