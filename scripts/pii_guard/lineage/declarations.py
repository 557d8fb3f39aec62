"""How a column is declared PII and a model given a privacy tier: the rules.

The same rules as the dbt macros (macros/privacy_checks/declaration_rules.sql
holds the lists; a test keeps RULES equal to them). Anything a rule does not
name is an error, never "not PII" and never "unchecked":

>>> pii_value(" Yes "), pii_value("off"), pii_value(0), pii_value(None)
(True, False, False, None)
>>> pii_value("name")
Traceback (most recent call last):
...
pii_guard.lineage.declarations.DeclarationError: "name" is not one of true/false, yes/no, 1/0, on/off
>>> tier_value(" Safe "), tier_value(None)
('safe', None)
"""

from __future__ import annotations

import json
import re
from typing import Any

# The one description of the rules, equal to the declaration_rules() macro.
RULES: dict[str, Any] = {
    "pii_true": ["true", "yes", "1", "on"],
    "pii_false": ["false", "no", "0", "off"],
    "pii_tag": "pii",
    "tiers": ["safe", "restricted"],
    "safe_folder": "(^|[_-])safe($|[_-])",
}
SPELLINGS = ", ".join(f"{yes}/{no}" for yes, no in zip(RULES["pii_true"], RULES["pii_false"]))


class DeclarationError(ValueError):
    """A declaration that no rule reads: the message says what it is."""


def shown(value: object) -> str:
    """A declared value as the messages show it (JSON, as dbt's tojson writes it)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def pii_value(value: object) -> bool | None:
    """True or False for a meta pii value, None when absent; DeclarationError otherwise.

    Booleans, the integers 1 and 0, and the strings in RULES (trimmed, any case).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        spelled = value.strip().lower()
        if spelled in RULES["pii_true"]:
            return True
        if spelled in RULES["pii_false"]:
            return False
    raise DeclarationError(f"{shown(value)} is not one of {SPELLINGS}")


def tier_value(value: object) -> str | None:
    """'safe' or 'restricted' for a meta privacy_tier value (trimmed, any case),
    None when absent; DeclarationError otherwise.

    >>> tier_value("public")
    Traceback (most recent call last):
    ...
    pii_guard.lineage.declarations.DeclarationError: "public" is not safe or restricted
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in RULES["tiers"]:
        return value.strip().lower()
    raise DeclarationError(f"{shown(value)} is not {' or '.join(RULES['tiers'])}")


def column_pii(column: dict[str, Any], where: str, problems: list[str]) -> bool | None:
    """Whether a manifest column is PII (True), declared not PII (False) or
    not declared (None). A value no rule reads is added to `problems`, naming
    `where` (the node) and the column, and the column counts as PII.

    >>> problems = []
    >>> column_pii({"name": "email", "config": {"tags": ["PII"]}}, "source.p.crm.people", problems)
    True
    >>> column_pii({"name": "email", "meta": {"pii": "name"}}, "source.p.crm.people", problems), problems
    (True, ['source.p.crm.people column email: pii "name" is not one of true/false, yes/no, 1/0, on/off'])
    """
    config = column.get("config") or {}
    found: list[bool] = []
    for meta in (column.get("meta") or {}, config.get("meta") or {}):
        try:
            value = pii_value(meta.get("pii"))
        except DeclarationError as error:
            problems.append(f"{where} column {column.get('name')}: pii {error}")
            return True
        if value is not None:
            found.append(value)
    tags = list(column.get("tags") or []) + list(config.get("tags") or [])
    if any(tag.strip().lower() == RULES["pii_tag"] for tag in tags):
        return True
    return any(found) if found else None


def node_tier(node: dict[str, Any], problems: list[str]) -> str | None:
    """A model's tier: 'safe' for access public or privacy_tier safe,
    'restricted', or None; an unreadable privacy_tier is added to `problems`
    (naming the node) and the model counts as safe.

    >>> node_tier({"unique_id": "model.p.m", "config": {"meta": {"privacy_tier": "SAFE "}}}, [])
    'safe'
    """
    config = node.get("config") or {}
    declared = (config.get("meta") or {}).get("privacy_tier")
    if declared is None:
        declared = (node.get("meta") or {}).get("privacy_tier")
    try:
        tier = tier_value(declared)
    except DeclarationError as error:
        problems.append(f"{node.get('unique_id')}: privacy_tier {error}")
        return "safe"
    if node.get("access") == "public" or config.get("access") == "public":
        return "safe"
    return tier


def looks_safe(node: dict[str, Any]) -> bool:
    """Whether a model sits in a folder named like a safe tier (a folder of its
    path or fqn that is `safe` or has it as a `_`/`-` word: marts/safe,
    safe_marts; not unsafe).

    >>> looks_safe({"fqn": ["shop", "marts", "safe", "orders"]})
    True
    >>> looks_safe({"original_file_path": "models/unsafe/a.sql"})
    False
    """
    folders = list((node.get("fqn") or [])[1:-1])
    folders += re.split(r"[\\/]", node.get("original_file_path") or "")[:-1]
    return any(re.search(RULES["safe_folder"], folder.lower()) for folder in folders)


def declaration_error(problems: list[str]) -> str:
    """The one message for every declaration no rule reads."""
    return (f"{len(problems)} PII declaration(s) cannot be read: " + "; ".join(problems)
            + f". Write meta pii as one of {SPELLINGS} (or the pii tag), and privacy_tier as safe or "
            "restricted; see docs/privacy-tests.md, 'Tiers and PII declarations'.")


def untiered_safe_folders(nodes: list[dict[str, Any]]) -> str | None:
    """The warning for models in safe-looking folders that have no tier, or None."""
    untiered = [n["unique_id"] for n in nodes if n.get("resource_type") == "model"
                and node_tier(n, []) is None and looks_safe(n)]
    if not untiered:
        return None
    return (f"{len(untiered)} model(s) in a folder named safe have no privacy_tier and are not checked: "
            f"{', '.join(sorted(untiered)[:5])}{' ...' if len(untiered) > 5 else ''}. Give the folder "
            "`+meta: {privacy_tier: safe}` in dbt_project.yml (or restricted, if it may hold PII).")
