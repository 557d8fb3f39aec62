"""Test results hold no PII: after `dbt build --store-failures` on every engine,
no table in the test-failure schema(s) holds a raw value planted in the broken
models or the seeds, while each broken test still returns its asserted number
of rows (a test that returned nothing would hold no PII either)."""

from __future__ import annotations

import csv
import json
import re

from dbt_harness import INTEGRATION
from test_integration import BROKEN_FAILURES

BROKEN_MODELS = INTEGRATION / "models" / "generic_tests"
SEEDS = INTEGRATION / "seeds" / "raw"
# The seed columns that hold a person's raw identifiers.
SEED_PII_COLUMNS = {
    "raw_customers": ["customer_id", "first_name", "last_name", "email", "phone", "street_address", "zip", "ssn"],
    "raw_orders": ["customer_email", "shipping_address"],
    "raw_events": ["ip_address"],
    "raw_appointments": ["provider_name"],
}
# Shorter needles ('Ann', '021', '1001') must equal a whole cell: as substrings
# they would turn up inside unrelated words and numbers.
SUBSTRING_FROM = 5


def planted_values() -> set[str]:
    """Every string literal of the broken models (with `{{ "a" * 64 }}` written
    out), the PII found inside them, and the seeds' raw identifiers."""
    needles: set[str] = set()
    for path in sorted(BROKEN_MODELS.glob("*_broken.sql")):
        sql = re.sub(r"""\{\{\s*["'](.)["']\s*\*\s*(\d+)\s*\}\}""", lambda m: m.group(1) * int(m.group(2)),
                     path.read_text())
        sql = re.sub(r"(?s)\{\{.*?\}\}|--[^\n]*", " ", sql)
        for literal in re.findall(r"'((?:[^']|'')*)'", sql):
            literal = literal.replace("''", "'")
            needles.add(literal)
            # The identifiers inside free text: emails, and digit groups
            # (phones, SSNs, cards, IPs) of at least 7 characters.
            needles.update(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", literal))
            needles.update(m.strip() for m in re.findall(r"\+?[\d(][\d ().-]{5,}\d", literal))
    for seed, columns in SEED_PII_COLUMNS.items():
        with (SEEDS / f"{seed}.csv").open(newline="") as handle:
            for row in csv.DictReader(handle):
                needles.update(row[column] for column in columns)
    return {n.strip().lower() for n in needles if len(n.strip()) >= 3}


def failure_tables(project) -> tuple[dict[tuple[str, str], list[dict]], dict[str, tuple[str, str]]]:
    """Every table in the schemas dbt stored test failures in, {(schema, table):
    rows}, and each stored test's table, {test name: (schema, table)}."""
    stored = stored_failure_tables(project)
    listed = ", ".join(sorted({f"'{schema}'" for schema, _ in stored.values()}))
    tables = project.query(f"select table_schema, table_name from information_schema.tables "
                           f"where table_schema in ({listed})")
    return {(schema, table): project.rows(f'"{schema}"."{table}"') for schema, table in tables}, stored


def test_planted_values_cover_the_broken_models():
    needles = planted_values()
    assert {"a" * 64, "ann.lee@example.com", "please email ann.lee@example.com", "617-555-0123",
            "+44 20 7946 0958", "123-45-6789", "4111 1111 1111 1111", "203.0.113.7", "90+", "1001",
            "5d41402abc4b2a76b9719d911017c592", "1 main st, boston, ma 02139", "díaz"} <= needles


def test_stored_test_failures_hold_no_raw_values(engine_build):
    project = engine_build
    needles = planted_values()
    tables, stored = failure_tables(project)
    # The failing rows are all there: the search below looks at real rows.
    assert {name: len(tables[table]) for name, table in stored.items() if "broken" in name} == BROKEN_FAILURES
    leaks = []
    for table, rows in tables.items():
        for row in rows:
            for column, value in row.items():
                cell = str(value).strip().lower()
                for needle in needles:
                    if cell == needle or (len(needle) >= SUBSTRING_FROM and needle in cell):
                        leaks.append(f"{'.'.join(table)}.{column} holds {needle!r}")
    assert not leaks, "\n".join(sorted(set(leaks)))


def stored_failure_tables(project) -> dict[str, tuple[str, str]]:
    """Each stored test's table, {test name: (schema, table)}, from the manifest."""
    nodes = json.loads((project.target_path / "manifest.json").read_text())["nodes"]
    return {node["name"]: (node["schema"], node["alias"]) for node in nodes.values()
            if node["resource_type"] == "test" and node.get("relation_name")}


def stored_rows(project, test_name: str) -> set[tuple]:
    schema, table = stored_failure_tables(project)[test_name]
    return {tuple(row.values()) for row in project.rows(f'"{schema}"."{table}"')}


def test_stored_failures_show_the_row_key_the_detector_and_a_mask(engine_build):
    """What a reader of the test results sees instead of the values: the
    notes by their row number (the model ordered by note, NULLs last), the
    order by the key_column it was given, the groups by their number."""
    project = engine_build
    assert stored_rows(project, "pii_guard_no_pii_values_no_pii_values_broken_note__email") == {
        (1, "email", "b***(32)"), (7, "email", "p***(32)"),
    }
    notes = stored_rows(project, "pii_guard_no_pii_values_no_pii_values_broken_note")
    assert (1, "email, phone", "b***(32)") in notes and len(notes) == 7
    [(order_id, detected, masked)] = stored_rows(
        project, "pii_guard_keys_preserved_keys_preserved_broken_email_hash__email_hash__order_id__ref_stg_customers_")
    assert (order_id, detected) == (5002, "unmatched_key") and re.fullmatch(r"[0-9a-f]\*\*\*\(64\)", masked)
    assert stored_rows(project, "pii_guard_k_anonymity_k_anonymity_broken_3__age_band__zip3") == {
        (2, "2***(5)", "***(3)", 2), (4, "***(3)", "***(3)", 1), (5, None, "***(3)", 1),
    }
    assert stored_rows(project, "pii_guard_is_pseudonym_is_pseudonym_broken_customer_key") == {
        (1, "not_a_pseudonym", "5***(32)"), (2, "not_a_pseudonym", "A***(64)"), (4, "not_a_pseudonym", "a***(19)"),
    }
