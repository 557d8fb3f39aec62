"""`make demo`: pii_guard's story, told in under 60 lines.

A small shop's customers (the dbt project integration_tests/fixtures/demo) are
built on an embedded DuckDB file and hashed with a throwaway key made for this
run only. The demo shows the raw rows, what staging holds, what the safe mart
holds, every check passing, then the leaks planted in models/planted/ (built
only with --vars '{plant_leaks: true}'), each caught by its check. dbt runs in
this process with its console output silenced (its log is
integration_tests/target/demo/logs/dbt.log); every line printed is the demo's.
Everything is written under integration_tests/target/demo, or under
--workdir DIR.

Exit status 0 when the story is as told (the clean project passes every check
and every planted leak is caught), 1 with a `demo: ...` message on stderr
otherwise.

    $ make demo    # or: .venv/bin/python integration_tests/demo.py [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pii_guard.keys import KEY_ENV_VAR, generate_key
from pii_guard.plural import counted

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "integration_tests" / "fixtures" / "demo"
WORKDIR = REPO / "integration_tests" / "target" / "demo"
PROFILES = REPO / "integration_tests"
PLANT_LEAKS = "{plant_leaks: true}"
WIDTH = 96  # every line stays under 100 columns


class DemoFailure(Exception):
    """A step the story cannot go on without failed: the message says which."""


@dataclass(frozen=True)
class Leak:
    """A model of models/planted/: why it leaks, in one line, and the dbt
    results (see `label`) that must fail on it."""

    model: str
    why: str
    failing: tuple[str, ...]


LEAKS = (
    Leak("newsletter_export", "a mailing list in a safe model selects raw email; lineage checks catch it",
         ("newsletter_export", "no_pii_in_safe_models")),
    Leak("feedback_export", "comments declared not PII hold typed-in contacts; a scan of values sees them",
         ("no_pii_values(feedback_export.comment)",)),
    Leak("profiles_by_zip", "age_band + zip3, each generalized, single people out; group sizes show it",
         ("k_anonymity(profiles_by_zip)",)),
)


@dataclass
class Story:
    """What the demo printed and what turned out otherwise than it says."""

    problems: list[str] = field(default_factory=list)

    def say(self, text: str = "", indent: int = 0) -> None:
        """Prints `text` indented, wrapped under WIDTH columns."""
        prefix = " " * indent
        for line in textwrap.wrap(text, WIDTH, initial_indent=prefix, subsequent_indent=prefix + "  ") or [""]:
            print(line, flush=True)

    def expect(self, holds: bool, problem: str) -> bool:
        if not holds:
            self.problems.append(problem)
        return holds


def table(names: Sequence[str], rows: Iterable[Sequence[Any]], indent: int = 2) -> list[str]:
    """Rows under their column names, each column as wide as its widest value.

    >>> table(["id", "email"], [(1, "a@b.co"), (22, None)])
    ['  id  email', '  1   a@b.co', '  22  NULL']
    """
    cells = [["NULL" if value is None else str(value) for value in row] for row in rows]
    widths = [max(len(name), *(len(row[i]) for row in cells)) for i, name in enumerate(names)]
    return [(" " * indent + "  ".join(value.ljust(width) for value, width in zip(line, widths))).rstrip()
            for line in [list(names), *cells]]


def label(node: Any) -> str:
    """A dbt node as the story names it: a model or seed by its name, a generic
    test as test(model.column), a singular test by its name."""
    metadata = getattr(node, "test_metadata", None)
    if metadata is None:
        return node.name
    model = (node.attached_node or "").split(".")[-1]
    column = f".{node.column_name}" if getattr(node, "column_name", None) else ""
    return f"{metadata.name}({model}{column})"


def prepare_project(workdir: Path) -> Path:
    """A fresh copy of the demo project under `workdir`, with the package
    installed from this checkout, so dbt writes nothing beside the fixture.
    What an earlier run wrote there is removed, and nothing else."""
    for folder in ("project", "clean", "planted", "logs"):
        shutil.rmtree(workdir / folder, ignore_errors=True)
    (workdir / "warehouse.duckdb").unlink(missing_ok=True)
    project = workdir / "project"
    # What dbt may have written in the fixture itself is not the project.
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages",
                                                                   "package-lock.yml"))
    (project / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    return project


def shown(path: Path) -> str:
    """A path as printed: relative to the checkout when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def run_dbt(project: Path, workdir: Path, *args: str) -> list[Any]:
    """Runs dbt in this process, silent, and returns its node results."""
    from dbt.cli.main import dbtRunner

    command = [*args, "--project-dir", str(project), "--profiles-dir", str(PROFILES),
               "--log-path", str(workdir / "logs"), "--log-level", "none"]
    outcome = dbtRunner().invoke(command)
    if outcome.exception is not None or (outcome.result is None and not outcome.success):
        raise DemoFailure(f"`dbt {' '.join(args)}` did not run: {outcome.exception}; "
                          f"see {shown(workdir / 'logs' / 'dbt.log')}")
    return list(getattr(outcome.result, "results", []))


