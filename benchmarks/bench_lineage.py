"""`make bench`: pii-guard check against per-column sqlglot lineage().

For generated projects of 500, 2,000 and 5,000 models (CTE chains, joins,
unions, stars, ephemeral models; benchmarks/generate_project.py), compiled
with dbt, prints in one run:
  - this checker's time (load, qualify and trace every model once, propagate,
    report) and its time per model;
  - the per-column approach, sqlglot.lineage.lineage(column, sql, schema) once
    per output column, timed on a fixed sample of models and scaled to the
    whole project (running it on every model takes many minutes).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlglot.lineage import lineage

from generate_project import generate, write_catalog
from pii_guard.lineage.pipeline import check, trace_project
from pii_guard.lineage.project import load_project
from pii_guard.lineage.schemas import schema_for

PROFILES = Path(__file__).resolve().parents[1] / "integration_tests"
DBT = str(Path(sys.executable).parent / "dbt")
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "500,2000,5000").split(",")]
SAMPLE = int(os.environ.get("BENCH_LINEAGE_SAMPLE", 60))


def compile_project(project: Path) -> Path:
    env = dict(os.environ, DO_NOT_TRACK="1", PII_GUARD_DUCKDB_PATH=str(project / "bench.duckdb"))
    for args in (["deps"], ["compile"]):
        result = subprocess.run([DBT, "--quiet", *args, "--project-dir", str(project), "--profiles-dir", str(PROFILES)],
                                cwd=project, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"bench: dbt {args[0]} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return project / "target" / "manifest.json"


def per_column_seconds(manifest: Path, catalog: Path) -> tuple[float, int, int]:
    """Time lineage() for every output column of SAMPLE models; return the
    time scaled to all SQL models, and the models and columns sampled."""
    project = load_project(manifest, catalog)
    _, traces, _ = trace_project(project)
    # One schema of the whole project, as the checker knows it: catalog + inferred.
    tables = {rel: list(cols) for rel, cols in project.catalog.items() if cols}
    for uid, traced in traces.items():
        node = project.nodes[uid]
        if not traced.unresolved and node.materialized != "ephemeral":
            tables.setdefault(node.relation, list(traced.columns))
    schema = schema_for(tables, project.dialect)
    models = [uid for uid, t in traces.items() if not t.unresolved]
    sample = random.Random(1).sample(models, min(SAMPLE, len(models)))
    columns = 0
    start = time.perf_counter()
    for uid in sample:
        sql = project.nodes[uid].compiled_code
        for column in traces[uid].columns:
            lineage(column, sql, schema=schema, dialect=project.dialect)
            columns += 1
    elapsed = time.perf_counter() - start
    return elapsed * len(models) / len(sample), len(sample), columns


def main() -> None:
    rows = []
    for size in SIZES:
        with tempfile.TemporaryDirectory() as scratch:
            project = Path(scratch)
            generated = generate(project, models=size)
            manifest = compile_project(project)
            catalog = write_catalog(project, "bench", generated.sources)
            start = time.perf_counter()
            report = check(manifest, catalog, project)
            ours = time.perf_counter() - start
            theirs, sampled, columns = per_column_seconds(manifest, catalog)
            rows.append((size, ours, theirs, sampled, columns, report.stats))
            print(f"  {size} models: checker {ours:.2f} s ({report.stats['violations']} violations, "
                  f"{report.stats['unresolved']} unresolved)", file=sys.stderr)
    print(f"pii-guard check vs per-column sqlglot.lineage.lineage() (sampled {SAMPLE} models, scaled)")
    print(f"{'models':>7}{'columns':>9}{'check s':>9}{'ms/model':>10}{'lineage() s':>13}{'speed-up':>10}")
    for size, ours, theirs, sampled, columns, stats in rows:
        print(f"{size:>7}{stats['traced_columns']:>9}{ours:>9.2f}{1000 * ours / size:>10.2f}{theirs:>13.1f}{theirs / ours:>9.0f}x")
    first, last = rows[0], rows[-1]
    growth = (last[1] / last[0]) / (first[1] / first[0])
    print(f"\ntime per model at {last[0]} / at {first[0]}: {growth:.2f} (goal: at most 1.3)")


if __name__ == "__main__":
    main()
