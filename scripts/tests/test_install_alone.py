"""The `pii-guard` command installed alone, as a user installs it: a fresh
virtual environment, `pip install <checkout>` with its declared dependencies
from the package index, no extra, no dbt. It runs check, explain and hash on a
saved manifest (integration_tests/fixtures/installed_alone), and each
subcommand that needs an extra says which, in one line.

That environment has sqlglot's pure-Python build (the `compiled` extra is not
installed) while the test's own has the compiled one (sqlglotc, from the dev
extra): the lineage corpus, the integration project and every lineage
construct give byte-identical results under both.

The environment is built once per session, in a temporary directory, from a
copy of the checkout (pip builds in the source tree); nothing is read from or
written to the repository's .venv.

    python scripts/tests/test_install_alone.py --save-manifest target/manifest.json
rewrites the fixture's manifest.json from one `dbt compile` wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "integration_tests" / "fixtures" / "installed_alone"
CORPUS = REPO / "integration_tests" / "fixtures" / "lineage_corpus"
VECTORS = REPO / "integration_tests" / "vectors" / "pseudonym_vectors.json"
KEY_ENV_VAR = "DBT_ENV_SECRET_PII_GUARD_KEY"
# What the checkout copy leaves out: environments, dbt's output, caches.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "target", "logs", "dbt_packages", "build", "*.egg-info",
                                    "__pycache__", ".pytest_cache", "*.duckdb", "*.duckdb.wal")
# The manifest's fields pii-guard never reads and that hold one machine's paths (or dbt's whole macro library).
UNREAD_TOP_LEVEL = ("macros",)
UNREAD_NODE_FIELDS = ("root_path", "compiled_path")

# Traces every lineage construct (integration_tests/fixtures/lineage_constructs)
# and prints the result as JSON, with the sqlglot build it ran on.
TRACE_CONSTRUCTS = """
import json, sys
from pathlib import Path
import yaml
from sqlglot.tokens import SQLGLOTC_INSTALLED
from pii_guard.lineage.schemas import schema_for
from pii_guard.lineage.trace import trace_model
fixtures = Path(sys.argv[1])
tables = yaml.safe_load((fixtures / "tables.yml").read_text())
traced = {}
for path in sorted(fixtures.glob("*/*.sql")):
    dialect = path.parent.name
    schema = schema_for({("", "s", t): list(spec["columns"]) for t, spec in tables.items()}, dialect)
    model = trace_model(path.read_text(), dialect, schema)
    traced[f"{dialect}/{path.stem}"] = {"unresolved": model.unresolved, "columns": {
        name: sorted(repr(dep) for dep in deps) for name, deps in model.columns.items()}}
print(json.dumps({"compiled": SQLGLOTC_INSTALLED, "traced": traced}, sort_keys=True))
"""


def save_manifest(compiled: Path, saved: Path = FIXTURE / "manifest.json") -> None:
    """The fixture's manifest from one `dbt compile` wrote, without what pii-guard never reads."""
    manifest = json.loads(compiled.read_text())
    for key in UNREAD_TOP_LEVEL:
        manifest.pop(key, None)
    for node in list(manifest.get("nodes", {}).values()) + list(manifest.get("sources", {}).values()):
        for key in UNREAD_NODE_FIELDS:
            node.pop(key, None)
    saved.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> Path:
    """A fresh virtual environment with pii-guard installed alone; its bin directory."""
    scratch = tmp_path_factory.mktemp("install_alone")
    checkout = scratch / "pii_guard"
    shutil.copytree(REPO, checkout, ignore=NOT_COPIED)
    venv = scratch / "venv"
    env = _clean_env(None)
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True, env=env, timeout=300)
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", str(checkout)],
                               env=env, capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    return venv / "bin"


def _clean_env(bin_dir: Path | None, **extra: str) -> dict[str, str]:
    """The environment of a user's shell with only `bin_dir` on PATH before the
    system's: no virtual environment, PYTHONPATH or key of the test run leaks in."""
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", KEY_ENV_VAR,
               "DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PII_GUARD_")}
    env["PATH"] = os.pathsep.join(([str(bin_dir)] if bin_dir else []) + ["/usr/local/bin", "/usr/bin", "/bin"])
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def run(bin_dir: Path, *args: str, cwd: Path = FIXTURE, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "pii-guard"), *args], cwd=cwd, env=_clean_env(bin_dir, **env),
                          capture_output=True, text=True, timeout=600)


