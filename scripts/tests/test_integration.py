"""The integration project built on DuckDB and on PostgreSQL, checked against
independent references: Python's hmac for everything keyed, hand-computed
values (in the models themselves) for the rest."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import json
import re
import runpy

import pytest

from dbt_harness import BUILDS, INTEGRATION
from pii_guard.encryption import ENCRYPTION_KEY_ENV_VAR

MACRO_TESTS = "main_macro_tests"


def reference_hmac(key: str, text: str | None) -> str | None:
    if text is None:
        return None
    return hmac.new(key.encode(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def test_build_runs_every_model_and_test(engine_build):
    project = engine_build
    results = json.loads((project.target_path / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert all(status in ("success", "pass") for status in statuses.values()), statuses
    tests = [uid for uid in statuses if uid.startswith("test.")]
    models = [uid for uid in statuses if uid.startswith("model.")]
    assert len(models) >= 20 and len(tests) >= 25


def test_hash_pii_matches_python_hmac(engine_build):
    project = engine_build
    key = project.key
    rows = project.rows(f"{MACRO_TESTS}.test_hash_pii")
    assert len(rows) == 10
    for row in rows:
        value = row["value"]
        # Normalizations written out from the README's definition.
        email = None if value is None else (value.strip(" ").lower() or None)
        phone = None if value is None else (re.sub(r"[^0-9]", "", value) or None)
        assert row["hashed"] == reference_hmac(key, value), row["case_name"]
        assert row["hashed_email"] == reference_hmac(key, email), row["case_name"]
        assert row["hashed_text"] == reference_hmac(key, email), row["case_name"]
        assert row["hashed_phone"] == reference_hmac(key, phone), row["case_name"]
    by_case = {row["case_name"]: row for row in rows}
    assert by_case["null"]["hashed"] is None
    assert by_case["empty string"]["hashed"] == reference_hmac(key, "")
    assert by_case["blank"]["hashed_email"] is None
    assert by_case["ascii"]["hashed_email"] == by_case["mixed case email"]["hashed_email"]
    assert all(re.fullmatch("[0-9a-f]{64}", row["hashed"]) for row in rows if row["value"] is not None)


def test_hash_pii_hashes_the_text_form_of_other_types(engine_build):
    project = engine_build
    [row] = project.rows(f"{MACRO_TESTS}.test_hash_pii_types")
    assert row["hashed_int"] == reference_hmac(project.key, "42")
    assert row["hashed_date"] == reference_hmac(project.key, "2000-02-29")


def surrogate_reference(key: str, values: list[str | None]) -> str:
    encoded = "".join("-" if v is None else f"{len(v.encode('utf-8'))}:{v}" for v in values)
    return reference_hmac(key, encoded)


def test_surrogate_key_matches_reference_and_never_collides(engine_build):
    project = engine_build
    rows = project.rows(f"{MACRO_TESTS}.test_surrogate_key")
    for row in rows:
        expected = surrogate_reference(project.key, [row["first_value"], row["second_value"]])
        assert row["surrogate"] == expected, row["case_name"]
    assert len({row["surrogate"] for row in rows}) == len(rows) == 10
    single = project.rows(f"{MACRO_TESTS}.test_surrogate_key_single")
    assert {r["surrogate"] for r in single} == {
        surrogate_reference(project.key, ["1001"]), surrogate_reference(project.key, ["1002"])
    }


def shift_reference(key: str, subject: str, max_days: int) -> int:
    digest = reference_hmac(key, "pii_guard.shift_date:" + subject)
    return int(digest[:8], 16) % (2 * max_days + 1) - max_days


def test_shift_date_is_keyed_constant_per_subject_and_bounded(engine_build):
    project = engine_build
    rows = project.rows(f"{MACRO_TESTS}.test_shift_date")
    shifts: dict[tuple[str, int], set[int]] = {}
    for row in rows:
        if row["value"] is None or row["subject_id"] is None:
            assert row["shifted"] is None and row["shifted_1"] is None and row["shifted_3650"] is None, row["case_name"]
            continue
        # 3650 days: the largest max_days shift_date accepts.
        for column, max_days in (("shifted", 365), ("shifted_1", 1), ("shifted_3650", 3650)):
            shift = (row[column] - row["value"]).days
            assert shift == shift_reference(project.key, row["subject_id"], max_days), row["case_name"]
            assert -max_days <= shift <= max_days
            shifts.setdefault((row["subject_id"], max_days), set()).add(shift)
    assert all(len(s) == 1 for s in shifts.values())
    # Different subjects get different shifts (five subjects, 731 possibilities).
    assert len({next(iter(s)) for (subject, m), s in shifts.items() if m == 365}) > 1


def test_pseudonymize_int_matches_the_python_reference(engine_build):
    project = engine_build
    reference = runpy.run_path(str(INTEGRATION / "vectors" / "generate.py"))["pseudonymize_int"]
    rows = project.rows(f"{MACRO_TESTS}.test_pseudonymize_int")
    assert len(rows) == 4
    for row in rows:
        for column, low, high in (("pseudonym", 1, 1000), ("pseudonym_small", -5, 5),
                                  ("pseudonym_default", 0, 2147483647)):
            assert row[column] == reference(row["value"], low, high, project.key), (row["case_name"], column)
    assert [row["pseudonym"] for row in rows if row["value"] is None] == [None]
    types = {name.lower(): kind.lower() for name, kind in project.query(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{MACRO_TESTS}' and table_name = 'test_pseudonymize_int'")}
    assert types["pseudonym"] == types["pseudonym_small"] == types["pseudonym_default"] == "bigint"


def test_pseudonymized_foreign_keys_join_like_the_raw_ids(engine_build):
    project = engine_build
    reference = runpy.run_path(str(INTEGRATION / "vectors" / "generate.py"))["pseudonymize_int"]
    seeds = INTEGRATION / "seeds" / "raw"
    customers = {int(row["customer_id"]) for row in csv.DictReader((seeds / "raw_customers.csv").open())}
    orders = {int(row["order_id"]): int(row["customer_id"]) for row in csv.DictReader((seeds / "raw_orders.csv").open())}
    rows = project.rows(f"{MACRO_TESTS}.test_pseudonymize_int_join")
    assert sorted(row["order_id"] for row in rows) == sorted(orders)
    for row in rows:
        customer = orders[row["order_id"]]
        assert row["customer_pseudonym"] == reference(customer, 1, 99999, project.key)
        assert row["joined_pseudonym"] == (row["customer_pseudonym"] if customer in customers else None)
    assert any(row["joined_pseudonym"] is not None for row in rows)


# Each engine's name for the input types: a string literal is text on
# PostgreSQL; Spark's types are read as its Parquet files hold them.
REDACTED_TYPES = {
    "duckdb": ("VARCHAR", "DATE", "INTEGER"),
    "postgres": ("text", "date", "integer"),
    "spark": ("VARCHAR", "DATE", "INTEGER"),
}


def test_redact_keeps_column_types(engine_build):
    project = engine_build
    types = dict(project.query(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{MACRO_TESTS}' and table_name = 'test_redact'"
    ))
    assert (types["redacted_text"], types["redacted_date"], types["redacted_int"]) == REDACTED_TYPES[project.target]


def test_warehouse_tiers_land_in_separate_schemas(engine_build):
    project = engine_build
    tables = set(project.query(
        "select table_schema, table_name from information_schema.tables"
    ))
    assert ("main_safe", "customer_segments") in tables
    assert ("main_restricted", "customer_contacts") in tables
    assert not any(schema == "main_safe" and name == "customer_contacts" for schema, name in tables)


def test_staging_hashes_join_across_sources(engine_build):
    project = engine_build
    # raw_orders spells Ann's email in three ways; normalize='email' makes one pseudonym.
    [(orders,)] = project.query(
        "select count(*) from main_staging.stg_orders o join main_staging.stg_customers c "
        "using (email_hash)"
    )
    assert orders == 8
    [(email_hash,)] = project.query(
        "select email_hash from main_staging.stg_customers where email_masked = 'a***@example.com'"
    )
    assert email_hash == reference_hmac(project.key, "ann.lee@example.com")


def test_policy_staging_protects_every_column_as_declared(engine_build):
    """stg_events is protected_select over raw_events: same columns in the same
    order, each as _sources.yml declares it, checked against the Python
    references (the key never enters SQL)."""
    project = engine_build
    reference = runpy.run_path(str(INTEGRATION / "vectors" / "generate.py"))["pseudonymize_int"]
    raw = {row["event_id"]: row for row in project.rows("main_raw.raw_events")}
    names, rows = project._run("select * from main_staging.stg_events")
    assert [name.lower() for name in names] == ["event_id", "customer_id", "event_type", "occurred_at", "ip_address"]
    assert len(rows) == len(raw)
    for row in (dict(zip(names, values)) for values in rows):
        source = raw[row["event_id"]]
        assert row["event_type"] == source["event_type"]  # pii: false, kept
        # customer_id: pii_type customer_id's default, pseudonymize: an integer stays an integer.
        assert row["customer_id"] == reference(source["customer_id"], 0, 2147483647, project.key)
        assert isinstance(row["customer_id"], int)
        # occurred_at: date_of_service's default, the month, as the column's own type.
        assert row["occurred_at"] == source["occurred_at"].replace(day=1, hour=0, minute=0, second=0)
        assert row["ip_address"] is None  # treatment: nullify


def test_safe_marts_hold_generalized_values_only(engine_build):
    project = engine_build
    segments = project.rows("main_safe.customer_segments")
    assert {row["age_band"] for row in segments} == {
        "18-25", "26-35", "36-50", "51-64", "90+", "under 18", None
    }
    assert sum(row["customers"] for row in segments) == 8
    intervals = {row["appointment_id"]: row["days_since_previous"]
                 for row in project.rows("main_safe.appointment_intervals")}
    # 2023-01-10 -> 2023-04-10 and 2023-02-28 -> 2023-03-01 survive the shift.
    assert intervals[7002] == 90 and intervals[7004] == 1


def key_forms(key: str) -> dict[str, bytes]:
    """Every form in which the key, or anything derived from it alone, could leak."""
    raw = key.encode()
    block = raw.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in block)
    outer = bytes(b ^ 0x5C for b in block)
    forms = {
        "key": raw,
        "key hex": raw.hex().encode(),
        "key base64": base64.b64encode(raw),
        "inner block": inner,
        "outer block": outer,
    }
    for name, blob in (("inner block", inner), ("outer block", outer)):
        # As DuckDB prints a BLOB constant in a plan: 'ESUDSB]SO\x07...'
        forms[name + " as DuckDB text"] = "".join(
            chr(b) if 0x20 <= b < 0x7F and b not in (0x5C, 0x27) else f"\\x{b:02X}" for b in blob).encode()
        forms[name + " hex"] = blob.hex().encode()
        forms[name + " HEX"] = blob.hex().upper().encode()
        forms[name + " base64"] = base64.b64encode(blob)
    return forms


def encryption_key_forms(hex_key: str | None) -> dict[str, bytes]:
    """Every form in which the encryption key (64 hex characters) could leak."""
    if not hex_key:
        return {}
    raw = bytes.fromhex(hex_key)
    return {"encryption key": hex_key.lower().encode(), "encryption key HEX": hex_key.upper().encode(),
            "encryption key bytes": raw, "encryption key base64": base64.b64encode(raw),
            "encryption key as DuckDB text": "".join(
                chr(b) if 0x20 <= b < 0x7F and b not in (0x5C, 0x27) else f"\\x{b:02X}" for b in raw).encode()}


# Where each engine's warehouse lives, and the SQL its debug log must show.
WAREHOUSE_FILES = {
    "duckdb": lambda project: [project.database],
    "spark": lambda project: [p for p in project.spark_dir.rglob("*") if p.is_file()],
}
KEY_REFERENCE = {"duckdb": b"pii_guard_hmac_sha256_hex(",
                 "spark": b"hmac(encode(r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}', 'UTF-8')"}


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_debug_build_leaves_no_trace_of_the_key(request, engine):
    """A --debug build: no form of the key in target/, logs/, the console or the
    warehouse (on Spark: the Parquet files, the Derby metastore and its log)."""
    project, console = request.getfixturevalue(BUILDS[engine])
    files = [p for p in list(project.target_path.rglob("*")) + list(project.log_path.rglob("*"))
             if p.is_file()]
    names = {p.name for p in files}
    # The places the issue names must exist for the check to mean anything.
    assert {"manifest.json", "run_results.json", "partial_parse.msgpack", "dbt.log"} <= names
    assert any("compiled" in p.parts for p in files) and any("run" in p.parts for p in files)
    warehouse = WAREHOUSE_FILES[engine](project)
    assert warehouse and all(p.is_file() for p in warehouse)
    haystacks = {str(p): p.read_bytes() for p in files + warehouse}
    haystacks["console"] = console.encode()
    leaks = [(where, form) for where, data in haystacks.items()
             for form, needle in {**key_forms(project.key),
                                  **encryption_key_forms(project.extra_env.get(ENCRYPTION_KEY_ENV_VAR))}.items()
             if needle in data]
    assert leaks == []
    # The debug log really is verbose: it holds the SQL that ran.
    assert KEY_REFERENCE[engine] in haystacks[str(project.log_path / "dbt.log")]


# Each deliberately broken model's test (by dbt's test name) and the exact
# number of rows it must return; the yml asserts the same with error_if "!=N".
BROKEN_FAILURES = {
    "pii_guard_k_anonymity_k_anonymity_broken_3__age_band__zip3": 3,
    "pii_guard_l_diversity_l_diversity_broken_2__age_band__zip3__diagnosis": 2,
    "pii_guard_no_pii_values_no_pii_values_broken_note": 7,
    "pii_guard_no_pii_values_no_pii_values_broken_note__email": 2,
    "pii_guard_no_pii_values_no_pii_values_broken_note__credit_card__ssn": 2,
    "pii_guard_is_pseudonym_is_pseudonym_broken_customer_key": 3,
    "pii_guard_not_raw_identifier_not_raw_identifier_broken_customer_key__customer_id__source_raw_raw_customers_": 2,
    "pii_guard_all_columns_classified_all_columns_classified_broken_": 3,
    "pii_guard_row_count_matches_row_count_matches_broken_source_raw_raw_customers_": 1,
    "pii_guard_keys_preserved_keys_preserved_broken_email_hash__email_hash__ref_stg_customers_": 1,
    "pii_guard_keys_preserved_keys_preserved_broken_email_hash__email_hash__order_id__ref_stg_customers_": 1,
    "matches_expected_broken_expectations_": 2,
}


def test_privacy_tests_fail_on_broken_models_with_the_asserted_counts(engine_build):
    """dbt reports 0 failures for a test whose error_if is met, so count the
    rows each test returned from its --store-failures table."""
    project = engine_build
    nodes = json.loads((project.target_path / "manifest.json").read_text())["nodes"]
    counted = {}
    for node in nodes.values():
        if node["resource_type"] == "test" and "broken" in node["name"]:
            [(rows,)] = project.query(f"select count(*) from {node['relation_name']}")
            counted[node["name"]] = rows
    assert counted == BROKEN_FAILURES


def test_privacy_tests_pass_on_clean_data(engine_build):
    project = engine_build
    results = json.loads((project.target_path / "run_results.json").read_text())["results"]
    clean = {r["unique_id"].split(".")[2]: r for r in results
             if r["unique_id"].startswith("test.") and "broken" not in r["unique_id"]}
    privacy = {name: r for name, r in clean.items() if name.startswith("pii_guard_") or name == "no_pii_in_safe_models"}
    assert len(privacy) >= 12
    assert all(r["status"] == "pass" and r["failures"] == 0 for r in privacy.values()), privacy
