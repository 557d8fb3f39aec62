"""`pii-guard annotate` on its fixture (integration_tests/fixtures/annotate):
the yml patch line by line, that it applies and is then empty, the annotated
manifest copy, and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbt_harness import INTEGRATION, DbtProject, require_ok
from pii_guard.classify.patch import edit_yml

FIXTURE = INTEGRATION / "fixtures" / "annotate"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
EMAIL, PHONE = '"seed.annotate_fixture.people.email"', '"seed.annotate_fixture.people.phone"'

EXPECTED_PATCH = f"""\
--- a/models/marts/_marts.yml
+++ b/models/marts/_marts.yml
@@ -5,7 +5,10 @@
     description: Sent to the call centre.
     columns:
       - name: email_hash
-        config: {{meta: {{owner: marketing}}}}  # reviewed
+        config: {{meta: {{owner: marketing, pii_guard_derived: {{status: protected, protected_from: [{EMAIL}], protected_by: [hash_pii]}}}}}}  # reviewed
+      - name: phone
+        config: {{meta: {{pii_guard_derived: {{status: pii, pii_from: [{PHONE}]}}}}}}
   - name: broken
     columns:
       - name: email_hash
+        config: {{meta: {{pii_guard_derived: {{status: unresolved, reason: "sqlglot cannot analyse it: Expecting ). Line 1, Col: 23."}}}}}}
--- a/models/staging/_staging.yml
+++ b/models/staging/_staging.yml
@@ -5,10 +5,15 @@
   - name: stg_people
     columns:
       - name: id  # the person's key
+        config: {{meta: {{pii_guard_derived: {{status: clean}}}}}}
         description: Person id.
       - name: email_hash
         config:
           tags: [pseudonym]
+          meta: {{pii_guard_derived: {{status: protected, protected_from: [{EMAIL}], protected_by: [hash_pii]}}}}
       - name: phone
         meta:
           owner: crm
+          pii_guard_derived: {{status: pii, pii_from: [{PHONE}]}}
+      - name: city
+        config: {{meta: {{pii_guard_derived: {{status: clean}}}}}}
--- /dev/null
+++ b/models/marts/people_by_city.yml
@@ -0,0 +1,9 @@
+version: 2
+
+models:
+  - name: people_by_city
+    columns:
+      - name: city
+        config: {{meta: {{pii_guard_derived: {{status: clean}}}}}}
+      - name: phones
+        config: {{meta: {{pii_guard_derived: {{status: protected, protected_from: [{PHONE}], protected_by: [counted]}}}}}}
"""


def annotate(project_dir: Path, manifest: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PII_GUARD, "annotate", "--project-dir", str(project_dir), "--manifest", str(manifest),
                           *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Path:
    project = DbtProject(tmp_path_factory.mktemp("annotate"), key=None, project_dir=FIXTURE)
    for step in (("deps",), ("compile",)):
        require_ok(project.dbt(*step), "dbt " + " ".join(step))
    return project.target_path / "manifest.json"


def test_the_patch_classifies_every_model_column(manifest):
    result = annotate(FIXTURE, manifest)
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED_PATCH
    assert result.stderr == "pii-guard annotate: 9 columns of 4 models classified\n"


def test_the_patch_applies_and_then_there_is_nothing_left_to_annotate(manifest, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(FIXTURE, copy, ignore=shutil.ignore_patterns("dbt_packages", "target", "logs"))
    applied = subprocess.run(["git", "apply", "-p1", "-"], cwd=copy, input=EXPECTED_PATCH, capture_output=True,
                             text=True)
    assert applied.returncode == 0, applied.stderr
    assert "pii_guard_derived: {status: pii" in (copy / "models/staging/_staging.yml").read_text()
    again = annotate(copy, manifest)
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr


def test_the_manifest_copy_carries_the_classification_in_column_meta(manifest, tmp_path):
    written = tmp_path / "manifest.json"
    result = annotate(FIXTURE, manifest, "--write-manifest", str(written))
    assert result.returncode == 0 and result.stdout == "", result.stderr
    nodes = json.loads(written.read_text())["nodes"]
    export = nodes["model.annotate_fixture.contact_export"]["columns"]
    assert export["email_hash"]["meta"] == {"owner": "marketing", "pii_guard_derived": {
        "status": "protected", "protected_from": ["seed.annotate_fixture.people.email"], "protected_by": ["hash_pii"]}}
    assert export["email_hash"]["config"]["meta"] == export["email_hash"]["meta"]
    # phone is in no yml: added, for dbt docs to list it.
    assert export["phone"]["meta"] == {"pii_guard_derived": {"status": "pii",
                                                             "pii_from": ["seed.annotate_fixture.people.phone"]}}
    by_city = nodes["model.annotate_fixture.people_by_city"]["columns"]
    assert {name: c["meta"]["pii_guard_derived"]["status"] for name, c in by_city.items()} == {
        "city": "clean", "phones": "protected"}
    assert "pii_guard_derived" not in json.dumps(nodes["seed.annotate_fixture.people"])
    assert json.loads(manifest.read_text())["nodes"]["model.annotate_fixture.contact_export"]["columns"][
        "email_hash"]["meta"] == {"owner": "marketing"}  # the original is untouched


def test_an_unwritable_manifest_copy_is_refused_before_any_work(manifest, tmp_path):
    result = annotate(FIXTURE, manifest, "--write-manifest", str(tmp_path / "missing" / "manifest.json"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"error: cannot write the report to {tmp_path}/missing/manifest.json: the directory "
                             f"{tmp_path}/missing does not exist. Create it first, or pass another --output.\n")


def test_a_flow_mapping_over_several_lines_gets_a_note_not_a_guess():
    text = "models:\n  - name: m\n    columns:\n      - name: a\n        config: {meta:\n          {pii: true}}\n"
    edited, notes = edit_yml(text, [("model", None, "m", {"a": {"pii_guard_derived": {"status": "clean"}}})],
                             merge=True)
    assert edited == text
    assert notes == ["m.a: its yml entry already has config or meta (or is flow style); add "
                     "{meta: {pii_guard_derived: {status: clean}}} to it by hand"]
