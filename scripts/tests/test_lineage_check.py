"""pii-guard check on its corpus (integration_tests/fixtures/lineage_corpus),
asserted model by model and column by column; its output formats; bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from dbt_harness import DbtProject, require_ok
from pii_guard.lineage.project import load_project
from pii_guard.lineage.schemas import initial_columns, schema_for
from pii_guard.lineage.protection import protecting_macro
from pii_guard.lineage.trace import trace_model

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "integration_tests" / "fixtures" / "lineage_corpus"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
M = "model.lineage_corpus."
SRC = "source.lineage_corpus.crm.people."
STG = M + "stg_people."
ACCOUNTS = "source.lineage_corpus.crm.accounts."

# (model, column) -> (origin, path) for every violation the corpus must produce.
EXPECTED_VIOLATIONS = {
    ("l_direct", "email"): [SRC + "email", M + "l_direct.email"],
    ("l_expression", "shout"): [SRC + "email", STG + "email", M + "l_expression.shout"],
    ("l_cte_chain", "contact"): [SRC + "email", STG + "email", M + "l_cte_chain.contact"],
    ("l_subquery", "e"): [SRC + "email", STG + "email", M + "l_subquery.e"],
    ("l_join", "phone"): [SRC + "phone", M + "l_join.phone"],
    ("l_union", "v"): [SRC + "email", STG + "email", M + "l_union.v"],
    ("l_star", "email"): [SRC + "email", STG + "email", M + "l_star.email"],
    ("l_star", "phone"): [SRC + "phone", STG + "phone", M + "l_star.phone"],
    ("l_ephemeral", "email"): [SRC + "email", STG + "email", M + "eph_people.email", M + "l_ephemeral.email"],
    ("l_weak_md5", "h"): [SRC + "email", STG + "email", M + "l_weak_md5.h"],
    ("l_weak_salted", "h"): [SRC + "email", STG + "email", M + "l_weak_salted.h"],
    ("l_coalesce_hash", "h"): [SRC + "email", STG + "email", M + "l_coalesce_hash.h"],
    ("l_concat_hash", "h"): [SRC + "email", STG + "email", M + "l_concat_hash.h"],
    ("l_string_agg", "emails"): [SRC + "email", STG + "email", M + "l_string_agg.emails"],
    ("l_aggregates", "m"): [SRC + "email", STG + "email", M + "l_aggregates.m"],
    ("l_aggregates", "l"): [SRC + "phone", STG + "phone", M + "l_aggregates.l"],
    ("l_struct", "packed"): [SRC + "email", STG + "email", M + "l_struct.packed"],
    ("l_first_value", "f"): [SRC + "email", STG + "email", M + "l_first_value.f"],
    ("l_scalar_subquery", "m"): [SRC + "phone", STG + "phone", M + "l_scalar_subquery.m"],
    ("l_case_value", "n"): [SRC + "full_name", STG + "full_name", M + "l_case_value.n"],
    ("l_transitive", "phone"): [SRC + "phone", STG + "phone", M + "int_people.phone", M + "l_transitive.phone"],
    # Sources known only from their yml (never loaded, no catalog entry).
    ("l_declared_source", "owner_email"): [ACCOUNTS + "owner_email", M + "l_declared_source.owner_email"],
    ("l_declared_star", "owner_email"): [ACCOUNTS + "owner_email", M + "l_declared_star.owner_email"],
    # {{ this }}, and a relation named by hand without ref().
    ("l_incremental_this", "email"): [SRC + "email", STG + "email", M + "l_incremental_this.email"],
    ("l_named_without_ref", "phone"): [SRC + "phone", STG + "phone", M + "l_named_without_ref.phone"],
    # Equality joins hand on the value they equate.
    ("l_join_equality", "birth_date"): [SRC + "birth_date", STG + "birth_date", M + "l_join_equality.birth_date"],
    ("l_join_using", "zip"): [SRC + "zip", STG + "zip", M + "l_join_using.zip"],
    ("l_join_chain", "d"): [SRC + "birth_date", STG + "birth_date", M + "l_join_chain.d"],
    # Look-alikes of the protecting macros that can return the raw value.
    ("l_lookalike_key_check", "e"): [SRC + "email", STG + "email", M + "l_lookalike_key_check.e"],
    ("l_lookalike_zip", "z"): [SRC + "zip", STG + "zip", M + "l_lookalike_zip.z"],
    ("l_lookalike_zip_contains", "z"): [SRC + "address", STG + "address", M + "l_lookalike_zip_contains.z"],
    ("l_lookalike_mask", "masked"): [SRC + "email", STG + "email", M + "l_lookalike_mask.masked"],
    ("l_lookalike_hash_fallback", "h"): [SRC + "email", STG + "email", M + "l_lookalike_hash_fallback.h"],
    # Whole rows and star-like expressions carry every column.
    ("l_whole_row", "p"): [SRC + "email", STG + "email", M + "l_whole_row.p"],
    ("l_to_json_row", "j"): [SRC + "phone", STG + "phone", M + "l_to_json_row.j"],
    ("l_struct_pack_star", "s"): [SRC + "full_name", STG + "full_name", M + "l_struct_pack_star.s"],
    ("l_columns_regex", "email"): [SRC + "email", STG + "email", M + "l_columns_regex.email"],
    # UNPIVOT, LATERAL, parentheses, duplicate names, correlated without FROM, UNNEST.
    ("l_unpivot", "val"): [SRC + "email", STG + "email", M + "l_unpivot.val"],
    ("l_lateral", "e"): [SRC + "email", STG + "email", M + "l_lateral.e"],
    ("l_parenthesized", "phone"): [SRC + "phone", STG + "phone", M + "l_parenthesized.phone"],
    ("l_duplicate_names", "id"): [SRC + "email", STG + "email", M + "l_duplicate_names.id"],
    ("l_correlated_no_from", "n"): [SRC + "full_name", STG + "full_name", M + "l_correlated_no_from.n"],
    ("l_unnest", "v"): [SRC + "email", STG + "email", M + "l_unnest.v"],
    # An ephemeral model is inlined as a CTE named after its alias.
    ("l_ephemeral_alias", "full_name"): [SRC + "full_name", STG + "full_name", M + "eph_aliased.full_name",
                                         M + "l_ephemeral_alias.full_name"],
    ("l_at_time_zone", "visited"): [SRC + "visit_date", STG + "visit_date", M + "l_at_time_zone.visited"],
}
EXPECTED_UNRESOLVED = {
    "u_unparseable": "sqlglot cannot analyse it",
    "u_star_unknown": "a * could not be expanded",
    "u_over_unresolved": "reads model.lineage_corpus.u_unparseable, which could not be analysed",
    "u_derives_from_unresolved": "column email derives from model.lineage_corpus.u_unparseable, which could not be analysed",
    "u_unknown_relation": "reads main.not_a_model, which is neither a node of this project nor in catalog.json",
    "stg_tickets": "a * over warehouse.main.tickets, whose columns are known only from yml that does not list them all "
                   "(model.lineage_corpus.u_incomplete_star reads warehouse.main.stg_tickets.subject)",
    "u_incomplete_star": "reads model.lineage_corpus.stg_tickets, which could not be analysed",
    "u_columns_lambda": "COLUMNS(...) selects columns by a rule the checker cannot evaluate",
    "u_pivot_from_data": "a PIVOT statement without an IN list names its columns from the data",
    "u_table_function": "reads the table function read_csv, whose rows the checker cannot see",
    "u_empty_select": "a SELECT with no columns: a macro that reads the warehouse",
}
ACCEPTED_UNRESOLVED = {"u_python": ("a python model cannot be analysed", "reviewed by hand: returns stg_people unchanged")}


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PII_GUARD, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The corpus compiled (seeds loaded for the catalog; no model built)."""
    project = DbtProject(tmp_path_factory.mktemp("corpus"), key=None, project_dir=CORPUS)
    for step in (("deps",), ("seed",), ("compile",), ("docs", "generate")):
        require_ok(project.dbt(*step), "dbt " + " ".join(step))
    return project


