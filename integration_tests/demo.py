"""`make demo`: the integration project end to end on an embedded DuckDB file,
with a throwaway key generated for this run only.

Seeds raw tables full of synthetic PII, builds staging (hashed, masked,
generalized), intermediate and the safe and restricted marts, runs every data
test, then shows what an analyst sees next to what the raw table held.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pii_guard.keys import KEY_ENV_VAR, generate_key

PROJECT = Path(__file__).resolve().parent
DATABASE = PROJECT / "target" / "demo.duckdb"
DBT = str(Path(sys.executable).parent / "dbt")


def dbt(*args: str, env: dict[str, str]) -> None:
    command = [DBT, *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)]
    print(f"\n$ dbt {' '.join(args)}", flush=True)
    if subprocess.run(command, cwd=PROJECT, env=env).returncode != 0:
        sys.exit(f"demo: `dbt {' '.join(args)}` failed; see the output above.")


def show(connection: duckdb.DuckDBPyConnection, title: str, sql: str) -> None:
    result = connection.execute(sql)
    names = [column[0] for column in result.description]
    rows = [["NULL" if v is None else str(v) for v in row] for row in result.fetchall()]
    widths = [max(len(n), *(len(r[i]) for r in rows)) if rows else len(n) for i, n in enumerate(names)]
    print(f"\n{title}")
    print("  " + "  ".join(n.ljust(w) for n, w in zip(names, widths)))
    for row in rows:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)))


def check(*args: str) -> None:
    *options, why = args
    print(f"\n$ pii-guard check --project-dir integration_tests {' '.join(options)}  {why}", flush=True)
    checked = subprocess.run([str(Path(sys.executable).parent / "pii-guard"), "check", "--project-dir", str(PROJECT),
                              *options])
    if checked.returncode != 0:
        sys.exit("demo: pii-guard check found PII reaching a safe model; see above.")


def main() -> None:
    DATABASE.parent.mkdir(exist_ok=True)
    DATABASE.unlink(missing_ok=True)
    env = dict(os.environ, DO_NOT_TRACK="1", PII_GUARD_DUCKDB_PATH=str(DATABASE))
    env[KEY_ENV_VAR] = generate_key()  # throwaway: printed nowhere, gone after this run
    print(f"demo: a throwaway key is in {KEY_ENV_VAR} for this run only; "
          f"warehouse: {DATABASE.relative_to(PROJECT.parent)}")
    dbt("deps", env=env)
    # The CI gate: compile (no warehouse), check every column's lineage, and only then build.
    dbt("compile", env=env)
    check("--no-catalog", "(no warehouse yet: columns from yml, seed files and compiled SQL)")
    dbt("seed", env=env)
    dbt("build", env=env)
    dbt("docs", "generate", env=env)

    with duckdb.connect(str(DATABASE), read_only=True) as connection:
        show(connection, "Built, by schema (safe and restricted are separate schemas for grants):",
             "select table_schema as schema, count(*) as tables, string_agg(table_name, ', ' "
             "order by table_name) as names from information_schema.tables "
             "where table_schema not like '%macro_tests' group by 1 order by 1")
        show(connection, "Raw (main_raw.raw_customers), as loaded:",
             "select customer_id, email, phone, birth_date, zip, street_address "
             "from main_raw.raw_customers order by customer_id limit 4")
        show(connection, "Staging (main_staging.stg_customers), protected:",
             "select left(customer_key, 12) || '…' as customer_key, left(email_hash, 12) || '…' "
             "as email_hash, email_masked, phone_masked, age_band, zip3, state "
             "from main_staging.stg_customers limit 4")
        show(connection, "Safe mart (main_safe.customer_segments), what analysts read:",
             "select * from main_safe.customer_segments order by age_band nulls last, state")
    check("--catalog", str(PROJECT / "target" / "catalog.json"), "(after the build: columns from catalog.json)")
    print("\ndemo: done. Every model built, every data test passed, and no PII reaches a safe model.")


if __name__ == "__main__":
    main()
