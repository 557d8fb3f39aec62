"""`make bench`: pii-guard check against per-column sqlglot lineage().

For generated projects of 500, 5,000 and 20,000 models (BENCH_SIZES=500,2000
to choose others; CTE chains, joins, unions, stars, ephemeral models;
benchmarks/generate_project.py), each compiled with `dbt compile`, prints in
one run, for each size and in two modes side by side:
  - with catalog.json (the raw sources' columns from the catalog), and
    catalog-free (`check(manifest, None, project_dir)`: the columns come from
    the sources' yml declarations);
  - the checker's wall time (load, qualify and trace every model once,
    propagate, report), its time per model, the models left unresolved, and
    its peak memory: each check runs in a fresh Python process, whose peak RSS
    (RUSAGE_SELF) is the main process's, and whose RUSAGE_CHILDREN is the
    largest of its process-pool workers (forked from it, so it counts the
    pages they share with it);
  - the per-column approach, sqlglot.lineage.lineage(column, sql, schema) once
    per output column, timed on a fixed sample of BENCH_LINEAGE_SAMPLE models
    and scaled to the whole project (running it on every model takes hours),
    and the checker's speed-up over it.
Then the goals, as PASS/FAIL lines (it prints, it does not assert): time per
model at each larger size (5,000; 20,000) at most 1.3 times that at the
smallest (500), and at least 20 times faster than per-column lineage().
Each check is timed as the fastest of a few runs (BENCH_ROUNDS to set).

Progress goes to stderr, the Markdown table and goal lines to stdout.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot.lineage import lineage

from generate_project import RAW_COLUMNS, generate, write_catalog
from pii_guard.lineage.project import load_project
from pii_guard.lineage.schemas import schema_for

PROFILES = Path(__file__).resolve().parents[1] / "integration_tests"
DBT = str(Path(sys.executable).parent / "dbt")
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "500,5000,20000").split(",")]
SAMPLE = int(os.environ.get("BENCH_LINEAGE_SAMPLE", 60))
GROWTH_GOAL = 1.3  # time per model at the largest size / at the smallest, at most
SPEEDUP_GOAL = 20  # times faster than per-column lineage(), at least
MODES = ("catalog", "catalog-free")
# Each check is run this many times, the modes alternating, and the fastest
# run counts (peak RSS: the largest); by default 5 up to 1,000 models (the
# base of the growth ratio), 3 below 10,000, 2 above.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 0))

# Runs in a fresh interpreter: one check, then its time, stats and peak RSS as
# one JSON line. Imports come before the clock starts.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from pii_guard.lineage.pipeline import check
manifest, catalog, project = sys.argv[1:4]
start = time.perf_counter()
report = check(Path(manifest), Path(catalog) if catalog else None, Path(project))
seconds = time.perf_counter() - start
main_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("BENCH-RESULT " + json.dumps({"seconds": seconds, "stats": report.stats,
                                    "main_kib": main_kib, "workers_kib": workers_kib}, default=str))
"""


@dataclass
class Measure:
    mode: str
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)
    main_kib: int = 0
    workers_kib: int = 0
    error: str | None = None
    runs: int = 1


