"""`make bench`: what keyed hashing costs on DuckDB, measured side by side.

Over 2 million synthetic emails, in one DuckDB session configured exactly as
the pii_guard plugin configures dbt's cursors, times:

  bare sha256       sha256(value)                 unkeyed: reversible by enumeration
  blog salt         sha256(value || 'salt')       not a MAC; the salt sits in git
  hand-written HMAC sha256(opad || unhex(sha256(ipad || value))), blocks as literals
  hash_pii          the SQL the macro compiles to (via dbt), blocks from session variables

HMAC costs four SHA-256 compression blocks where a bare hash of a short value
costs one, so the floor is the hand-written HMAC; the goal is hash_pii within
10% of it. Rounds are interleaved and the median is reported.
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

from pii_guard.duckdb_plugin import session_variables
from pii_guard.keys import KEY_ENV_VAR, generate_key, padded_key_blocks, read_key

ROWS = int(os.environ.get("BENCH_ROWS", 2_000_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
PROJECT = Path(__file__).resolve().parents[1] / "integration_tests"


def compiled_hash_pii(workdir: Path) -> str:
    """The expression hash_pii compiles to on DuckDB, rendered by dbt itself."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["PII_GUARD_DUCKDB_PATH"] = str(workdir / "compile.duckdb")
    for command in (["deps"], ["--quiet", "compile", "--inline", "{{ pii_guard.hash_pii('value') }}"]):
        with contextlib.redirect_stdout(io.StringIO()):
            result = dbtRunner().invoke(command + [
                "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                "--log-path", str(workdir / "logs"),
            ] + (["--target-path", str(workdir / "target")] if command[-1] != "deps" else []))
        if not result.success:
            sys.exit(f"bench: `dbt {' '.join(command[:2])}` failed: {result.exception}")
    return result.result.results[0].node.compiled_code


def main() -> None:
    os.environ[KEY_ENV_VAR] = generate_key()
    inner, outer = padded_key_blocks(read_key(os.environ))
    with tempfile.TemporaryDirectory() as scratch:
        hash_pii_sql = compiled_hash_pii(Path(scratch))

    variants = {
        "bare sha256": "sha256(value)",
        "blog salt": "sha256(value || 'static-salt-from-dbt-vars')",
        "hand-written HMAC": f"sha256(unhex('{outer.hex()}') || unhex(sha256(unhex('{inner.hex()}') || encode(value))))",
        "hash_pii": hash_pii_sql,
    }
    connection = duckdb.connect()
    cursor = connection.cursor()
    for name, value in session_variables(os.environ).items():
        cursor.execute(f"SET VARIABLE {name} = ?", [value])
    cursor.execute(
        f"create table emails as select 'customer.' || i || '@example.com' as value from range({ROWS}) t(i)"
    )
    # Same answers before timing anything.
    check = cursor.execute(
        f"select count(*) from emails where ({variants['hash_pii']}) is distinct from "
        f"({variants['hand-written HMAC']})"
    ).fetchone()[0]
    assert check == 0, "hash_pii and the hand-written HMAC disagree"

    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, expression in variants.items():
            start = time.perf_counter()
            cursor.execute(f"select max({expression}) from emails").fetchall()
            timings[name].append(time.perf_counter() - start)

    median = {name: statistics.median(times) for name, times in timings.items()}
    print(f"DuckDB {duckdb.__version__}, {ROWS:,} rows, median of {ROUNDS} interleaved rounds")
    print(f"{'variant':<20}{'seconds':>10}{'rows/s':>14}{'x bare sha256':>15}")
    for name, seconds in median.items():
        print(f"{name:<20}{seconds:>10.3f}{ROWS / seconds:>14,.0f}{seconds / median['bare sha256']:>15.2f}")
    ratio = median["hash_pii"] / median["hand-written HMAC"]
    print(f"\nhash_pii / hand-written HMAC = {ratio:.3f} (goal: at most 1.10)")


if __name__ == "__main__":
    main()