# The two ways to run: with catalog.json (after `dbt docs generate`), and
# from `dbt compile` alone (yml declarations, seed files, compiled SQL).
MODES = {"catalog": (), "declarations": ("--no-catalog",)}


@pytest.fixture(scope="module", params=list(MODES))
def report(corpus, request):
    result = run_check("check", "--project-dir", str(CORPUS), "--manifest", str(corpus.target_path / "manifest.json"),
                       "--format", "json", *MODES[request.param])
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    assert found["stats"]["mode"] == request.param
    return found


def test_every_leak_is_found_with_its_path_and_nothing_else(report):
    found = {(v["model"].removeprefix(M), v["column"]): v["path"] for v in report["violations"]}
    assert found == EXPECTED_VIOLATIONS
    for violation in report["violations"]:
        assert violation["source"] == violation["path"][0]


def test_clean_models_are_clean(report, corpus):
    manifest = json.loads((corpus.target_path / "manifest.json").read_text())
    clean = {n["name"] for n in manifest["nodes"].values() if n["name"].startswith("c_")}
    assert clean == {"c_where_join", "c_window", "c_counts", "c_case_condition", "c_exists", "c_protected",
                     "c_declared_star", "c_dimension_lookup", "c_generator", "c_count_named"}
    flagged = {v["model"].removeprefix(M) for v in report["violations"]}
    assert not clean & flagged