def pii_guard_check(project: Path, manifest: Path) -> subprocess.CompletedProcess[str]:
    """`pii-guard check` on a manifest, as CI runs it: no warehouse, no catalog."""
    command = [str(Path(sys.executable).parent / "pii-guard"), "check", "--manifest", str(manifest),
               "--project-dir", str(project), "--no-catalog"]
    return subprocess.run(command, capture_output=True, text=True)


def query(database: Path, sql: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(database)) as connection:
        result = connection.execute(sql)
        return [column[0] for column in result.description], result.fetchall()


def show_data(story: Story, database: Path) -> None:
    """Sections 1 to 3: raw, staging and the safe mart, three customers each."""
    names, rows = query(database, "select customer_id, full_name, email, phone, birth_date, zip "
                                  "from main_raw.raw_customers order by customer_id")
    story.say(f"1. Raw: seed raw_customers, {len(rows)} customers with synthetic PII (first 3):")
    print("\n".join(table(names, rows[:3])))
    story.say()
    story.say("2. Staging: stg_customers protects each PII column (keyed hash, mask, generalize):")
    names, rows = query(database, "select left(customer_key, 10) || '..' as customer_key, "
                                  "left(email_hash, 10) || '..' as email_hash, email_masked, phone_masked, "
                                  "age_band, zip3, state from main_staging.stg_customers limit 3")
    print("\n".join(table(names, rows)))
    story.say()
    story.say("3. Safe mart: customer_profiles, what analysts read (privacy_tier: safe):")
    names, rows = query(database, "select left(customer_key, 10) || '..' as customer_key, age_band, state, "
                                  "signup_channel, total_spend from main_safe.customer_profiles limit 3")
    print("\n".join(table(names, rows)))
    _, groups = query(database, "select age_band || ' ' || state, count(*) from main_safe.customer_profiles "
                                "group by all order by all")
    story.say("customers per (age_band, state): " + ", ".join(f"{group}={size}" for group, size in groups), 2)
    smallest = min(size for _, size in groups)
    story.say(f"smallest group: {smallest} customers, so k_anonymity with k=2 holds", 2)
    story.expect(smallest >= 2, f"the safe mart has a group of {smallest}: it is not 2-anonymous")


def summary(results: list[Any]) -> str:
    """'1 seed, 2 models, 6 data tests' for the nodes dbt built or tested."""
    kinds = [result.node.resource_type for result in results]
    return ", ".join(counted(kinds.count(kind), noun) for kind, noun in
                     (("seed", "seed"), ("model", "model"), ("test", "data test")))


def show_clean_checks(story: Story, results: list[Any], checked: subprocess.CompletedProcess[str]) -> None:
    """Section 4: the clean project passes every check."""
    story.say("4. Checks on the clean project:")
    failed = [f"{label(r.node)}: {r.status}" for r in results if str(r.status) not in ("pass", "success")]
    story.expect(not failed, "the clean build did not pass: " + "; ".join(failed))
    story.say(f"dbt build: {summary(results)}: {'all passed' if not failed else 'NOT ALL PASSED'}", 2)
    by_label = {label(r.node): r for r in results}
    for name, why in (("no_pii_in_safe_models", "no PII column reaches a safe model"),
                      ("k_anonymity(customer_profiles)", "on (age_band, state), k=2"),
                      ("no_pii_values(customer_profiles.signup_channel)", "no email, phone, SSN, card, IP"),
                      ("is_pseudonym(customer_profiles.customer_key)", "keyed hashes, not raw ids")):
        status = str(by_label[name].status) if name in by_label else "not run"
        story.expect(status == "pass", f"{name} did not pass on the clean project: {status}")
        story.say(f"{name}: {status} ({why})", 4)
    story.say("build-time guard (pre-hook refuse_pii_in_safe_model): every safe model built", 4)
    report = checked.stdout.strip().splitlines()
    story.expect(checked.returncode == 0, f"pii-guard check exited {checked.returncode} on the clean project: "
                 + (checked.stdout + checked.stderr).strip())
    story.say(f"pii-guard check (the CI gate: manifest only, no warehouse): exit {checked.returncode}", 2)
    story.say(report[-1] if report else checked.stderr.strip(), 4)


def stored_failures(database: Path, result: Any) -> list[tuple]:
    """The failing rows a test stored (dbt build --store-failures)."""
    return query(database, f"select * from {result.node.relation_name}")[1]


