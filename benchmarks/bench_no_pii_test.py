"""`make bench`: what the no_pii_in_safe_models test adds to `dbt test`.

Generates projects of 500 and 2,000 models (benchmarks/generate_project.py),
parses each once, then times, in alternating rounds, `dbt test` selecting a
trivial singular test and `dbt test` selecting no_pii_in_safe_models. Both pay
dbt's start-up and partial parse; the difference is the graph walk. Medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate_project import generate

PROFILES = Path(__file__).resolve().parents[1] / "integration_tests"
DBT = str(Path(sys.executable).parent / "dbt")
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "500,2000").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))


def dbt(project: Path, *args: str) -> float:
    env = dict(os.environ, DO_NOT_TRACK="1", PII_GUARD_DUCKDB_PATH=str(project / "bench.duckdb"))
    start = time.perf_counter()
    result = subprocess.run([DBT, "--quiet", *args, "--project-dir", str(project), "--profiles-dir", str(PROFILES)],
                            cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    # The generated project leaks on purpose, so the privacy test fails (exit 1);
    # anything else means it did not run.
    if result.returncode not in (0, 1) or "Compilation Error" in result.stdout:
        sys.exit(f"bench: dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    print(f"no_pii_in_safe_models: dbt test, median of {ROUNDS} alternating rounds")
    print(f"{'models':>7}{'safe':>6}{'trivial test s':>16}{'no_pii test s':>15}{'added s':>9}{'ms/model':>10}")
    for size in SIZES:
        with tempfile.TemporaryDirectory() as scratch:
            project = Path(scratch)
            generated = generate(project, models=size)
            (project / "tests").mkdir()
            (project / "tests" / "trivial.sql").write_text("select 1 as one where 1 = 0\n")
            dbt(project, "deps")
            dbt(project, "parse")
            trivial, walk = [], []
            for _ in range(ROUNDS):
                trivial.append(dbt(project, "test", "--select", "trivial"))
                walk.append(dbt(project, "test", "--select", "no_pii_in_safe_models"))
            base, with_walk = statistics.median(trivial), statistics.median(walk)
            added = with_walk - base
            print(f"{size:>7}{generated.safe_models:>6}{base:>16.2f}{with_walk:>15.2f}{added:>9.2f}{1000 * added / size:>10.2f}")


if __name__ == "__main__":
    main()