def test_look_alike_hashes_are_reported_as_weak_hashing(report):
    reasons = {(v["model"].removeprefix(M)): v["reason"] for v in report["violations"]}
    assert reasons["l_weak_md5"].startswith("weak hashing: md5")
    assert reasons["l_weak_salted"].startswith("weak hashing: sha2")
    assert reasons["l_coalesce_hash"] == "PII reaches a safe model without a protecting transform"


def test_unanalysable_models_are_unresolved_never_clean(report):
    found = {u["model"].removeprefix(M): u["reason"] for u in report["unresolved"]}
    assert set(found) == set(EXPECTED_UNRESOLVED)
    for model, fragment in EXPECTED_UNRESOLVED.items():
        assert fragment in found[model], found[model]


def test_accepted_findings_are_listed_apart(report):
    assert [(a["model"], a["column"], a["accepted"]) for a in report["accepted"]] == [
        (M + "a_allowed", "email", "DPA-9: the processor contract covers email")
    ]
    assert {a["model"].removeprefix(M): (a["reason"], a["accepted"]) for a in report["accepted_unresolved"]} \
        == ACCEPTED_UNRESOLVED
    assert report["stats"]["violations"] == len(EXPECTED_VIOLATIONS)


def test_equality_join_paths_name_the_join(report):
    transforms = {v["model"].removeprefix(M): v["transforms"][-1] for v in report["violations"]}
    assert transforms["l_join_equality"] == "equal via e.birth_date = c.full_date"
    assert transforms["l_join_using"].startswith("equal via ") or transforms["l_join_using"] == "direct"
    assert transforms["l_join_chain"] == "equal via x.full_date = c.full_date"
    assert transforms["l_incremental_this"] == "direct"


def test_both_modes_say_how_many_relations_had_no_columns(report):
    # crm.never_loaded (declares none), main.not_a_model (not in the project)
    # and u_unparseable (its SQL cannot be traced).
    assert report["stats"]["relations_without_columns"] == 3


