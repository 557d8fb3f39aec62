"""The policy vocabulary: which treatments a column's meta may name, and the
default treatment of each known ``pii_type``.

The same object as the ``policy_rules()`` macro
(macros/policies/policy_rules.sql); a test keeps them equal.

>>> default_treatment("email")
{'treatment': 'hash_email'}
>>> default_treatment("favourite_colour") is None
True
>>> sorted(t for t, rule in POLICY_RULES["treatments"].items() if rule["keeps_type"])[:3]
['generalize_date', 'keep', 'nullify']
"""

from __future__ import annotations

from typing import Any

POLICY_RULES: dict[str, Any] = {
    "treatments": {
        "hash": {"args": [], "keeps_type": False},
        "hash_email": {"args": [], "keeps_type": False},
        "hash_phone": {"args": [], "keeps_type": False},
        "surrogate_key": {"args": [], "keeps_type": False},
        "pseudonymize": {"args": ["min_value", "max_value"], "keeps_type": True},
        "pseudonymize_int": {"args": ["min_value", "max_value"], "keeps_type": True},
        "mask_email": {"args": [], "keeps_type": False},
        "mask_phone": {"args": ["keep_last"], "keeps_type": False},
        "age_bucket": {"args": ["as_of", "boundaries", "top_code"], "keeps_type": False},
        "generalize_zip": {"args": ["digits"], "keeps_type": False},
        "generalize_date": {"args": ["grain"], "keeps_type": True},
        "shift_date": {"args": ["subject", "max_days"], "keeps_type": True},
        "state_from_address": {"args": [], "keeps_type": False},
        "encrypt_pii": {"args": [], "keeps_type": False},
        "nullify": {"args": [], "keeps_type": True},
        "drop": {"args": [], "keeps_type": False},
        "keep": {"args": [], "keeps_type": True},
    },
    "defaults": {
        "email": {"treatment": "hash_email"},
        "phone": {"treatment": "hash_phone"},
        "name": {"treatment": "hash"},
        "customer_id": {"treatment": "pseudonymize"},
        "identifier": {"treatment": "pseudonymize"},
        "birth_date": {"treatment": "generalize_date", "treatment_args": {"grain": "year"}},
        "date_of_service": {"treatment": "generalize_date", "treatment_args": {"grain": "month"}},
        "address": {"treatment": "nullify"},
        "zip": {"treatment": "generalize_zip"},
        "national_id": {"treatment": "nullify"},
        "card_number": {"treatment": "nullify"},
        "ip_address": {"treatment": "hash"},
    },
}


def default_treatment(pii_type: str) -> dict[str, Any] | None:
    """The documented default treatment of a pii_type (None when it has none)."""
    return POLICY_RULES["defaults"].get(pii_type.strip().lower())
