"""What the reports of `pii-guard check` say: counts whose nouns agree ("1
violation", "2 violations"), and an HTML page with a legend, the checked
project's name and the time dbt wrote the manifest (never the clock)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# `project`: the small project's directory (dbt_project.yml, a seed file, target/manifest.json).
from test_check_bad_input import SAFE, check_args, column, project, run_main, valid_manifest, write_json  # noqa: F401

GENERATED_AT = "2026-11-25T09:30:00.123456Z"
LEAK = "model.p.safe_people.email <- source.p.crm.people.email"


def leaking(root: Path, columns: list[str], metadata: dict | None = None) -> Path:
    """The small project of test_check_bad_input, its safe model now selecting `columns` of crm.people."""
    manifest = valid_manifest(root)
    manifest["metadata"] = metadata if metadata is not None else {
        "adapter_type": "duckdb", "project_name": "p", "generated_at": GENERATED_AT}
    manifest["nodes"][SAFE]["compiled_code"] = f'select {", ".join(columns)} from "db"."main"."people"'
    manifest["nodes"][SAFE]["columns"] = {}
    write_json(root / "target" / "manifest.json", manifest)
    return root


@pytest.mark.parametrize("columns, summary", [
    (["email"], "1 model (1 safe), 1 column traced: 1 violation, 0 unresolved, 0 accepted"),
    (["id", "email", "email as e2"], "1 model (1 safe), 3 columns traced: 2 violations, 0 unresolved, 0 accepted"),
])
def test_the_text_summary_counts_in_words_that_agree(project, capsys, columns, summary):
    code, out, err = run_main(capsys, *check_args(leaking(project, columns), "--no-catalog"))
    lines = out.splitlines()
    assert code == 1, err
    assert lines[-1] == summary
    assert lines[-2] == ("columns from yml declarations, seed files and compiled SQL (no catalog.json); "
                         "0 relations read with no known columns")


def test_one_relation_without_columns_is_one_relation(project, capsys):
    manifest_root = leaking(project, ["email"])
    manifest_path = manifest_root / "target" / "manifest.json"
    text = manifest_path.read_text().replace('from \\"db\\".\\"main\\".\\"people\\"',
                                             'from \\"db\\".\\"main\\".\\"people\\" join main.nowhere using (id)')
    manifest_path.write_text(text)
    code, out, err = run_main(capsys, *check_args(manifest_root, "--no-catalog"))
    assert code == 1, err
    assert out.splitlines()[-2].endswith("; 1 relation read with no known columns")


@pytest.mark.parametrize("columns, counted", [(["email"], "1 violation"), (["email", "email as e2"], "2 violations")])
def test_the_written_report_message_counts_in_words_that_agree(project, capsys, columns, counted):
    page = project / "report.html"
    code, out, err = run_main(capsys, *check_args(leaking(project, columns), "--format", "html",
                                                  "--output", str(page)))
    assert code == 1 and out == ""
    assert err == f"pii-guard check: wrote {page}: {counted}, 0 unresolved\n"


def _page(project: Path, capsys, *extra: str) -> str:
    page = project / "report.html"
    run_main(capsys, *check_args(project, "--format", "html", "--output", str(page), *extra))
    return page.read_text()


def test_the_page_names_the_project_and_when_dbt_wrote_the_manifest(project, capsys):
    text = _page(leaking(project, ["email"]), capsys)
    assert "<title>pii-guard check: p</title>" in text and "<h1>pii-guard check: p</h1>" in text
    assert "dbt project: <b>p</b>" in text
    assert (f"Manifest written by dbt at: <time datetime='{GENERATED_AT}'>{GENERATED_AT}</time> "
            "(its metadata.generated_at, in UTC: when the dbt command that wrote it ran, "
            "not when this page was made)") in text
    assert "<b>1 model (1 safe), 1 column traced: 1 violation, 0 unresolved, 0 accepted.</b>" in text
    assert not re.search(r"\b1 (violations|models|columns)\b", text)
    # The same manifest gives the same page: nothing on it comes from the clock.
    assert _page(project, capsys) == text


def test_a_manifest_without_name_or_time_says_so(project, capsys):
    text = _page(leaking(project, ["email", "email as e2"], {"adapter_type": "duckdb"}), capsys)
    assert "<title>pii-guard check</title>" in text
    assert "dbt project: not named in the manifest" in text
    assert "Manifest written by dbt at: not recorded in the manifest" in text
    assert "2 violations, 0 unresolved, 0 accepted.</b>" in text


LEGEND = {
    "violation": "PII reaches a column of a safe model without a protecting transform: the check fails.",
    "weak hashing": "PII hashed without a key (md5, sha256, ...) reaches a safe model: anyone can hash a list of "
                    "candidates and compare, so the check fails.",
    "unresolved": "A model the checker cannot analyse, or one that reads such a model: never assumed clean, "
                  "so the check fails.",
    "accepted": "A finding a pii_guard_allow entry of dbt_project.yml accepts, with its reason: listed, and the "
                "check does not fail on it.",
}
BOXES = {"#fde2e1": "origin", "#eef2f7": "through", "#ffd7a8": "reached"}


def test_the_legend_explains_every_status_and_colour_on_the_page(project, capsys):
    (project / "dbt_project.yml").write_text(
        "name: p\nvars:\n  pii_guard_allow:\n    - {model: safe_people, column: e2, reason: 'DPA-1: covered'}\n")
    manifest = valid_manifest(project)
    manifest["nodes"][SAFE]["compiled_code"] = (
        'select email, md5(email) as h, email as e2 from "db"."main"."people"')
    manifest["nodes"][SAFE]["columns"] = {name: column(name) for name in ("email", "h", "e2")}
    write_json(project / "target" / "manifest.json", manifest)
    text = _page(project, capsys)
    legend = text[text.index("<section class='legend'>"):text.index("</section>", text.index("<section class='legend'>"))]
    for status, meaning in LEGEND.items():
        assert re.search(rf"<dt><span class='status' style='background:#\w+'>{status}</span></dt>"
                         rf"<dd>{re.escape(meaning)}</dd>", legend), status
    for colour, kind in BOXES.items():
        assert f"<dt><span class='swatch' style='background:{colour}'></span>{kind}</dt>" in legend
    page = text.replace(legend, "")
    # Every status and box colour used outside the legend is one the legend explains.
    assert set(re.findall(r"<span class='status'[^>]*>([^<]+)</span>", page)) == {"violation", "weak hashing",
                                                                                   "accepted"}
    assert set(re.findall(r'<rect [^>]*fill="(#\w+)"', page)) == {"#fde2e1", "#ffd7a8"}
    assert "<li><span class='status' style='background:#2e6b30'>accepted</span> <code>model.p.safe_people.e2</code>" \
           " &lt;- <code>source.p.crm.people.email</code>: DPA-1: covered</li>" in page
    assert "<b>1 model (1 safe), 3 columns traced: 2 violations, 0 unresolved, 1 accepted.</b>" in page
