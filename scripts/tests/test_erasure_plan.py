"""The erasure plan from the column lineage (pii_guard.lineage.erasure), on
hand-made traces: which relations store a subject's PII, their keys, and
what cannot be planned."""

from __future__ import annotations

from pii_guard.lineage.erasure import erasure_plan
from pii_guard.lineage.pipeline import TracedProject
from pii_guard.lineage.project import Node, Project
from pii_guard.lineage.trace import Dependency, ModelTrace

RAW = ("d", "s", "people")


def _project(*models: Node, subject: str | None = "person_id") -> Project:
    raw = Node("source.p.crm.people", "people", "source", RAW, {"email", "person_id"}, subject=subject)
    nodes = {n.unique_id: n for n in (raw, *models)}
    return Project("duckdb", nodes, {}, [], {n.relation: n.unique_id for n in nodes.values()})


def _model(name: str, materialized: str = "table", parents: tuple[str, ...] = ("source.p.crm.people",)) -> Node:
    return Node(f"model.p.{name}", name, "model", ("d", "s", name), set(), materialized=materialized,
                depends_on=list(parents))


def test_stored_relations_are_planned_views_and_counts_are_not():
    table, view, counts = _model("mart"), _model("mart_view", "view"), _model("counts")
    traced = TracedProject(["model.p.mart", "model.p.mart_view", "model.p.counts"], {
        "model.p.mart": ModelTrace({"k": frozenset({Dependency(RAW, "person_id", "protected by hash_pii")}),
                                    "masked": frozenset({Dependency(RAW, "email", "protected by mask_email")})}),
        "model.p.mart_view": ModelTrace({"e": frozenset({Dependency(RAW, "email")})}),
        "model.p.counts": ModelTrace({"n": frozenset({Dependency(RAW, "email", "counted")})}),
    }, {}, {})
    plan = erasure_plan(_project(table, view, counts), traced)
    assert [r.node for r in plan.relations] == ["model.p.mart"]
    assert plan.relations[0].keys == {"k": ["source.p.crm.people.person_id"]}
    assert plan.relations[0].columns == {"k": ["source.p.crm.people.person_id"], "masked": ["source.p.crm.people.email"]}
    assert plan.not_erasable == {}


def test_a_table_over_a_view_is_planned_through_it():
    view, table = _model("v", "view"), _model("t", parents=("model.p.v",))
    traced = TracedProject(["model.p.v", "model.p.t"], {
        "model.p.v": ModelTrace({"e": frozenset({Dependency(RAW, "email", "protected by hash_pii")})}),
        "model.p.t": ModelTrace({"e2": frozenset({Dependency(("d", "s", "v"), "e")})}),
    }, {}, {})
    plan = erasure_plan(_project(view, table), traced)
    assert [(r.node, r.keys, r.columns) for r in plan.relations] == [
        ("model.p.t", {}, {"e2": ["source.p.crm.people.email"]})]


def test_unanalysable_models_downstream_are_not_erasable_others_are_ignored():
    python, reader, unrelated = _model("py"), _model("reader", parents=("model.p.py",)), _model("other", parents=())
    traced = TracedProject(["model.p.py", "model.p.reader", "model.p.other"], {
        "model.p.reader": ModelTrace({"x": frozenset({Dependency(("d", "s", "py"), "x")})}),
    }, {}, {"model.p.py": "a python model cannot be analysed", "model.p.other": "a python model cannot be analysed"})
    plan = erasure_plan(_project(python, reader, unrelated), traced)
    assert plan.relations == []
    assert plan.not_erasable["model.p.py"] == "a python model cannot be analysed"
    assert plan.not_erasable["model.p.reader"].startswith("reads model.p.py, which could not be analysed")
    assert "model.p.other" not in plan.not_erasable


def test_no_subject_declared_plans_nothing():
    plan = erasure_plan(_project(_model("mart"), subject=None), TracedProject(["model.p.mart"], {
        "model.p.mart": ModelTrace({"e": frozenset({Dependency(RAW, "email")})})}, {}, {}))
    assert plan.origins == [] and plan.relations == []


def test_a_materialized_view_is_not_erasable_a_custom_materialization_is_planned():
    refreshed, custom = _model("mv", "materialized_view"), _model("custom", "my_materialization")
    traced = TracedProject(["model.p.mv", "model.p.custom"], {
        "model.p.mv": ModelTrace({"e": frozenset({Dependency(RAW, "email")})}),
        "model.p.custom": ModelTrace({"e": frozenset({Dependency(RAW, "email")})}),
    }, {}, {})
    plan = erasure_plan(_project(refreshed, custom), traced)
    assert [r.node for r in plan.relations] == ["model.p.custom"]
    assert plan.not_erasable["model.p.mv"].startswith("a materialized_view takes no UPDATE: refresh it (dbt run --select mv)")



def test_a_raw_seed_is_an_origin_never_a_relation_to_erase():
    seed = Node("seed.p.people", "people", "seed", RAW, {"email", "person_id"}, materialized="seed", subject="person_id")
    table = _model("mart", parents=("seed.p.people",))
    project = Project("duckdb", {n.unique_id: n for n in (seed, table)}, {}, [],
                      {n.relation: n.unique_id for n in (seed, table)})
    traced = TracedProject(["seed.p.people", "model.p.mart"], {
        "model.p.mart": ModelTrace({"e": frozenset({Dependency(RAW, "email")})})}, {}, {})
    plan = erasure_plan(project, traced)
    assert [o.node for o in plan.origins] == ["seed.p.people"]
    assert [r.node for r in plan.relations] == ["model.p.mart"]