def show_catches(story: Story, leak: Leak, by_label: dict[str, Any], database: Path) -> None:
    """How each dbt check failed on one planted leak."""
    for name in leak.failing:
        result = by_label.get(name)
        status = str(result.status) if result is not None else "not run"
        caught = story.expect(status in ("fail", "error"), f"{name} did not catch {leak.model}: {status}")
        verdict = "FAIL" if caught else f"not caught ({status})"
        if name == leak.model:
            refused = "refusing to build" in (result.message or "") if result is not None else False
            story.expect(refused, f"the build-time guard did not refuse {leak.model}")
            story.say(f"build-time guard: {'refused to build it' if refused else verdict}", 4)
        elif name == "no_pii_in_safe_models" and caught:
            findings = [f"{row[0].split('.')[-1]}.{row[1]}" for row in stored_failures(database, result)]
            story.expect(findings == [f"{leak.model}.email"], f"no_pii_in_safe_models found {findings}")
            story.say(f"{name}: FAIL, {counted(len(findings), 'violation')}: {', '.join(findings)}", 4)
        elif name.startswith("no_pii_values") and caught:
            detected = ", ".join(sorted({row[1] for row in stored_failures(database, result)}))
            story.say(f"{name}: FAIL, {counted(result.failures, 'row')} ({detected})", 4)
        elif name.startswith("k_anonymity") and caught:
            story.say(f"{name}: FAIL, {counted(result.failures, 'group')} of fewer than 2 customers", 4)
        else:
            story.say(f"{name}: {verdict}", 4)


def show_lineage_catch(story: Story, leak: Leak, checked: subprocess.CompletedProcess[str]) -> None:
    """`pii-guard check` on the planted project: exit 1, naming model, column and path."""
    report = checked.stdout.strip().splitlines()
    findings = [line for line in report if line.startswith(("VIOLATION", "UNRESOLVED"))]
    expected = f"VIOLATION model.shop.{leak.model}.email <- seed.shop.raw_customers.email"
    story.expect(checked.returncode == 1 and len(findings) == 1 and findings[0].startswith(expected + ":"),
                 f"pii-guard check exited {checked.returncode} reporting "
                 f"{'; '.join(findings) or checked.stderr.strip() or 'no violation'}; expected exactly one: {expected}")
    story.say(f"pii-guard check: exit {checked.returncode}", 4)
    for line in report:
        if line.startswith(("VIOLATION", "UNRESOLVED", "    path:")):
            story.say(line.strip(), 6)


def show_planted(story: Story, results: list[Any], checked: subprocess.CompletedProcess[str],
                 database: Path) -> None:
    """Section 5: one planted leak caught by each check, and nothing else failing."""
    story.say(f"5. Planted leaks: models/planted/, built only with --vars '{PLANT_LEAKS}':")
    by_label = {label(r.node): r for r in results}
    expected_failures = {name for leak in LEAKS for name in leak.failing}
    others = [f"{name}: {r.status}" for name, r in by_label.items()
              if name not in expected_failures and str(r.status) not in ("pass", "success")]
    story.expect(not others, "with the leaks planted, other nodes failed too: " + "; ".join(others))
    for leak in LEAKS:
        story.say(f"{leak.model}: {leak.why}", 2)
        show_catches(story, leak, by_label, database)
        if leak.model == "newsletter_export":
            show_lineage_catch(story, leak, checked)


def verdict(story: Story) -> int:
    """The last line: as expected (exit 0), or every problem on stderr (exit 1)."""
    if story.problems:
        print("demo: NOT as expected:\n" + "\n".join(f"  - {problem}" for problem in story.problems),
              file=sys.stderr)
        return 1
    story.say("demo: as expected. The clean project passes every check; each planted leak is caught.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pii_guard's demo: a short story of its checks.")
    parser.add_argument("--workdir", type=Path, default=WORKDIR,
                        help=f"where dbt writes its files and the DuckDB database (default: {shown(WORKDIR)})")
    workdir = parser.parse_args(argv).workdir.resolve()
    story = Story()
    # Throwaway: printed nowhere, gone when this process ends. dbt runs in
    # this process and the pii_guard DuckDB plugin reads the key from here.
    os.environ[KEY_ENV_VAR] = generate_key()
    database = workdir / "warehouse.duckdb"
    os.environ.update(DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_VERSION_CHECK="false",
                      PII_GUARD_DUCKDB_PATH=str(database))
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        project = prepare_project(workdir)
        story.say("pii_guard demo: a shop's customers on DuckDB, hashed with a key made for this run only")
        story.say(f"project: {shown(FIXTURE)}; built in {shown(workdir)}")
        story.say()
        run_dbt(project, workdir, "deps")
        clean = run_dbt(project, workdir, "build", "--target-path", str(workdir / "clean"))
        show_data(story, database)
        story.say()
        show_clean_checks(story, clean, pii_guard_check(project, workdir / "clean" / "manifest.json"))
        story.say()
        planted = run_dbt(project, workdir, "build", "--target-path", str(workdir / "planted"),
                          "--vars", PLANT_LEAKS, "--store-failures")
        show_planted(story, planted, pii_guard_check(project, workdir / "planted" / "manifest.json"), database)
    except (DemoFailure, duckdb.Error, OSError) as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    story.say()
    return verdict(story)


if __name__ == "__main__":
    sys.exit(main())
