"""`make bench`: pii-guard check on sqlglot's pure-Python and compiled builds,
against per-column sqlglot lineage().

For generated projects of 500, 5,000 and 20,000 models (BENCH_SIZES=500,2000
to choose others; CTE chains, joins, unions, stars, ephemeral models;
benchmarks/generate_project.py), each compiled with `dbt compile`, prints in
one run, for each size side by side:
  - both sqlglot builds: the pure-Python modules and the compiled ones
    (sqlglotc, the `compiled` extra). sqlglotc has no switch: it puts a
    compiled extension module beside each of sqlglot's .py files, and Python
    imports an extension module before a source file of the same name. A run
    on the pure build installs an import finder that loads sqlglot's modules
    from their .py files only (`use_build`), which is what an installation
    without sqlglotc imports; `sqlglot.tokens.SQLGLOTC_INSTALLED` tells which
    build each run got, and the bench stops when it is not the one asked for;
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
    per output column, on the same build, timed on a fixed sample of
    BENCH_LINEAGE_SAMPLE models and scaled to the whole project (running it on
    every model takes hours), and the checker's speed-up over it.
Then the goals, as PASS/FAIL lines (it prints, it does not assert): time per
model at each larger size (5,000; 20,000) at most 1.3 times that at the
smallest (500), at least 20 times faster than per-column lineage(), and the
JSON report of the compiled build byte-identical to the pure build's.
Each check is timed as the fastest of a few runs (BENCH_ROUNDS to set).
BENCH_PROFILE=5000 also profiles the check at that size with cProfile, in
one process (no workers), and prints where the time goes by module.

Progress goes to stderr, the Markdown table and goal lines to stdout.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from generate_project import RAW_COLUMNS, generate, write_catalog

PROFILES = Path(__file__).resolve().parents[1] / "integration_tests"
DBT = str(Path(sys.executable).parent / "dbt")
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "500,5000,20000").split(",")]
SAMPLE = int(os.environ.get("BENCH_LINEAGE_SAMPLE", 60))
GROWTH_GOAL = 1.3  # time per model at the largest size / at the smallest, at most
SPEEDUP_GOAL = 20  # times faster than per-column lineage(), at least
MODES = ("catalog", "catalog-free")
BUILDS = ("pure", "compiled")  # sqlglot's .py modules; sqlglotc's compiled ones
# Each check is run this many times, builds and modes alternating, and the
# fastest run counts (peak RSS: the largest); by default 3 up to 1,000 models
# (the base of the growth ratio), 2 below 10,000, 1 above.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 0))
PROFILE_SIZE = int(os.environ.get("BENCH_PROFILE", 0))
HERE = Path(__file__).resolve()


@dataclass
class Measure:
    mode: str
    build: str
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)
    main_kib: int = 0
    workers_kib: int = 0
    error: str | None = None
    runs: int = 1
    digest: str = ""  # sha256 of the JSON report: the builds must agree


@dataclass
class Row:
    size: int
    manifest_from: str
    compile_seconds: float
    measures: list[Measure]
    lineage_seconds: dict[str, float]  # build -> per-column lineage() time, scaled to the project
    sampled_models: int = 0
    sampled_columns: int = 0
    profiles: dict[str, dict] = field(default_factory=dict)  # build -> child_profile's result


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


class SourceOnlySqlglot(importlib.abc.MetaPathFinder):
    """Finds sqlglot's modules as their .py files only: the extension modules
    sqlglotc puts beside them are never imported (Python would prefer them)."""

    def find_spec(self, name, path=None, target=None):
        if name != "sqlglot" and not name.startswith("sqlglot."):
            return None
        loaders = [(importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES)]
        for entry in path if path is not None else sys.path:
            spec = importlib.machinery.FileFinder(entry or ".", *loaders).find_spec(name, target)
            if spec is not None:
                return spec
        return None


def use_build(build: str) -> None:
    """Import sqlglot as `build` ("pure" or "compiled"); exit when this
    environment cannot give that build."""
    if "sqlglot" in sys.modules:
        sys.exit("bench: sqlglot was imported before its build was chosen")
    if build == "pure":
        # Process-pool workers must inherit the finder's modules: they do when forked.
        if multiprocessing.get_start_method() != "fork":
            sys.exit("bench: the pure build is measured only where worker processes fork (Linux)")
        sys.meta_path.insert(0, SourceOnlySqlglot())
    from sqlglot.tokens import SQLGLOTC_INSTALLED

    if SQLGLOTC_INSTALLED != (build == "compiled"):
        sys.exit(f"bench: asked for sqlglot's {build} build, got the "
                 f"{'compiled' if SQLGLOTC_INSTALLED else 'pure'} one (install pii-guard[compiled] or [dev])")


def child_check(manifest: str, catalog: str, project: str) -> dict:
    """One check() in this (fresh) process: its time, stats, peak RSS and the
    digest of its JSON report. Imports come before the clock starts."""
    from pii_guard.lineage.pipeline import check
    from pii_guard.lineage.report import FORMATTERS

    start = time.perf_counter()
    report = check(Path(manifest), Path(catalog) if catalog else None, Path(project))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "stats": report.stats,
            "main_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "workers_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            "digest": hashlib.sha256(FORMATTERS["json"](report).encode()).hexdigest()}


def child_lineage(manifest: str, columns_file: str) -> dict:
    """Time lineage() for every output column of SAMPLE models; return the
    time scaled to all SQL models, and the models and columns sampled.
    Each model's output columns are the generator's; the schema holds every
    source and (non-ephemeral) model with its columns, as the checker knows them."""
    from sqlglot.lineage import lineage

    from pii_guard.lineage.project import load_project
    from pii_guard.lineage.schemas import schema_for

    columns: dict[str, list[str]] = json.loads(Path(columns_file).read_text())
    project = load_project(Path(manifest), None)
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
    return {"seconds": elapsed * len(models) / len(sample), "models": len(sample), "columns": traced}


def child_profile(manifest: str, catalog: str, project: str) -> dict:
    """The check under cProfile in one process (workers=1: cProfile sees
    only its own process): each top-level package's share of the time spent
    in its own functions, and the ten costliest functions."""
    import cProfile
    import pstats

    from pii_guard.lineage.pipeline import trace_project
    from pii_guard.lineage.project import load_project
    from pii_guard.lineage.report import build_report

    profiler = cProfile.Profile()
    profiler.enable()
    loaded = load_project(Path(manifest), Path(catalog) if catalog else None, Path(project))
    build_report(loaded, trace_project(loaded, workers=1), None)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (calls, primitive, tottime, cumtime, callers)
    total = sum(entry[2] for entry in stats.values())
    by_area: dict[str, float] = {}
    for (file, _, name), entry in stats.items():
        by_area[_area(file, name)] = by_area.get(_area(file, name), 0.0) + entry[2]
    costliest = sorted(stats.items(), key=lambda item: -item[1][2])[:10]
    return {"total": total, "areas": sorted(by_area.items(), key=lambda item: -item[1]),
            "functions": [(f"{_area(file, name)}: {name} ({Path(file).name}:{line})", entry[2])
                          for (file, line, name), entry in costliest]}


def _area(file: str, name: str) -> str:
    """sqlglot.<module>, pii_guard.<module>, or the standard library / builtins."""
    parts = Path(file).with_suffix("").parts
    for package in ("sqlglot", "pii_guard"):
        if package in parts:
            inner = parts[parts.index(package) + 1:]
            module = inner[0] if inner and inner[0] != "lineage" else ".".join(inner[:2])
            return f"{package}.{module}" if module else package
    return "builtins" if file == "~" else "python"


CHILDREN = {"check": child_check, "lineage": child_lineage, "profile": child_profile}


def run_child(build: str, task: str, *args: str, cwd: Path) -> tuple[dict | None, str]:
    """`task` in a fresh interpreter on sqlglot's `build`: its result, or None and the error's last line."""
    result = subprocess.run([sys.executable, str(HERE), "child", build, task, *args],
                            cwd=cwd, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH-RESULT ")]
    if result.returncode != 0 or not lines:
        tail = (result.stderr.strip().splitlines() or [f"exit {result.returncode}, no output"])[-1]
        return None, tail[:300]
    return json.loads(lines[-1].removeprefix("BENCH-RESULT ")), ""


def measure_check(mode: str, build: str, manifest: Path, catalog: Path | None, project: Path) -> Measure:
    """One check() in a fresh process on `build`: its time, stats and peak RSS."""
    data, error = run_child(build, "check", str(manifest), str(catalog or ""), str(project), cwd=project)
    if data is None:
        return Measure(mode, build, error=error)
    return Measure(mode, build, data["seconds"], data["stats"], data["main_kib"], data["workers_kib"],
                   digest=data["digest"])


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
        rounds = ROUNDS or (3 if size <= 1_000 else 2 if size < 10_000 else 1)
        runs: dict[tuple[str, str], list[Measure]] = {(b, m): [] for b in BUILDS for m in MODES}
        for r in range(1, rounds + 1):
            for build in BUILDS:
                for mode in MODES:
                    say(f"{size} models: check ({build} sqlglot, {mode}, run {r} of {rounds}) ...")
                    m = measure_check(mode, build, manifest, catalog if mode == "catalog" else None, project)
                    if m.error:
                        say(f"{size} models: check ({build}, {mode}) FAILED: {m.error}")
                    else:
                        say(f"{size} models: check ({build}, {mode}) {m.seconds:.2f} s, "
                            f"{m.stats.get('violations')} violations, {m.stats.get('unresolved')} unresolved, "
                            f"peak RSS {m.main_kib / 1024:.0f} MiB main / {m.workers_kib / 1024:.0f} MiB workers")
                    runs[build, mode].append(m)
        measures = [_best(runs[build, mode]) for build in BUILDS for mode in MODES]
        columns_file = project / "bench_columns.json"
        columns_file.write_text(json.dumps(generated.columns))
        theirs: dict[str, float] = {}
        sampled = traced = 0
        for build in BUILDS:
            say(f"{size} models: per-column lineage() ({build} sqlglot) on {SAMPLE} sampled models ...")
            data, error = run_child(build, "lineage", str(manifest), str(columns_file), cwd=project)
            if data is None:
                sys.exit(f"bench: per-column lineage() failed: {error}")
            theirs[build], sampled, traced = data["seconds"], data["models"], data["columns"]
            say(f"{size} models: per-column lineage() ({build}) {theirs[build]:.0f} s scaled "
                f"({sampled} models, {traced} columns timed)")
        profiles = profile(manifest, catalog, project) if size == PROFILE_SIZE else {}
    return Row(size, "dbt compile", compiled, measures, theirs, sampled, traced, profiles)


def profile(manifest: Path, catalog: Path, project: Path) -> dict[str, dict]:
    """Where the check's time goes, on each build."""
    found = {}
    for build in BUILDS:
        say(f"profiling the check ({build} sqlglot, catalog, one process) ...")
        data, error = run_child(build, "profile", str(manifest), str(catalog), str(project), cwd=project)
        if data is None:
            sys.exit(f"bench: profiling failed: {error}")
        found[build] = data
    return found


