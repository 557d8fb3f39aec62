"""`make bench`: what keyed hashing costs on DuckDB, measured side by side.

Over 2 million synthetic emails, in one DuckDB session set up exactly as the
pii_guard plugin sets up dbt's connections, times:

  bare sha256       sha256(value)                 unkeyed: reversible by enumeration
  blog salt         sha256(value || 'salt')       not a MAC; the salt sits in git
  SQL HMAC          sha256(opad || unhex(sha256(ipad || value))), the padded key
                    blocks as session variables (earlier pii_guard versions: DuckDB
                    folds them into plans, so EXPLAIN and profiling print them)
  hash_pii          the SQL the macro compiles to (via dbt): the plugin's
                    function, which holds the key in Python, never in DuckDB

at DuckDB's default thread count and at one thread. The SQL HMAC runs on every
core; the plugin's function runs in Python, one batch at a time (the GIL), so
its cost relative to the SQL HMAC grows with the cores. Rounds are
interleaved and the median is reported.

Then pseudonymize_int (8 Feistel rounds of the same HMAC per value, plus cycle
walking) beside hash_pii over the same integer ids, default range
[0, 2147483647], in the same session (a quarter of the rows: it is slower).
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner

from pii_guard.duckdb_plugin import Plugin
from pii_guard.keys import KEY_ENV_VAR, generate_key, padded_key_blocks, read_key

ROWS = int(os.environ.get("BENCH_ROWS", 2_000_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
PROJECT = Path(__file__).resolve().parents[1] / "integration_tests"


def compiled(workdir: Path, expressions: dict[str, str]) -> dict[str, str]:
    """What each macro call compiles to on DuckDB, rendered by dbt itself."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["PII_GUARD_DUCKDB_PATH"] = str(workdir / "compile.duckdb")
    found = {}
    for name, call in [("deps", None), *expressions.items()]:
        command = ["deps"] if call is None else ["--quiet", "compile", "--inline", call]
        with contextlib.redirect_stdout(io.StringIO()):
            result = dbtRunner().invoke(command + [
                "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                "--log-path", str(workdir / "logs"),
            ] + ([] if call is None else ["--target-path", str(workdir / "target")]))
        if not result.success:
            sys.exit(f"bench: `dbt {' '.join(command[:2])}` failed: {result.exception}")
        if call is not None:
            found[name] = result.result.results[0].node.compiled_code
    return found


