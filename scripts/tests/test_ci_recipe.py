"""The CI recipe users copy (docs/ci/pii_guard.yml) and the pre-commit hook
(.pre-commit-hooks.yaml): each passes its linter (and a broken copy does not),
the workflow runs the commands docs/checker.md documents in order with the SARIF upload wired
as code scanning needs it, and the hook, installed by pre-commit itself, runs
`pii-guard check` on a dbt project: clean passes, a leak fails naming it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dbt_harness import DbtProject, require_ok

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "docs" / "ci" / "pii_guard.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
FIXTURE = REPO / "integration_tests" / "fixtures" / "build_time_enforcement"


def run(*command: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None,
        timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def lint_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", path)


def lint_hooks(path: Path) -> subprocess.CompletedProcess[str]:
    return run(BIN / "pre-commit", "validate-manifest", path)


LINTED = {"workflow": (WORKFLOW, lint_workflow), "hooks": (HOOKS, lint_hooks)}


@pytest.mark.parametrize("linted", list(LINTED))
def test_each_file_passes_its_linter(linted):
    path, lint = LINTED[linted]
    result = lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("linted, good, broken, named", [
    ("workflow", "security-events: write", "security-events: writable", "security-events"),
    ("workflow", "    runs-on: ubuntu-latest\n", "", "runs-on"),
    ("hooks", "language: python", "language: pyton", "pyton"),
    ("hooks", "  entry: pii-guard check\n", "", "entry"),
])
def test_each_linter_rejects_a_broken_copy(tmp_path, linted, good, broken, named):
    path, lint = LINTED[linted]
    copy = tmp_path / path.name
    assert good in path.read_text()
    copy.write_text(path.read_text().replace(good, broken, 1))
    result = lint(copy)
    assert result.returncode == 1 and named in result.stdout, result.stdout + result.stderr


def _steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return job["steps"]


def test_the_check_gates_the_build_and_its_sarif_reaches_code_scanning():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    steps = job["steps"]
    names = [step.get("uses", "").split("@")[0] or step["name"] for step in steps]
    assert names == ["actions/checkout", "actions/setup-python", "Install dbt and pii-guard", "dbt deps",
                     "dbt compile", "pii-guard check", "github/codeql-action/upload-sarif", "dbt build"]
    check, upload, build = steps[5], steps[6], steps[7]
    assert check["run"] == "pii-guard check --format sarif --output pii-guard.sarif"
    # Uploaded when the check failed too (that is when it matters), unless it wrote nothing (bad input).
    assert upload["if"] == "always() && hashFiles('pii-guard.sarif') != ''"
    assert upload["with"]["sarif_file"] == "pii-guard.sarif"
    # No `if` on the build: it runs only when every step before it, the check included, passed.
    assert "if" not in build and "continue-on-error" not in check
    assert "pip install \"pii-guard[duckdb] @ git+${PII_GUARD_GIT_URL}@v" in steps[2]["run"]


def _docs_section(page: str, heading: str) -> str:
    text = (REPO / "docs" / page).read_text()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def test_the_workflow_runs_the_commands_the_docs_document_in_order():
    section = _docs_section("checker.md", "CI recipe")
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    documented = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    run_lines = [line.strip() for step in _steps() for line in step.get("run", "").splitlines()]
    commands = [line for line in run_lines if line.startswith(("pip ", "dbt ", "pii-guard "))]
    assert commands == documented


@pytest.mark.parametrize("path, matched", [
    ("models/staging/stg_people.sql", True),
    ("models/safe/_schema.yml", True),
    ("analytics/models/marts/orders.yaml", True),
    ("seeds/people.csv", True),
    ("macros/cents.sql", True),
    ("snapshots/people_snapshot.sql", True),
    ("dbt_project.yml", True),
    ("README.md", False),
    ("scripts/load.py", False),
    ("models/notes.md", False),
    ("target/compiled/models/x.sql", False),
    ("dbt_packages/pii_guard/macros/hashing/hash_pii.sql", False),
])
def test_the_hook_runs_when_what_it_checks_changes(path, matched):
    (hook,) = yaml.safe_load(HOOKS.read_text())
    assert bool(re.search(hook["files"], path) and not re.search(hook["exclude"], path)) is matched


LEAKY = "select id, city, email from {{ ref('people') }}\n"


@pytest.fixture(scope="module")
def user_project(tmp_path_factory):
    """A user's dbt project in its own git repository: the build-time
    fixture, with pii_guard installed from this checkout."""
    directory = tmp_path_factory.mktemp("user_project") / "project"
    shutil.copytree(FIXTURE, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    (directory / ".gitignore").write_text("target/\nlogs/\ndbt_packages/\n*.duckdb\n")
    for command in (["init", "-q"], ["add", "-A"]):
        require_ok(run("git", *command, cwd=directory), "git " + command[0])
    project = DbtProject(directory, key=None, project_dir=directory)
    require_ok(project.dbt("deps"), "dbt deps")
    return project


def _hook(project: DbtProject, tmp_path: Path, stg_people_sql: str | None = None) -> subprocess.CompletedProcess[str]:
    """`dbt compile`, then the hook as pre-commit installs and runs it from this repository."""
    if stg_people_sql is not None:
        (project.project_dir / "models" / "staging" / "stg_people.sql").write_text(stg_people_sql)
    require_ok(project.dbt("compile"), "dbt compile")
    env = dict(project.env(), PRE_COMMIT_HOME=str(tmp_path.parent / "pre-commit-home"))
    return run(BIN / "pre-commit", "try-repo", REPO, "pii-guard-check", "--all-files", "--verbose",
               cwd=project.project_dir, env=env, timeout=900)


def test_the_hook_passes_a_clean_project_and_fails_a_leak(user_project, tmp_path):
    clean = _hook(user_project, tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"^pii-guard check\.+Passed$", clean.stdout, re.MULTILINE), clean.stdout
    leaky = _hook(user_project, tmp_path, LEAKY)
    assert leaky.returncode == 1, leaky.stdout + leaky.stderr
    assert re.search(r"^pii-guard check\.+Failed$", leaky.stdout, re.MULTILINE), leaky.stdout
    found = sorted(line for line in leaky.stdout.splitlines() if line.startswith("VIOLATION "))
    assert found == [
        f"VIOLATION model.bte_fixture.{model}.email <- seed.bte_fixture.people.email: "
        "PII reaches a safe model without a protecting transform"
        for model in ("safe_incremental", "safe_table", "safe_view")
    ]
    assert "accepted  model.bte_fixture.safe_allowed.email <- seed.bte_fixture.people.email" in leaky.stdout
