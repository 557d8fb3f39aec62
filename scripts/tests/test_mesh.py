"""`pii-guard check` across the projects of a dbt mesh (README, 'dbt mesh:
checking across projects'): the producer (a private group of raw PII, public
anonymized models with enforced contracts) and the consumer, which refs them
with ref('producer', ...) through dbt-loom, built on one DuckDB file, then
checked over both manifests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dbt_harness import DbtProject, require_ok
from pii_guard.lineage.errors import InputError
from pii_guard.lineage.mesh import merge_projects
from pii_guard.lineage.project import Node, Project

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "integration_tests" / "fixtures" / "mesh"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
KEY = "0123456789abcdef" * 2
CUSTOMERS = Path("models") / "public" / "customers_anonymized.sql"
PUBLIC_YML = Path("models") / "public" / "_public.yml"
AUDIENCE = Path("models") / "marts" / "campaign_audience.sql"
EXTERNAL = ("a model of the dbt project producer, read across projects: its SQL and PII declarations are in "
            "producer's manifest, not in consumer's. Pass it with --upstream-manifest (docs/checker.md, 'dbt mesh: "
            "checking across projects')")
# Consumer checked alone: the producer's models it reads, and so its marts, unresolved.
CONSUMER_ALONE = [
    {"model": "model.producer.customers_anonymized", "reason": EXTERNAL, "file": "", "accepted": None},
    {"model": "model.producer.orders_public", "reason": EXTERNAL, "file": "", "accepted": None},
    {"model": "model.consumer.monthly_revenue",
     "reason": "reads model.producer.orders_public, which could not be analysed",
     "file": "models/marts/monthly_revenue.sql", "accepted": None},
    {"model": "model.consumer.campaign_audience",
     "reason": "reads model.producer.customers_anonymized, model.producer.orders_public, which could not be analysed",
     "file": "models/marts/campaign_audience.sql", "accepted": None},
]


@dataclass
class Mesh:
    producer: DbtProject
    consumer: DbtProject

    @property
    def producer_manifest(self) -> Path:
        return self.producer.target_path / "manifest.json"

    def check(self, *upstream: Path, fmt: str = "json") -> subprocess.CompletedProcess[str]:
        """pii-guard check of the consumer, with these upstream manifests."""
        command = [PII_GUARD, "check", "--project-dir", str(self.consumer.project_dir), "--no-catalog",
                   "--manifest", str(self.consumer.target_path / "manifest.json"), "--format", fmt]
        for path in upstream:
            command += ["--upstream-manifest", str(path)]
        return subprocess.run(command, capture_output=True, text=True, env=self.consumer.env())


def build_mesh(root: Path, producer_edits: dict[Path, str] | None = None,
               consumer_edits: dict[Path, str] | None = None) -> Mesh:
    """Both fixture projects copied under `root` (side by side, as
    dbt_loom.config.yml expects), edited, and built: the producer, then the
    consumer, which reads the producer's manifest through dbt-loom and its
    tables in the same DuckDB file."""
    for name, edits in (("producer", producer_edits), ("consumer", consumer_edits)):
        shutil.copytree(FIXTURE / name, root / name, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        for relative, text in (edits or {}).items():
            (root / name / relative).write_text(text)
    (root / "producer" / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    # Each project's target/ and logs/ in its own directory: ../producer/target/manifest.json is real.
    producer = DbtProject(root / "producer", key=KEY, project_dir=root / "producer")
    consumer = DbtProject(root / "consumer", key=KEY, project_dir=root / "consumer",
                          extra_env={"PII_GUARD_DUCKDB_PATH": str(producer.database)})
    require_ok(producer.dbt("deps"), "dbt deps (producer)")
    if producer_edits:  # a leaking producer fails its own no_pii_in_safe_models test: build without tests
        require_ok(producer.dbt("seed"), "dbt seed (producer)")
        require_ok(producer.dbt("run"), "dbt run (producer)")
    else:
        require_ok(producer.dbt("build"), "dbt build (producer)")
    require_ok(consumer.dbt("build"), "dbt build (consumer)")
    return Mesh(producer, consumer)


def edited(relative: Path, project: str, old: str, new: str) -> dict[Path, str]:
    text = (FIXTURE / project / relative).read_text()
    assert old in text, f"{old!r} not in {relative}"
    return {relative: text.replace(old, new)}


@pytest.fixture(scope="module")
def clean_mesh(tmp_path_factory, dbt_packages) -> Mesh:
    return build_mesh(tmp_path_factory.mktemp("mesh"))


def report(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.stderr == "", result.stderr
    return json.loads(result.stdout)


def test_the_consumer_reads_the_producers_public_models_through_dbt_loom(clean_mesh):
    manifest = json.loads((clean_mesh.consumer.target_path / "manifest.json").read_text())
    injected = manifest["nodes"]["model.producer.customers_anonymized"]
    # What dbt-loom writes: the producer's node with no file, no SQL, no columns.
    assert (injected["resource_type"], injected["access"], injected["original_file_path"], injected["raw_code"],
            injected["columns"], injected.get("compiled_code")) == ("model", "public", "", "", {}, None)
    assert manifest["nodes"]["model.consumer.campaign_audience"]["depends_on"]["nodes"] == [
        "model.producer.customers_anonymized", "model.producer.orders_public", "seed.consumer.campaign_regions"]
    rows = clean_mesh.producer.query("select region, age_band, lifetime_amount from main.campaign_audience "
                                     "order by lifetime_amount")
    assert [(region, float(amount)) for region, _, amount in rows] == [
        ("west", 5.25), ("northeast", 37.5), ("northeast", 40.0), ("midwest", 99.9)]


def test_a_clean_mesh_passes(clean_mesh):
    result = clean_mesh.check(clean_mesh.producer_manifest)
    found = report(result)
    assert (result.returncode, found["violations"], found["unresolved"]) == (0, [], [])
    assert (found["stats"]["models"], found["stats"]["safe_models"]) == (6, 4)


def test_the_consumer_checked_alone_is_unresolved_never_clean(clean_mesh):
    result = clean_mesh.check()
    found = report(result)
    assert (result.returncode, found["violations"], found["unresolved"]) == (1, [], CONSUMER_ALONE)


def test_a_producer_leak_used_by_the_consumer_is_found_across_projects(tmp_path, dbt_packages):
    producer = {**edited(CUSTOMERS, "producer", "as signup_month\n", "as signup_month,\n    email\n"),
                **edited(PUBLIC_YML, "producer", "      - {name: signup_month, data_type: date}\n",
                         "      - {name: signup_month, data_type: date}\n      - {name: email, data_type: varchar}\n")}
    consumer = edited(AUDIENCE, "consumer", "    c.age_band,\n", "    c.age_band,\n    c.email,\n")
    consumer[AUDIENCE] = consumer[AUDIENCE].replace("group by c.customer_key, r.region, c.age_band",
                                                    "group by c.customer_key, r.region, c.age_band, c.email")
    mesh = build_mesh(tmp_path, producer, consumer)

    result = mesh.check(mesh.producer_manifest)
    found = report(result)
    assert result.returncode == 1
    assert found["unresolved"] == []
    assert [(v["model"], v["column"], v["path"], v["projects"]) for v in found["violations"]] == [
        ("model.producer.customers_anonymized", "email",
         ["seed.producer.raw_customers.email", "model.producer.stg_customers.email",
          "model.producer.customers_anonymized.email"],
         ["producer", "producer", "producer"]),
        ("model.consumer.campaign_audience", "email",
         ["seed.producer.raw_customers.email", "model.producer.stg_customers.email",
          "model.producer.customers_anonymized.email", "model.consumer.campaign_audience.email"],
         ["producer", "producer", "producer", "consumer"]),
    ]
    text = mesh.check(mesh.producer_manifest, fmt="text").stdout.splitlines()
    assert text[:4] == [
        "VIOLATION model.producer.customers_anonymized.email <- seed.producer.raw_customers.email: "
        "PII reaches a safe model without a protecting transform",
        "    path: seed.producer.raw_customers.email [producer] -> model.producer.stg_customers.email [producer] "
        "-> model.producer.customers_anonymized.email [producer]",
        "VIOLATION model.consumer.campaign_audience.email <- seed.producer.raw_customers.email: "
        "PII reaches a safe model without a protecting transform",
        "    path: seed.producer.raw_customers.email [producer] -> model.producer.stg_customers.email [producer] "
        "-> model.producer.customers_anonymized.email [producer] -> model.consumer.campaign_audience.email [consumer]",
    ]
    # Alone, the consumer sees no PII at all; it is still never clean.
    alone = mesh.check()
    assert (alone.returncode, report(alone)["unresolved"]) == (1, CONSUMER_ALONE)


def test_a_leaking_public_model_of_the_producer_is_found(tmp_path, dbt_packages):
    producer = {**edited(CUSTOMERS, "producer", "as signup_month\n", "as signup_month,\n    birth_date\n"),
                **edited(PUBLIC_YML, "producer", "      - {name: signup_month, data_type: date}\n",
                         "      - {name: signup_month, data_type: date}\n      - {name: birth_date, data_type: date}\n")}
    mesh = build_mesh(tmp_path, producer)

    result = mesh.check(mesh.producer_manifest)
    found = report(result)
    assert (result.returncode, found["unresolved"]) == (1, [])
    assert [(v["model"], v["column"], v["source"], v["path"], v["projects"]) for v in found["violations"]] == [
        ("model.producer.customers_anonymized", "birth_date", "seed.producer.raw_customers.birth_date",
         ["seed.producer.raw_customers.birth_date", "model.producer.stg_customers.birth_date",
          "model.producer.customers_anonymized.birth_date"],
         ["producer", "producer", "producer"]),
    ]


def test_two_manifests_of_one_project_are_refused(clean_mesh):
    own = clean_mesh.consumer.target_path / "manifest.json"
    result = clean_mesh.check(clean_mesh.producer_manifest, own)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: two manifests of the dbt project consumer were given: --manifest and --upstream-manifest {own}. "
        "Pass each upstream project's manifest.json once with --upstream-manifest (docs/checker.md, 'dbt mesh: checking "
        "across projects').\n")
    twice = clean_mesh.check(clean_mesh.producer_manifest, clean_mesh.producer_manifest)
    assert (twice.returncode, twice.stdout) == (2, "")
    assert twice.stderr.startswith(
        f"error: two manifests of the dbt project producer were given: --upstream-manifest "
        f"{clean_mesh.producer_manifest} and --upstream-manifest {clean_mesh.producer_manifest}.")
    assert twice.stderr.count("\n") == 1


def test_a_missing_upstream_manifest_is_refused(clean_mesh, tmp_path):
    missing = tmp_path / "producer" / "target" / "manifest.json"
    result = clean_mesh.check(missing)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"error: --upstream-manifest {missing}: manifest.json not found at {missing}. "
                             "Run `dbt compile` to write a fresh one.\n")


def test_an_upstream_manifest_without_a_model_the_consumer_reads_is_refused(clean_mesh, tmp_path):
    manifest = json.loads(clean_mesh.producer_manifest.read_text())
    del manifest["nodes"]["model.producer.orders_public"]
    stale = tmp_path / "manifest.json"
    stale.write_text(json.dumps(manifest))
    result = clean_mesh.check(stale)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: consumer refs model.producer.orders_public, which the manifest of producer ({stale}) does not "
        "have: pass the manifest consumer was compiled against, or compile consumer again.\n")


def test_an_upstream_manifest_of_another_warehouse_is_refused(clean_mesh, tmp_path):
    manifest = json.loads(clean_mesh.producer_manifest.read_text())
    manifest["metadata"]["adapter_type"] = "postgres"
    other = tmp_path / "manifest.json"
    other.write_text(json.dumps(manifest))
    result = clean_mesh.check(other)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: the manifests were written for different SQL dialects (duckdb, postgres)")
    assert result.stderr.count("\n") == 1


def _project(name: str, *nodes: Node, allowances: list[dict] | None = None) -> Project:
    return Project("duckdb", {node.unique_id: node for node in nodes}, {}, allowances or [],
                   {node.relation: node.unique_id for node in nodes}, name=name)


def _model(uid: str, project: str, *parents: str, external: bool = False) -> Node:
    name = uid.split(".")[-1]
    return Node(uid, name, "model", ("w", project, name), set(), tier="safe", depends_on=list(parents),
                compiled_code=None if external else "select 1 as x", path="" if external else f"{name}.sql",
                project=project, package=uid.split(".")[1], external=external)


def test_one_node_built_by_two_projects_is_refused():
    shared = "model.shared_package.calendar"
    producer = _project("producer", _model(shared, "producer"))
    consumer = _project("consumer", _model(shared, "consumer"), _model("model.consumer.m", "consumer", shared))
    with pytest.raises(InputError) as raised:
        merge_projects(consumer, [producer])
    assert str(raised.value) == (
        "model.shared_package.calendar is built by both dbt projects producer and consumer (a package installed "
        "in both?): pii-guard check cannot tell the two apart. Leave that package's models out of one project.")


def test_an_upstream_the_consumer_does_not_read_is_a_warning_and_external_nodes_nobody_reads_are_dropped():
    producer = _project("producer", _model("model.producer.pub", "producer"))
    other = _project("other", _model("model.other.pub", "other"))
    consumer = _project("consumer", _model("model.producer.pub", "consumer", external=True),
                        _model("model.other.unread", "consumer", external=True),
                        _model("model.consumer.m", "consumer", "model.producer.pub"))
    merged = merge_projects(consumer, [producer, other], ["p.json", "o.json"])
    assert merged.warnings == ["--upstream-manifest o.json (dbt project other): no model of consumer reads any "
                               "of its models."]
    assert sorted(merged.nodes) == ["model.consumer.m", "model.other.pub", "model.producer.pub"]
    assert merged.nodes["model.producer.pub"].project == "producer"
    assert merged.by_relation[("w", "consumer", "pub")] == "model.producer.pub"  # as the consumer's SQL names it


def test_an_allowance_by_bare_name_accepts_only_the_checked_projects_model():
    producer = _project("producer", _model("model.producer.customers", "producer"))
    consumer = _project("consumer", _model("model.consumer.customers", "consumer", "model.producer.customers"),
                        allowances=[{"model": "customers", "reason": "DPA-1"},
                                    {"model": "model.producer.customers", "column": "email", "reason": "DPA-2"},
                                    {"model": "nothing_of_that_name", "reason": "DPA-3"}])
    assert merge_projects(consumer, [producer]).allowances == [
        {"model": "model.consumer.customers", "reason": "DPA-1"},
        {"model": "model.producer.customers", "column": "email", "reason": "DPA-2"},
    ]


def test_a_manifest_that_names_no_project_is_refused():
    unnamed = _project("", _model("model.producer.pub", "producer"))
    consumer = _project("consumer", _model("model.consumer.m", "consumer", "model.producer.pub"))
    with pytest.raises(InputError) as raised:
        merge_projects(consumer, [unnamed], ["p.json"])
    assert str(raised.value) == ("the manifest of p.json names no dbt project (metadata.project_name): is it dbt's "
                                 "manifest.json? Run `dbt compile` in that project to write a fresh one.")
