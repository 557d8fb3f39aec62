"""Stage 4: one proposal per column, from what its name and its sampled
values say, with a confidence and the evidence (counts, never values).

How confidence is computed (docs/checker.md repeats this):

- Values: a pii_type whose detector matches at least half the non-null
  sampled values is value evidence of strength share x size, where size =
  min(1, non-null values / 20): five matching values of five say less than
  two hundred of two hundred.
- Name and values agree (or values cannot test the type: ids, dates of
  service): confidence = 1 - (1 - name) x (1 - values), independent evidence.
- They disagree: the stronger wins; confidence = winner - loser / 2.
- The name says a value-testable type (email, phone, ...) but values were
  sampled (>= 20 non-null) and under 10% match: confidence = name x 0.5,
  still proposed PII (default deny), with the shortfall in the evidence.
- No PII evidence: pii false, confidence 0.6 from names only, 0.8 with a
  sample of >= 20 non-null values matching nothing; a name that says "not
  PII" (a count, a flag, a product's name) adds its strength the same way.

>>> p = propose("email", "customers", NameReading("email", 0.9, 'name matches "email"'), None)
>>> p.pii, p.pii_type, p.treatment, p.confidence
(True, 'email', {'treatment': 'hash_email'}, 0.9)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pii_guard.classify.names import NameReading, read_name
from pii_guard.classify.values import ValueShares, value_shares
from pii_guard.policies import default_treatment

VALUE_SHARE_MIN = 0.5  # a type matching fewer values is not evidence for it
FULL_SAMPLE = 20  # non-null values at which a share counts fully
# Types a value detector can confirm or refute; the others (ids, dates of service) only names can tell.
VALUE_TESTABLE = frozenset({"email", "phone", "national_id", "card_number", "ip_address", "zip", "address",
                            "name", "birth_date"})
TYPE_WORDS = {"email": "emails", "phone": "phone numbers", "national_id": "SSNs", "card_number": "card numbers",
              "ip_address": "IP addresses", "zip": "ZIP codes", "address": "street addresses",
              "name": "person names", "birth_date": "plausible dates of birth"}


@dataclass
class Proposal:
    """What to declare for one column; `evidence` holds counts and shares only."""

    column: str
    pii: bool
    pii_type: str | None
    treatment: dict | None
    confidence: float
    evidence: list[str] = field(default_factory=list)

    def meta(self) -> dict:
        """The column meta to declare: {pii, pii_type, treatment[, treatment_args]}."""
        if not self.pii:
            return {"pii": False}
        meta: dict = {"pii": True, "pii_type": self.pii_type}
        if self.treatment:
            meta.update(self.treatment)
        return meta


def _value_strength(shares: ValueShares, share: float) -> float:
    return share * min(1.0, shares.non_null / FULL_SAMPLE)


def _share_evidence(shares: ValueShares, pii_type: str) -> str:
    share = shares.shares.get(pii_type, 0.0)
    return f"{round(100 * share)}% of {shares.non_null} sampled values are {TYPE_WORDS[pii_type]}"


def _pii(column: str, pii_type: str, confidence: float, evidence: list[str]) -> Proposal:
    return Proposal(column, True, pii_type, default_treatment(pii_type), round(min(confidence, 0.99), 2), evidence)


def propose(column: str, relation: str, name: NameReading | None, values: ValueShares | None) -> Proposal:
    """Combine name and value evidence (either may be None) into one proposal."""
    name = name or read_name(column, relation)
    evidence = [name.evidence] if name.strength else []
    best = values.best() if values is not None and values.non_null else None
    value_type, share = best if best and best[1] >= VALUE_SHARE_MIN else (None, 0.0)
    value_strength = _value_strength(values, share) if value_type and values else 0.0
    if values is not None and value_type:
        evidence.append(_share_evidence(values, value_type))

    if name.pii_type and (value_type in (None, name.pii_type)):
        tested = values.shares.get(name.pii_type, 0.0) if values is not None else 0.0
        if (values is not None and name.pii_type in VALUE_TESTABLE and values.non_null >= FULL_SAMPLE
                and tested < 0.1):
            evidence.append(_share_evidence(values, name.pii_type))
            return _pii(column, name.pii_type, name.strength * 0.5, evidence)
        return _pii(column, name.pii_type, 1 - (1 - name.strength) * (1 - value_strength), evidence)
    if name.pii_type and value_type:  # they disagree: the stronger wins
        if value_strength > name.strength:
            return _pii(column, value_type, value_strength - name.strength / 2, evidence)
        return _pii(column, name.pii_type, name.strength - value_strength / 2, evidence)
    if value_type and name.owned_by_thing:  # a business's phone looks like anyone's: the name decides
        return _not_pii(column, name.strength, evidence)
    if value_type:
        if name.pii_type is None and name.strength > 0:  # the name says not PII
            if value_strength > name.strength:
                return _pii(column, value_type, value_strength - name.strength / 2, evidence)
            return _not_pii(column, name.strength - value_strength / 2, evidence)
        return _pii(column, value_type, 0.5 + value_strength / 2 * 0.9, evidence)
    sampled = values is not None and values.non_null >= FULL_SAMPLE
    if values is not None and values.non_null:
        evidence.append(f"none of {values.non_null} sampled values look like PII")
    base = 0.8 if sampled else 0.6
    if not evidence:
        evidence.append("name matches no PII word")
    return _not_pii(column, 1 - (1 - base) * (1 - name.strength), evidence)


def _not_pii(column: str, confidence: float, evidence: list[str]) -> Proposal:
    return Proposal(column, False, None, None, round(min(confidence, 0.99), 2), evidence)


def propose_column(column: str, relation: str, sampled: list[object] | None) -> Proposal:
    """A proposal from the column's name, and its sampled values when there are some.

    >>> propose_column("contact", "people", ["a@example.com"] * 30).pii_type
    'email'
    >>> propose_column("order_number", "orders", [str(5000 + i) for i in range(30)]).pii
    False
    """
    name = read_name(column, relation)
    if sampled is None:
        return propose(column, relation, name, None)
    # Dates spread over decades look like births; a name that says what else they are (start, order) wins.
    births = name.pii_type == "birth_date" or (name.pii_type is None and name.strength < 0.5)
    return propose(column, relation, name, value_shares(sampled, phone_name=name.pii_type == "phone",
                                                        birth_dates=births))