def _best(runs: list[Measure]) -> Measure:
    """The fastest run, with the largest peak RSS of all runs; failed if any failed."""
    failed = [m for m in runs if m.error]
    if failed:
        return failed[0]
    best = min(runs, key=lambda m: m.seconds)
    return Measure(best.mode, best.build, best.seconds, best.stats, max(m.main_kib for m in runs),
                   max(m.workers_kib for m in runs), runs=len(runs), digest=best.digest)


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def _seconds(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds < 100 else f"{seconds:,.0f} s"


def print_results(rows: list[Row], total: float) -> None:
    print(f"\npii-guard check on sqlglot's pure-Python and compiled (sqlglotc) builds, with and without "
          f"catalog.json, vs per-column sqlglot.lineage.lineage() on the same build (timed on {SAMPLE} sampled "
          f"models, scaled to the project); {os.cpu_count()} cores\n")
    print("| models | mode | sqlglot | columns traced | unresolved | check time | per model | compiled vs pure "
          "| peak RSS (main / workers) | `lineage()` scaled | speed-up |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        for mode in MODES:
            pure = _measure(row, "pure", mode)
            for m in (_measure(row, build, mode) for build in BUILDS):
                theirs = row.lineage_seconds[m.build]
                if m.error:
                    print(f"| {row.size:,} | {mode} | {m.build} | FAILED: {m.error.replace('|', '/')} | | | | | | "
                          f"{_seconds(theirs)} | |")
                    continue
                versus = f"{pure.seconds / m.seconds:.2f}x" if m.build != "pure" and not pure.error else ""
                print(f"| {row.size:,} | {mode} | {m.build} | {m.stats.get('traced_columns', 0):,} "
                      f"| {m.stats.get('unresolved')} | {_seconds(m.seconds)} | {1000 * m.seconds / row.size:.2f} ms "
                      f"| {versus} | {_mib(m.main_kib)} / {_mib(m.workers_kib)} | {_seconds(theirs)} "
                      f"| {theirs / m.seconds:.0f}x |")
    print()
    for row in rows:
        print(f"- {row.size:,} models: manifest from {row.manifest_from} ({row.compile_seconds:.0f} s); "
              f"check time: fastest of {row.measures[0].runs} run(s) per build and mode; "
              f"lineage() timed on {row.sampled_models} models, {row.sampled_columns:,} columns per build, "
              f"scaled (not run on the whole project)")
    print()
    _print_goals(rows)
    for row in rows:
        _print_profiles(row)
    print(f"\nbench_lineage total: {total / 60:.1f} min")


def _measure(row: Row, build: str, mode: str) -> Measure:
    return next(m for m in row.measures if m.build == build and m.mode == mode)


def _print_goals(rows: list[Row]) -> None:
    # Growth: time per model at each larger size / at the smallest (500 by
    # default); the goal is stated for the largest, the others are printed too.
    first = min(rows, key=lambda r: r.size)
    larger = sorted((r for r in rows if r is not first), key=lambda r: r.size)
    if not larger:
        print("----  time per model, largest size / smallest: one size only")
    for build in BUILDS:
        for mode in MODES:
            a = _measure(first, build, mode)
            for row in larger:
                b = _measure(row, build, mode)
                if a.error or b.error:
                    print(f"FAIL  {build}, {mode}: time per model at {row.size:,} / at {first.size:,}: a check failed")
                    continue
                growth = (b.seconds / row.size) / (a.seconds / first.size)
                verdict = "PASS" if growth <= GROWTH_GOAL else "FAIL"
                print(f"{verdict}  {build}, {mode}: time per model at {row.size:,} / at {first.size:,}: "
                      f"{growth:.2f} (goal: at most {GROWTH_GOAL})")
    for build in BUILDS:
        for mode in MODES:
            measured = [(row, _measure(row, build, mode)) for row in rows]
            failed = [row.size for row, m in measured if m.error]
            if failed:
                print(f"FAIL  {build}, {mode}: speed-up over per-column lineage(): check failed at {failed}")
                continue
            low, at = min((row.lineage_seconds[build] / m.seconds, row.size) for row, m in measured)
            verdict = "PASS" if low >= SPEEDUP_GOAL else "FAIL"
            print(f"{verdict}  {build}, {mode}: speed-up over per-column lineage() on the same build: at least "
                  f"{low:.0f}x (at {at:,} models; goal: at least {SPEEDUP_GOAL}x)")
    differing = [f"{row.size:,} {mode}" for row in rows for mode in MODES
                 if len({_measure(row, build, mode).digest for build in BUILDS}) != 1
                 or any(_measure(row, build, mode).error for build in BUILDS)]
    verdict = "FAIL" if differing else "PASS"
    print(f"{verdict}  the compiled build's JSON report is byte-identical to the pure build's at every size and "
          f"mode{': not at ' + ', '.join(differing) if differing else ''}")


def _print_profiles(row: Row) -> None:
    for build, data in row.profiles.items():
        print(f"\ncProfile of the check at {row.size:,} models, {build} sqlglot, catalog, one process "
              f"(workers=1), {data['total']:.1f} s in functions; own time by module:")
        for area, seconds in data["areas"][:12]:
            print(f"  {100 * seconds / data['total']:5.1f}%  {seconds:7.2f} s  {area}")
        print("  costliest functions (own time):")
        for name, seconds in data["functions"]:
            print(f"  {100 * seconds / data['total']:5.1f}%  {seconds:7.2f} s  {name}")


def child(build: str, task: str, *args: str) -> None:
    """`bench_lineage.py child BUILD TASK ARGS...`: one measurement, in this
    fresh interpreter, printed as one JSON line."""
    use_build(build)
    print("BENCH-RESULT " + json.dumps(CHILDREN[task](*args), default=str), flush=True)


def main() -> None:
    if sys.argv[1:2] == ["child"]:
        child(*sys.argv[2:])
        return
    start = time.perf_counter()
    rows = [bench_size(size) for size in SIZES]
    print_results(rows, time.perf_counter() - start)


if __name__ == "__main__":
    main()