def main() -> None:
    os.environ[KEY_ENV_VAR] = generate_key()
    inner, outer = padded_key_blocks(read_key(os.environ))
    with tempfile.TemporaryDirectory() as scratch:
        macros = compiled(Path(scratch), {"hash_pii": "{{ pii_guard.hash_pii('value') }}",
                                          "pseudonymize_int": "{{ pii_guard.pseudonymize_int('value') }}"})
    hash_pii_sql = macros["hash_pii"]

    variants = {
        "bare sha256": "sha256(value)",
        "blog salt": "sha256(value || 'static-salt-from-dbt-vars')",
        "SQL HMAC": "sha256(getvariable('opad') || unhex(sha256(getvariable('ipad') || encode(value))))",
        "hash_pii": hash_pii_sql,
    }
    connection = duckdb.connect()
    Plugin("pii_guard", {}).configure_connection(connection)  # the real plugin path
    cursor = connection.cursor()
    cursor.execute("SET VARIABLE ipad = ?", [inner])
    cursor.execute("SET VARIABLE opad = ?", [outer])
    cursor.execute(
        f"create table emails as select 'customer.' || i || '@example.com' as value from range({ROWS}) t(i)"
    )
    # Same answers before timing anything.
    check = cursor.execute(
        f"select count(*) from emails where ({variants['hash_pii']}) is distinct from ({variants['SQL HMAC']})"
    ).fetchone()[0]
    assert check == 0, "hash_pii and the SQL HMAC disagree"

    default_threads = cursor.execute("select current_setting('threads')").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}, {ROWS:,} rows, median of {ROUNDS} interleaved rounds")
    print(f"{'threads':<9}{'variant':<14}{'seconds':>10}{'rows/s':>14}{'x bare sha256':>15}{'x SQL HMAC':>12}")
    ratios = {}
    for threads in sorted({default_threads, 1}, reverse=True):
        cursor.execute(f"SET threads = {threads}")
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ROUNDS):
            for name, expression in variants.items():
                start = time.perf_counter()
                cursor.execute(f"select max({expression}) from emails").fetchall()
                timings[name].append(time.perf_counter() - start)
        median = {name: statistics.median(times) for name, times in timings.items()}
        for name, seconds in median.items():
            print(f"{threads:<9}{name:<14}{seconds:>10.3f}{ROWS / seconds:>14,.0f}"
                  f"{seconds / median['bare sha256']:>15.2f}{seconds / median['SQL HMAC']:>12.2f}")
        ratios[threads] = median["hash_pii"] / median["SQL HMAC"]
    print()
    for threads, ratio in ratios.items():
        print(f"hash_pii / SQL HMAC at {threads} thread(s) = {ratio:.2f} (goal: at most 1.5 on 2 cores)")

    # A whole staging model: the hash is one column of six, and DuckDB does the
    # rest of the work (masking, truncating, writing) on the other cores.
    cursor.execute(f"SET threads = {default_threads}")
    cursor.execute(
        "create table customers as select i as id, 'customer.' || i || '@example.com' as email, "
        "'+1 617 555 ' || (i % 10000) as phone, date '1950-01-01' + cast(i % 20000 as integer) as birth_date, "
        f"'note ' || i as note, lpad(cast(i % 99999 as varchar), 5, '0') as zip from range({ROWS}) t(i)"
    )
    builds: dict[str, list[float]] = {"SQL HMAC": [], "hash_pii": []}
    for _ in range(ROUNDS):
        for name in builds:
            hashed = variants[name].replace("value", "email")
            start = time.perf_counter()
            cursor.execute(
                f"create or replace table stg_customers as select id, {hashed} as email_hash, "
                "regexp_replace(phone, '[0-9]', '*', 'g') as phone_masked, "
                "date_trunc('month', birth_date) as birth_month, note, left(zip, 3) as zip3 from customers"
            )
            builds[name].append(time.perf_counter() - start)
    build = {name: statistics.median(times) for name, times in builds.items()}
    print(f"\na staging model (6 columns, {ROWS:,} rows, {default_threads} threads): SQL HMAC {build['SQL HMAC']:.3f} s, "
          f"hash_pii {build['hash_pii']:.3f} s, ratio {build['hash_pii'] / build['SQL HMAC']:.2f}")


    # pseudonymize_int beside hash_pii, over the same ids, same session.
    id_rows = max(ROWS // 4, 1)
    cursor.execute(f"create table ids as select i * 7919 % 2147483648 as value from range({id_rows}) t(i)")
    pseudonyms: dict[str, list[float]] = {"hash_pii": [], "pseudonymize_int": []}
    for _ in range(ROUNDS):
        for name in pseudonyms:
            start = time.perf_counter()
            cursor.execute(f"select max({macros[name]}) from ids").fetchall()
            pseudonyms[name].append(time.perf_counter() - start)
    ids = {name: statistics.median(times) for name, times in pseudonyms.items()}
    print(f"\ninteger ids ({id_rows:,} rows, {default_threads} threads): hash_pii {ids['hash_pii']:.3f} s "
          f"({id_rows / ids['hash_pii']:,.0f} rows/s), pseudonymize_int {ids['pseudonymize_int']:.3f} s "
          f"({id_rows / ids['pseudonymize_int']:,.0f} rows/s), ratio {ids['pseudonymize_int'] / ids['hash_pii']:.2f}")


if __name__ == "__main__":
    main()
