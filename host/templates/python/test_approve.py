import json
import unittest

import logic


class ApproveTest(unittest.TestCase):
    def test_a_change_ticket_is_needed(self):
        self.assertEqual(logic.decide(json.dumps({"metadata": {"labels": {}}}), 0)[0], "deny")
        ticket = json.dumps({"metadata": {"labels": {"change-ticket": "CHG-1"}}})
        self.assertEqual(logic.decide(ticket, 0), ("approve", None))
        self.assertEqual(logic.decide(ticket, 1)[0], "deny")


if __name__ == "__main__":
    unittest.main()
