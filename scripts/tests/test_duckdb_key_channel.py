"""DuckDB: no plan, profile or EXPLAIN prints the key.

The key lives in the dbt process, inside the plugin's HMAC function; DuckDB
sees the function's name and its results. A build with profiling on (every
plan printed, as a tree and as JSON) and an EXPLAIN ANALYZE of a hashing query
leave no form of the key, or of its HMAC pad blocks, anywhere."""

from __future__ import annotations

import secrets

import pytest

from dbt_harness import require_ok
from test_integration import key_forms

KEYED = ["path:models/hashing", "path:models/perturbation", "stg_customers", "stg_orders"]


@pytest.mark.parametrize("profiling, printed", [
    ("query_tree", "Total Time"),
    ("json", '"PROJECTION"'),
])
def test_profiling_and_explain_print_no_key(scratch_project, profiling, printed):
    key = secrets.token_hex(32)
    project = scratch_project(key, target="duckdb_profiled", PII_GUARD_PROFILING=profiling)
    console = ""
    for command in (["seed"], ["run", "--select", *KEYED], ["run-operation", "explain_keyed_query"]):
        result = project.dbt(*command, debug=True)
        require_ok(result, f"dbt {command[0]} with {profiling} profiling")
        console += result.stdout + result.stderr
    # The plans really were printed, hashing included: the scan below means something.
    assert printed in console and "pii_guard_hmac_sha256_hex" in console
    assert "EXPLAIN_ANALYZE" in console or "Explain Analyze" in console.replace("_", " ").title()
    # The plans are printed by DuckDB's C++ code, into the dbt server's log
    # (each command's share is in its stderr above); stopped, the server has
    # flushed every byte there.
    project.release()
    files = [p for p in list(project.target_path.rglob("*")) + list(project.log_path.rglob("*")) if p.is_file()]
    files.append(project.workdir / "dbt_server.log")
    haystacks = {str(p): p.read_bytes() for p in files + [project.database]}
    haystacks["console"] = console.encode()
    leaks = [(where, form) for where, data in haystacks.items()
             for form, needle in key_forms(key).items() if needle in data]
    assert leaks == []