@dataclass
class Row:
    size: int
    manifest_from: str
    compile_seconds: float
    measures: list[Measure]
    lineage_seconds: float | None
    sampled_models: int = 0
    sampled_columns: int = 0


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def compile_project(project: Path) -> Path:
    env = dict(os.environ, DO_NOT_TRACK="1", PII_GUARD_DUCKDB_PATH=str(project / "bench.duckdb"))
    for args in (["deps"], ["compile"]):
        result = subprocess.run([DBT, "--quiet", *args, "--project-dir", str(project), "--profiles-dir", str(PROFILES)],
                                cwd=project, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"bench: dbt {args[0]} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return project / "target" / "manifest.json"


def measure_check(mode: str, manifest: Path, catalog: Path | None, project: Path) -> Measure:
    """One check() in a fresh process: its time, stats and peak RSS."""
    result = subprocess.run([sys.executable, "-c", CHILD, str(manifest), str(catalog or ""), str(project)],
                            cwd=project, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH-RESULT ")]
    if result.returncode != 0 or not lines:
        tail = (result.stderr.strip().splitlines() or [f"exit {result.returncode}, no output"])[-1]
        return Measure(mode, error=tail[:300])
    data = json.loads(lines[-1].removeprefix("BENCH-RESULT "))
    return Measure(mode, data["seconds"], data["stats"], data["main_kib"], data["workers_kib"])


def per_column_seconds(manifest: Path, columns: dict[str, list[str]]) -> tuple[float, int, int]:
    """Time lineage() for every output column of SAMPLE models; return the
    time scaled to all SQL models, and the models and columns sampled.
    Each model's output columns are the generator's; the schema holds every
    source and (non-ephemeral) model with its columns, as the checker knows them."""
    project = load_project(manifest, None)
    nodes = project.nodes
    models = sorted(uid for uid, node in nodes.items()
                    if node.resource_type == "model" and node.compiled_code is not None and node.name in columns)
    tables = {node.relation: list(RAW_COLUMNS) for node in nodes.values() if node.resource_type == "source"}
    for uid in models:
        if nodes[uid].materialized != "ephemeral":
            tables[nodes[uid].relation] = columns[nodes[uid].name]
    schema = schema_for(tables, project.dialect)
    sample = random.Random(1).sample(models, min(SAMPLE, len(models)))
    traced = 0
    start = time.perf_counter()
    for uid in sample:
        sql = nodes[uid].compiled_code
        for column in columns[nodes[uid].name]:
            lineage(column, sql, schema=schema, dialect=project.dialect)
            traced += 1
    elapsed = time.perf_counter() - start
    return elapsed * len(models) / len(sample), len(sample), traced


def bench_size(size: int) -> Row:
    with tempfile.TemporaryDirectory(prefix=f"pii_guard_bench_{size}_") as scratch:
        project = Path(scratch)
        say(f"{size} models: generating the project")
        generated = generate(project, models=size)
        say(f"{size} models: dbt compile ...")
        start = time.perf_counter()
        manifest = compile_project(project)
        compiled = time.perf_counter() - start
        say(f"{size} models: dbt compile {compiled:.0f} s")
        catalog = write_catalog(project, "bench", generated.sources)
        rounds = ROUNDS or (5 if size <= 1_000 else 3 if size < 10_000 else 2)
        runs: dict[str, list[Measure]] = {mode: [] for mode in MODES}
        for r in range(1, rounds + 1):
            for mode in MODES:
                say(f"{size} models: check ({mode}, run {r} of {rounds}) ...")
                m = measure_check(mode, manifest, catalog if mode == "catalog" else None, project)
                if m.error:
                    say(f"{size} models: check ({mode}) FAILED: {m.error}")
                else:
                    say(f"{size} models: check ({mode}) {m.seconds:.2f} s, {m.stats.get('violations')} violations, "
                        f"stats mode {m.stats.get('mode', '?')}, "
                        f"{m.stats.get('unresolved')} unresolved, peak RSS {m.main_kib / 1024:.0f} MiB main / "
                        f"{m.workers_kib / 1024:.0f} MiB workers")
                runs[mode].append(m)
        measures = [_best(mode, runs[mode]) for mode in MODES]
        say(f"{size} models: per-column lineage() on {SAMPLE} sampled models ...")
        theirs, sampled, columns = per_column_seconds(manifest, generated.columns)
        say(f"{size} models: per-column lineage() {theirs:.0f} s scaled ({sampled} models, {columns} columns timed)")
    return Row(size, "dbt compile", compiled, measures, theirs, sampled, columns)


def _best(mode: str, runs: list[Measure]) -> Measure:
    """The fastest run, with the largest peak RSS of all runs; failed if any failed."""
    failed = [m for m in runs if m.error]
    if failed:
        return failed[0]
    best = min(runs, key=lambda m: m.seconds)
    return Measure(mode, best.seconds, best.stats, max(m.main_kib for m in runs),
                   max(m.workers_kib for m in runs), runs=len(runs))


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def _seconds(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds < 100 else f"{seconds:,.0f} s"


def print_results(rows: list[Row], total: float) -> None:
    print(f"\npii-guard check, with and without catalog.json, vs per-column sqlglot.lineage.lineage() "
          f"(timed on {SAMPLE} sampled models, scaled); {os.cpu_count()} cores\n")
    print("| models | mode | columns traced | unresolved | check time | per model | peak RSS (main / workers) "
          "| `lineage()` scaled | speed-up |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        for m in row.measures:
            if m.error:
                print(f"| {row.size:,} | {m.mode} | FAILED: {m.error.replace('|', '/')} | | | | | "
                      f"{_seconds(row.lineage_seconds)} | |")
                continue
            print(f"| {row.size:,} | {m.mode} | {m.stats.get('traced_columns', 0):,} | {m.stats.get('unresolved')} "
                  f"| {_seconds(m.seconds)} | {1000 * m.seconds / row.size:.2f} ms "
                  f"| {_mib(m.main_kib)} / {_mib(m.workers_kib)} | {_seconds(row.lineage_seconds)} "
                  f"| {row.lineage_seconds / m.seconds:.0f}x |")
    print()
    for row in rows:
        print(f"- {row.size:,} models: manifest from {row.manifest_from} ({row.compile_seconds:.0f} s); "
              f"check time: fastest of {row.measures[0].runs} run(s) per mode; "
              f"lineage() timed on {row.sampled_models} models, {row.sampled_columns:,} columns")
    print()
    # Growth: time per model at each larger size / at the smallest (500 by
    # default); the goal is stated for the largest, the others are printed too.
    first = min(rows, key=lambda r: r.size)
    larger = sorted((r for r in rows if r is not first), key=lambda r: r.size)
    if not larger:
        print("----  time per model, largest size / smallest: one size only")
    for mode in MODES:
        a = next(m for m in first.measures if m.mode == mode)
        for row in larger:
            b = next(m for m in row.measures if m.mode == mode)
            if a.error or b.error:
                print(f"FAIL  {mode}: time per model at {row.size:,} / at {first.size:,}: a check failed")
                continue
            growth = (b.seconds / row.size) / (a.seconds / first.size)
            verdict = "PASS" if growth <= GROWTH_GOAL else "FAIL"
            print(f"{verdict}  {mode}: time per model at {row.size:,} / at {first.size:,}: {growth:.2f} "
                  f"(goal: at most {GROWTH_GOAL})")
    for mode in MODES:
        speedups = [(row.lineage_seconds / m.seconds, row.size) for row in rows for m in row.measures
                    if m.mode == mode and not m.error]
        failed = [row.size for row in rows for m in row.measures if m.mode == mode and m.error]
        if not speedups or failed:
            print(f"FAIL  {mode}: speed-up over per-column lineage(): check failed at {failed}")
            continue
        low, at = min(speedups)
        verdict = "PASS" if low >= SPEEDUP_GOAL else "FAIL"
        print(f"{verdict}  {mode}: speed-up over per-column lineage(): at least {low:.0f}x (at {at:,} models; "
              f"goal: at least {SPEEDUP_GOAL}x)")
    print(f"\nbench_lineage total: {total / 60:.1f} min")


def main() -> None:
    start = time.perf_counter()
    rows = [bench_size(size) for size in SIZES]
    print_results(rows, time.perf_counter() - start)


if __name__ == "__main__":
    main()