def test_text_format_has_one_line_per_violation_and_a_summary(corpus):
    result = run_check("check", "--project-dir", str(CORPUS), "--manifest", str(corpus.target_path / "manifest.json"))
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert sum(line.startswith("VIOLATION ") for line in lines) == len(EXPECTED_VIOLATIONS)
    assert sum(line.startswith("UNRESOLVED ") for line in lines) == len(EXPECTED_UNRESOLVED)
    assert lines[-1].endswith(f"{len(EXPECTED_VIOLATIONS)} violations, {len(EXPECTED_UNRESOLVED)} unresolved, 2 accepted")
    assert lines[-2] == ("columns from catalog.json, then yml declarations, seed files and compiled SQL; "
                         "3 relations read with no known columns")


def test_sarif_and_html_formats(corpus, tmp_path):
    manifest = str(corpus.target_path / "manifest.json")
    sarif = json.loads(run_check("check", "--project-dir", str(CORPUS), "--manifest", manifest, "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0"
    assert len(results) == len(EXPECTED_VIOLATIONS) + len(EXPECTED_UNRESOLVED)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "models/safe/l_direct.sql" in uris
    page = tmp_path / "report.html"
    result = run_check("check", "--project-dir", str(CORPUS), "--manifest", manifest, "--format", "html",
                       "--output", str(page))
    assert result.returncode == 1 and page.exists()
    assert result.stderr == f"pii-guard check: wrote {page}: {len(EXPECTED_VIOLATIONS)} violations, " \
                            f"{len(EXPECTED_UNRESOLVED)} unresolved\n"
    text = page.read_text()
    assert text.count("<svg") == len(EXPECTED_VIOLATIONS)
    written_at = json.loads(Path(manifest).read_text())["metadata"]["generated_at"]
    assert "<h1>pii-guard check: lineage_corpus</h1>" in text and "dbt project: <b>lineage_corpus</b>" in text
    assert f"Manifest written by dbt at: <time datetime='{written_at}'>{written_at}</time>" in text
    assert "<h2>Legend</h2>" in text and "<h2>Accepted</h2>" in text
    assert f"{len(EXPECTED_VIOLATIONS)} violations, {len(EXPECTED_UNRESOLVED)} unresolved, 2 accepted.</b>" in text
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text


def test_explain_prints_each_hop_with_its_transform(corpus):
    result = run_check("explain", "c_protected.visit_shifted", "--project-dir", str(CORPUS),
                       "--manifest", str(corpus.target_path / "manifest.json"))
    assert result.returncode == 0, result.stderr
    assert "<- " + STG + "visit_date  (protected by shift_date)" in result.stdout
    assert SRC + "visit_date [PII]  (direct)" in result.stdout


def with_catalog(project: DbtProject) -> Path:
    """The built project's manifest with catalog.json (the columns the
    warehouse has), as `dbt docs generate` writes it: into a target folder
    of their own, so the build's target/ (its manifest and run_results, which
    other modules read) stays as the build left it. Returns that folder."""
    docs = project.workdir / "target_docs"
    if not (docs / "catalog.json").exists():
        docs.mkdir(exist_ok=True)
        # The build compiled every node and saved its parse: dbt reads the
        # catalog without parsing or compiling the project again, and the
        # manifest beside the catalog is the build's.
        shutil.copy(project.target_path / "partial_parse.msgpack", docs)
        require_ok(project.dbt("docs", "generate", "--no-compile", "--target-path", str(docs)), "dbt docs generate")
        shutil.copy(project.target_path / "manifest.json", docs)
    return docs


@pytest.mark.parametrize("mode", list(MODES))
def test_integration_project_is_clean(engine_build, mode):
    """Clean on its real marts, built on each engine, with and without
    catalog.json: the protecting macros as compiled for DuckDB, PostgreSQL and
    Spark are recognized, and every relation resolves from yml and seeds alone."""
    result = run_check("check", "--project-dir", str(REPO / "integration_tests"),
                       "--manifest", str(with_catalog(engine_build) / "manifest.json"), "--format", "json", *MODES[mode])
    assert result.returncode == 0, result.stdout
    stats = json.loads(result.stdout)["stats"]
    assert stats["violations"] == stats["unresolved"] == 0 and stats["safe_models"] == 3
    assert stats["mode"] == mode


def corpus_check(corpus, *args: str) -> subprocess.CompletedProcess[str]:
    return run_check("check", "--project-dir", str(CORPUS), "--manifest", str(corpus.target_path / "manifest.json"),
                     "--format", "json", *args)


def test_select_and_exclude_narrow_the_report(corpus):
    result = corpus_check(corpus, "--select", "path:models/safe", "--exclude", "l_direct", "tag:nothing")
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    assert {(v["model"].removeprefix(M), v["column"]) for v in found["violations"]} == \
        set(EXPECTED_VIOLATIONS) - {("l_direct", "email")}
    safe_unresolved = {m for m in EXPECTED_UNRESOLVED if m not in ("u_unparseable", "u_star_unknown", "stg_tickets")}
    assert {u["model"].removeprefix(M) for u in found["unresolved"]} == safe_unresolved
    assert found["stats"]["models"] == 62 - 1


def test_select_with_graph_operators_and_intersection(corpus):
    found = json.loads(corpus_check(corpus, "--select", "+l_transitive").stdout)
    assert [(v["model"].removeprefix(M), v["column"]) for v in found["violations"]] == [("l_transitive", "phone")]
    assert found["unresolved"] == [] and found["stats"]["models"] == 3  # stg_people, int_people, l_transitive
    found = json.loads(corpus_check(corpus, "--select", "path:models/safe,l_star*").stdout)
    assert {v["model"].removeprefix(M) for v in found["violations"]} == {"l_star"}


@pytest.mark.parametrize("selector, message", [
    (["--select", "no_such_model"], "nothing to check: --select no_such_model matches no model."),
    (["--select", "color:red"], "unknown selector method 'color'"),
])
def test_selection_errors_exit_2(corpus, selector, message):
    result = corpus_check(corpus, *selector)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1


# One column per protecting macro in the integration project, and the hop
# `pii-guard explain` must show for it: the macro recognized as compiled.
RECOGNIZED = {
    "stg_customers.email_hash": "raw_customers.email [PII]  (protected by hash_pii)",
    "stg_customers.customer_key": "raw_customers.customer_id [PII]  (protected by hash_pii)",
    "stg_customers.email_masked": "raw_customers.email [PII]  (protected by mask_email)",
    "stg_customers.phone_masked": "raw_customers.phone [PII]  (protected by mask_phone)",
    "stg_customers.zip3": "raw_customers.zip [PII]  (protected by generalize_zip)",
    "customer_segments.state": "raw_customers.street_address [PII]  (protected by state_from_address)",
    "orders_monthly.order_month": "raw_orders.order_date  (protected by generalize_date)",
    "appointment_intervals.days_since_previous": "raw_appointments.appointment_date [PII]  (protected by shift_date)",
}


@pytest.mark.parametrize("column", list(RECOGNIZED))
def test_protecting_macros_are_recognized_as_each_engine_compiles_them(engine_build, column):
    result = run_check("explain", column, "--project-dir", str(REPO / "integration_tests"),
                       "--manifest", str(with_catalog(engine_build) / "manifest.json"))
    assert result.returncode == 0, result.stderr
    assert RECOGNIZED[column] in result.stdout, result.stdout


@pytest.mark.parametrize("content, message", [
    ("", "manifest.json at {path} is empty. Run `dbt compile`"),
    ('{"nodes": {', "manifest.json is not valid JSON (line 1, column 12): {path}. Run `dbt compile`"),
    ('{"metadata": {"adapter_type": "oracle"}, "nodes": {}}', "the manifest was written for adapter 'oracle', which pii-guard check does not read"),
    ("[1, 2]", "is not a dbt manifest (no 'nodes')"),
])
def test_bad_manifest_is_one_clear_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "manifest.json"
    path.write_text(content)
    result = run_check("check", "--manifest", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert message.format(path=path) in result.stderr
    assert result.stdout == ""


def test_missing_manifest_says_what_to_run(tmp_path):
    result = run_check("check", "--project-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"manifest.json not found at {tmp_path}/target/manifest.json. Run `dbt compile`" in result.stderr


@pytest.mark.parametrize("command", ["parse", "seed"])
def test_manifest_without_compiled_sql_is_refused(corpus, tmp_path, command):
    written = DbtProject(tmp_path, key=None, project_dir=CORPUS)
    require_ok(written.dbt(command), f"dbt {command}")
    manifest = written.target_path / "manifest.json"
    result = run_check("check", "--manifest", str(manifest))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"error: {manifest} has no compiled SQL for its models: it was written by a command that does not "
        "compile them, such as `dbt parse`, `dbt test`, `dbt seed` or `dbt run-operation`. "
        "Run `dbt compile` first, then pii-guard check.\n")



def _look_alikes(protected: exp.Expression, macro: str) -> list[tuple[str, exp.Expression]]:
    """Variants of a protecting macro's compiled form that can return the raw
    input: wrapped in coalesce, a CASE whose ELSE or any THEN returns it, a
    shift of zero days, a truncation to the day."""
    raw = next(protected.find_all(exp.Column))
    variants = [("coalesce(protected, raw)", exp.func("coalesce", protected.copy(), raw.copy()))]
    for i, case in enumerate(protected.find_all(exp.Case)):
        variant = protected.copy()
        list(variant.find_all(exp.Case))[i].set("default", raw.copy())
        variants.append((f"CASE {i} ELSE raw", variant))
        for j, _ in enumerate(case.args.get("ifs") or []):
            variant = protected.copy()
            list(variant.find_all(exp.Case))[i].args["ifs"][j].set("true", raw.copy())
            variants.append((f"CASE {i} THEN {j} raw", variant))
    for i, call in enumerate(protected.find_all(exp.Anonymous)):
        if call.name.lower().endswith(("hmac_sha256_hex", "pseudonymize_int")):
            variant = protected.copy()
            list(variant.find_all(exp.Anonymous))[i].set("this", "hmac_sha256_hex_of_my_own")
            variants.append(("a look-alike function name", variant))
    for i, dot in enumerate(protected.find_all(exp.Dot)):
        variant = protected.copy()
        list(variant.find_all(exp.Dot))[i].set("this", exp.to_identifier("public"))
        variants.append(("the function from another schema", variant))
    # A shift of zero days; pseudonymize_int's `% 2` (the round's parity) is no shift.
    for modulo in protected.find_all(exp.Mod) if macro == "shift_date" else []:
        variant = protected.copy()
        next(variant.find_all(exp.Mod)).set("expression", exp.Literal.number(1))
        variants.append(("shift modulo 1", variant))
    for trunc in protected.find_all(exp.DateTrunc, exp.TimestampTrunc):
        variant = protected.copy()
        next(variant.find_all(exp.DateTrunc, exp.TimestampTrunc)).set("unit", exp.var("DAY"))
        variants.append(("truncated to the day", variant))
    return variants


MACROS = ["hash_pii", "mask_email", "mask_phone", "generalize_zip", "state_from_address", "generalize_date",
          "shift_date", "pseudonymize_int"]


def _compiled_use(project, macro: str):
    """The first model and output column where `macro` is compiled, and the
    column's whole expression (the macro's output with its guards)."""
    for node in project.nodes.values():
        # A model over VALUES has no column whose value a look-alike could pass.
        if node.resource_type != "model" or not node.compiled_code or not node.depends_on:
            continue
        statement = sqlglot.parse_one(node.compiled_code, read=project.dialect)
        for projection in statement.find_all(exp.Alias):
            if any(protecting_macro(part, project.dialect) == macro for part in projection.this.walk()):
                return statement, projection.alias, projection.this
    raise AssertionError(f"{macro} is used nowhere in the integration project")


@pytest.mark.parametrize("macro", MACROS)
def test_look_alikes_of_each_compiled_macro_pass_the_raw_value(engine_build, macro):
    """Protection is the macro's whole shape: each variant of its compiled form
    (on DuckDB, PostgreSQL and Spark) that can return the raw input is traced
    as passing it, while the macro itself is not."""
    docs = with_catalog(engine_build)
    project = load_project(docs / "manifest.json", docs / "catalog.json")
    schema = schema_for({rel: known.names for rel, known in initial_columns(project).items()}, project.dialect)
    statement, output, protected = _compiled_use(project, macro)
    original = protected.copy()
    current = [protected]

    def passes(expression: exp.Expression) -> set[str]:
        current[0] = current[0].replace(expression)
        traced = trace_model(statement.sql(project.dialect), project.dialect, schema)
        assert traced.unresolved is None, traced.unresolved
        return {d.column for d in traced.columns[output] if d.passes_value}

    raw = next(original.find_all(exp.Column)).name
    assert raw not in passes(original.copy())
    variants = _look_alikes(original, macro)
    assert len(variants) >= 2
    missed = [name for name, variant in variants if raw not in passes(variant)]
    assert not missed, f"{macro} on {project.dialect}: look-alikes taken for protection: {missed}"


PSEUDONYMIZE_SQL = "select {{ pii_guard.pseudonymize_int('customer_id', min_value=-5, max_value=1000) }} as p from s.t"
SPARK_KEY = "r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}'"


@pytest.fixture(scope="module")
def compiled_pseudonymize_int(dbt_inline, spark_compile):
    """pseudonymize_int as each engine compiles it, by dialect."""
    compiled = {}
    for target in ("duckdb", "postgres"):
        sql, error = dbt_inline(PSEUDONYMIZE_SQL, "--target", target)
        assert error is None, error
        compiled[target] = sql
    compiled["spark"] = spark_compile(PSEUDONYMIZE_SQL)
    return compiled


def _passes_customer_id(sql: str, dialect: str) -> bool:
    traced = trace_model(sql, dialect, schema_for({("", "s", "t"): ["customer_id"]}, dialect))
    assert traced.unresolved is None, traced.unresolved
    return "customer_id" in {d.column for d in traced.columns["p"] if d.passes_value}


# Edits of each engine's compiled text that make a look-alike: no key, another
# function or schema, no Feistel rounds, the raw value.
PSEUDONYMIZE_LOOK_ALIKES = {
    "duckdb": [("pii_guard_pseudonymize_int(", "my_pseudonymize_int("),
               ("cast(-5 as bigint)", "cast(customer_id as bigint)")],
    "postgres": [("pii_guard_keyring.pseudonymize_int(", "public.pseudonymize_int("),
                 ("pii_guard_keyring.pseudonymize_int(", "pseudonymize_int(")],
    "spark": [(SPARK_KEY, "'a-literal-key-that-anyone-can-read-0123456789'"),
              (SPARK_KEY, "r'${env:HOME}'"),
              ("pii_guard_j > 0 and", "pii_guard_j >= 0 and"),
              ("then pii_guard_y\n", "then customer_id\n"),
              ("sequence(0, 7)", "sequence(0, -1)")],
}


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_pseudonymize_int_is_protection_and_its_look_alikes_are_not(compiled_pseudonymize_int, dialect):
    sql = compiled_pseudonymize_int[dialect]
    assert any(protecting_macro(n, dialect) == "pseudonymize_int" for n in sqlglot.parse_one(sql, read=dialect).walk())
    assert not _passes_customer_id(sql, dialect)
    for old, new in PSEUDONYMIZE_LOOK_ALIKES[dialect]:
        assert old in sql, old
        look_alike = sql.replace(old, new)
        assert not any(protecting_macro(n, dialect) == "pseudonymize_int"
                       for n in sqlglot.parse_one(look_alike, read=dialect).walk()), new
        assert _passes_customer_id(look_alike, dialect), new