def fixture_args(*args: str) -> list[str]:
    return [*args, "--project-dir", str(FIXTURE), "--manifest", str(FIXTURE / "manifest.json")]


# -- what got installed ---------------------------------------------------------------


def test_only_the_declared_dependencies_are_installed(alone):
    """No extra came along: dbt, the warehouse drivers and the compiled sqlglot are
    absent (so the tests below show what a user without them sees), and
    pii_guard is imported from the environment, not from the checkout."""
    probe = ("import importlib.util, json, pii_guard, sqlglot.tokens; print(json.dumps({"
             "'found': sorted(m for m in ('dbt', 'duckdb', 'psycopg2', 'pyarrow', 'cryptography', 'yaml') "
             "if importlib.util.find_spec(m)), 'package': pii_guard.__file__, "
             "'compiled': sqlglot.tokens.SQLGLOTC_INSTALLED}))")
    result = subprocess.run([str(alone / "python"), "-c", probe], cwd="/", env=_clean_env(alone),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["found"] == ["yaml"]
    assert found["package"].startswith(str(alone.parent / "lib"))
    assert found["compiled"] is False
    checked = subprocess.run([str(alone / "python"), "-m", "pip", "check"], env=_clean_env(alone),
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- check, explain, hash on a saved manifest ------------------------------------------


def test_check_reports_the_leaks_of_the_saved_manifest(alone):
    result = run(alone, *fixture_args("check"))
    assert result.stderr == ""
    assert result.returncode == 1
    # newsletter.address is lower(email) through a CTE; support_contacts.phone is
    # accepted in dbt_project.yml (read with PyYAML); customers_by_city counts hashes.
    assert result.stdout.splitlines() == [
        "VIOLATION model.installed_alone.newsletter.address <- seed.installed_alone.customers.email: "
        "PII reaches a safe model without a protecting transform",
        "    path: seed.installed_alone.customers.email -> model.installed_alone.stg_customers.email -> "
        "model.installed_alone.newsletter.address",
        "accepted  model.installed_alone.support_contacts.phone <- seed.installed_alone.customers.phone "
        "(DPA-7: the support processor may call customers)",
        "columns from yml declarations, seed files and compiled SQL (no catalog.json); "
        "0 relations read with no known columns",
        "4 models (3 safe), 11 columns traced: 1 violation, 0 unresolved, 1 accepted",
    ]


def test_explain_prints_each_hop(alone):
    result = run(alone, *fixture_args("explain", "newsletter.address"))
    assert result.stderr == ""
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "model.installed_alone.newsletter.address",
        "    <- model.installed_alone.stg_customers.email  (direct)",
        "        <- seed.installed_alone.customers.email [PII]  (direct)",
    ]


def test_hash_gives_the_shared_pseudonyms(alone):
    vectors = json.loads(VECTORS.read_text())
    values = [v for v in vectors["hash_pii"] if v["value"] is not None and v["normalize_email"] is not None]
    result = run(alone, "hash", "--normalize", "email", *(v["value"] for v in values),
                 **{KEY_ENV_VAR: vectors["key"]})
    assert result.stderr == ""
    assert result.returncode == 0
    assert result.stdout.splitlines() == [v["normalize_email"] for v in values]


# -- subcommands that need an extra: one line naming it ----------------------------------


EXTRAS = {
    "postgres-keyring": (["postgres-keyring", "--grant", "dbt_role"],
                         "error: postgres-keyring needs psycopg2, which pii-guard installs only with an extra: "
                         "pip install 'pii-guard[postgres]'."),
    "classify --sample duckdb": (fixture_args("classify", "--sample", "duckdb", "--duckdb", str(VECTORS)),
                                 "error: classify --sample duckdb needs duckdb, which pii-guard installs only with "
                                 "an extra: pip install 'pii-guard[duckdb]'."),
    "classify --sample profile": (fixture_args("classify", "--sample", "profile"),
                                  "error: classify --sample profile needs dbt, which pii-guard installs only with an "
                                  "extra: pip install 'pii-guard[duckdb]' (or [postgres], [spark]: the extra of the "
                                  "project's adapter)."),
    "erase": (fixture_args("erase"),
              "error: erase needs dbt where pii-guard runs, which pii-guard installs only with an extra: "
              "pip install 'pii-guard[duckdb]' (or [postgres], [spark]: the extra of the project's adapter); "
              "or print the plan with --plan and pass it to `dbt run-operation pii_guard.erase_subjects --args`."),
}


@pytest.mark.parametrize("command", list(EXTRAS))
def test_a_subcommand_needing_an_extra_names_it_in_one_line(alone, command):
    args, message = EXTRAS[command]
    result = run(alone, *args, **{KEY_ENV_VAR: json.loads(VECTORS.read_text())["key"]})
    assert result.returncode == 2
    assert result.stderr == message + "\n"  # nothing before it, no traceback
    assert result.stdout == ""


# -- the pure-Python and the compiled sqlglot agree ----------------------------------------


def test_this_environment_has_the_compiled_sqlglot():
    """The comparisons below mean something only if the two builds differ."""
    from sqlglot.tokens import SQLGLOTC_INSTALLED

    assert SQLGLOTC_INSTALLED, "the dev extra installs sqlglot[c]: reinstall the test environment"


def test_every_lineage_construct_traces_the_same_on_both_builds(alone):
    fixtures = REPO / "integration_tests" / "fixtures" / "lineage_constructs"
    outputs = {}
    for build, python in (("pure", str(alone / "python")), ("compiled", sys.executable)):
        result = subprocess.run([python, "-c", TRACE_CONSTRUCTS, str(fixtures)], cwd="/", env=_clean_env(None),
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs[build] = json.loads(result.stdout)
    assert outputs["pure"]["compiled"] is False and outputs["compiled"]["compiled"] is True
    assert len(outputs["pure"]["traced"]) == len(list(fixtures.glob("*/*.sql"))) > 100
    assert outputs["pure"]["traced"] == outputs["compiled"]["traced"]


@pytest.fixture(scope="module")
def compiled_projects(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """The lineage corpus (seeds loaded, catalog written) and the integration
    project (compiled only), by name: (project dir, target dir)."""
    from dbt_harness import INTEGRATION, DbtProject, require_ok

    corpus = DbtProject(tmp_path_factory.mktemp("corpus"), key=None, project_dir=CORPUS)
    for step in (("deps",), ("seed",), ("compile",), ("docs", "generate")):
        require_ok(corpus.dbt(*step), "dbt " + " ".join(step) + " (lineage corpus)")
    integration = DbtProject(tmp_path_factory.mktemp("integration"), key=None)
    for step in (("deps",), ("compile",)):
        require_ok(integration.dbt(*step), "dbt " + " ".join(step) + " (integration project)")
    return {"corpus": (CORPUS, corpus.target_path), "integration": (INTEGRATION, integration.target_path)}


@pytest.mark.parametrize("project, mode", [("corpus", "catalog"), ("corpus", "no catalog"),
                                           ("integration", "no catalog")])
def test_check_reports_are_byte_identical_on_both_builds(alone, compiled_projects, project, mode):
    project_dir, target = compiled_projects[project]
    args = ["check", "--project-dir", str(project_dir), "--manifest", str(target / "manifest.json"),
            "--format", "json"] + (["--catalog", str(target / "catalog.json")] if mode == "catalog" else ["--no-catalog"])
    pure = run(alone, *args)
    compiled = run(Path(sys.executable).parent, *args)
    assert pure.returncode == compiled.returncode == (1 if project == "corpus" else 0), pure.stderr + compiled.stderr
    assert json.loads(pure.stdout)["stats"]["traced_columns"] > 100
    assert pure.stdout == compiled.stdout
    assert pure.stderr == compiled.stderr


if __name__ == "__main__":
    if sys.argv[1:2] != ["--save-manifest"] or len(sys.argv) != 3:
        sys.exit(__doc__)
    save_manifest(Path(sys.argv[2]))
