"""Policies in yml: the vocabulary (policy_rules) and protected_select."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pii_guard.policies import POLICY_RULES

REPO = Path(__file__).resolve().parents[2]


def test_python_and_macro_policy_rules_are_one_description():
    text = (REPO / "macros" / "policies" / "policy_rules.sql").read_text()
    literal = re.search(r"return\((\{.*\})\)", text, re.S).group(1)
    assert json.loads(literal) == POLICY_RULES
