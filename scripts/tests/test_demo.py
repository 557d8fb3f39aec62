"""`make demo` (integration_tests/demo.py): one run with its output piped, as
a reader sees it in a log: exit 0, a short story under 60 lines and 100
columns with no terminal escapes, a 2-anonymous safe mart, every check
passing on the clean project and each planted leak caught. Then the demo's
verdict on stories that go wrong, in-process with stand-in dbt results."""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "integration_tests" / "demo.py"
HASH = re.compile(r"\b[0-9a-f]{10}\.\.")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TERM", "FORCE_COLOR", "CLICOLOR_FORCE")}
    env["DO_NOT_TRACK"] = "1"
    return subprocess.run([sys.executable, str(DEMO), "--workdir", str(tmp_path_factory.mktemp("demo"))],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def lines(demo) -> list[str]:
    # The pseudonyms change with the throwaway key: shown as <hash>.. here.
    return [HASH.sub("<hash>..", line) for line in demo.stdout.splitlines()]


def section(lines: list[str], heading: str) -> list[str]:
    """The lines from the one starting with `heading` to the next blank line."""
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = lines.index("", start)
    return lines[start:end]


def test_exits_zero_saying_the_story_is_as_expected(demo, lines):
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stderr == ""
    assert lines[-1] == ("demo: as expected. The clean project passes every check; "
                         "each planted leak is caught.")


def test_short_narrow_and_plain_when_piped(demo, lines):
    assert len(lines) < 60
    assert [line for line in lines if len(line) >= 100] == []
    assert "\x1b[" not in demo.stdout + demo.stderr
    # Pseudonyms are shown cut short, and no 64-character hash (or key) in full.
    assert re.search(r"[0-9a-f]{32}", demo.stdout) is None


def test_raw_staging_and_safe_mart_shown(lines):
    assert section(lines, "1. Raw") == [
        "1. Raw: seed raw_customers, 12 customers with synthetic PII (first 3):",
        "  customer_id  full_name   email                   phone            birth_date  zip",
        "  1001         Ann Lee     ann.lee@example.com     +1 617 555 0123  1990-06-15  02139",
        "  1002         Bruno Diaz  bruno.diaz@example.org  (617) 555-0199   1992-03-02  02139",
        "  1003         Chen Wei    chen.wei@example.net    617.555.0147     1995-11-20  02445",
    ]
    assert section(lines, "2. Staging") == [
        "2. Staging: stg_customers protects each PII column (keyed hash, mask, generalize):",
        "  customer_key  email_hash    email_masked      phone_masked  age_band  zip3  state",
        "  <hash>..  <hash>..  a***@example.com  *******0123   26-35     021   MA",
        "  <hash>..  <hash>..  b***@example.org  ******0199    26-35     021   MA",
        "  <hash>..  <hash>..  c***@example.net  ******0147    26-35     024   MA",
    ]
    assert section(lines, "3. Safe mart")[:5] == [
        "3. Safe mart: customer_profiles, what analysts read (privacy_tier: safe):",
        "  customer_key  age_band  state  signup_channel  total_spend",
        "  <hash>..  26-35     MA     web             120.50",
        "  <hash>..  26-35     MA     store           89.99",
        "  <hash>..  26-35     MA     app             15.25",
    ]


def test_safe_mart_passes_k_anonymity(lines):
    assert section(lines, "3. Safe mart")[5:] == [
        "  customers per (age_band, state): 18-25 NY=2, 26-35 MA=3, 36-50 MA=2, 36-50 NY=3, 51-64 NH=2",
        "  smallest group: 2 customers, so k_anonymity with k=2 holds",
    ]
    assert "    k_anonymity(customer_profiles): pass (on (age_band, state), k=2)" in lines


def test_every_check_passes_on_the_clean_project(lines):
    assert section(lines, "4. Checks") == [
        "4. Checks on the clean project:",
        "  dbt build: 1 seed, 2 models, 6 data tests: all passed",
        "    no_pii_in_safe_models: pass (no PII column reaches a safe model)",
        "    k_anonymity(customer_profiles): pass (on (age_band, state), k=2)",
        "    no_pii_values(customer_profiles.signup_channel): pass (no email, phone, SSN, card, IP)",
        "    is_pseudonym(customer_profiles.customer_key): pass (keyed hashes, not raw ids)",
        "    build-time guard (pre-hook refuse_pii_in_safe_model): every safe model built",
        "  pii-guard check (the CI gate: manifest only, no warehouse): exit 0",
        "    2 models (1 safe), 15 columns traced: 0 violations, 0 unresolved, 0 accepted",
    ]


def test_each_planted_leak_is_caught_by_its_check(lines):
    assert section(lines, "5. Planted leaks") == [
        "5. Planted leaks: models/planted/, built only with --vars '{plant_leaks: true}':",
        "  newsletter_export: a mailing list in a safe model selects raw email; lineage checks catch it",
        "    build-time guard: refused to build it",
        "    no_pii_in_safe_models: FAIL, 1 violation: newsletter_export.email",
        "    pii-guard check: exit 1",
        "      VIOLATION model.shop.newsletter_export.email <- seed.shop.raw_customers.email: PII reaches",
        "        a safe model without a protecting transform",
        "      path: seed.shop.raw_customers.email -> model.shop.newsletter_export.email",
        "  feedback_export: comments declared not PII hold typed-in contacts; a scan of values sees them",
        "    no_pii_values(feedback_export.comment): FAIL, 2 rows (email, phone)",
        "  profiles_by_zip: age_band + zip3, each generalized, single people out; group sizes show it",
        "    k_anonymity(profiles_by_zip): FAIL, 8 groups of fewer than 2 customers",
    ]


# The verdict on stories that go wrong: stand-ins for dbt's node results.

def load_demo():
    spec = importlib.util.spec_from_file_location("pii_guard_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def result(name: str, status: str, failures: int = 0, message: str | None = None, test: str | None = None,
           model: str | None = None, column: str | None = None, kind: str = "test") -> SimpleNamespace:
    node = SimpleNamespace(name=name, resource_type=kind, column_name=column,
                           attached_node=f"model.shop.{model}" if model else None,
                           test_metadata=SimpleNamespace(name=test) if test else None)
    return SimpleNamespace(node=node, status=status, failures=failures, message=message)


def checked(returncode: int, stdout: str) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["pii-guard", "check"], returncode, stdout, "")


def test_leaks_not_caught_fail_the_demo(capsys):
    demo = load_demo()
    story = demo.Story()
    planted = [
        result("newsletter_export", "error", kind="model",
               message="pii_guard: refusing to build the safe model model.shop.newsletter_export"),
        result("no_pii_in_safe_models", "pass"),
        result("no_pii_values_feedback", "pass", test="no_pii_values", model="feedback_export", column="comment"),
        result("k_anonymity_zip", "fail", 8, test="k_anonymity", model="profiles_by_zip"),
        result("customer_profiles", "error", kind="model", message="Runtime Error"),
    ]
    demo.show_planted(story, planted, checked(0, "1 model (1 safe), 2 columns traced\n"), Path("unused"))
    assert story.problems == [
        "with the leaks planted, other nodes failed too: customer_profiles: error",
        "no_pii_in_safe_models did not catch newsletter_export: pass",
        "pii-guard check exited 0 reporting no violation; expected exactly one: "
        "VIOLATION model.shop.newsletter_export.email <- seed.shop.raw_customers.email",
        "no_pii_values(feedback_export.comment) did not catch feedback_export: pass",
    ]
    out = capsys.readouterr().out
    assert "    no_pii_in_safe_models: not caught (pass)\n" in out
    assert "    no_pii_values(feedback_export.comment): not caught (pass)\n" in out
    assert demo.verdict(story) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("demo: NOT as expected:\n  - with the leaks planted, other nodes failed too")


def test_clean_project_failing_a_check_fails_the_demo(capsys):
    demo = load_demo()
    story = demo.Story()
    clean = [
        result("raw_customers", "success", kind="seed"),
        result("customer_profiles", "success", kind="model"),
        result("no_pii_in_safe_models", "pass"),
        result("k_anonymity_state", "fail", 1, test="k_anonymity", model="customer_profiles"),
        result("no_pii_values_channel", "pass", test="no_pii_values", model="customer_profiles",
               column="signup_channel"),
    ]
    report = ("VIOLATION model.shop.customer_profiles.state <- seed.shop.raw_customers.zip: PII\n"
              "1 model (1 safe), 5 columns traced: 1 violation, 0 unresolved, 0 accepted\n")
    demo.show_clean_checks(story, clean, checked(1, report))
    assert story.problems == [
        "the clean build did not pass: k_anonymity(customer_profiles): fail",
        "k_anonymity(customer_profiles) did not pass on the clean project: fail",
        "is_pseudonym(customer_profiles.customer_key) did not pass on the clean project: not run",
        "pii-guard check exited 1 on the clean project: " + report.strip(),
    ]
    assert "  dbt build: 1 seed, 1 model, 3 data tests: NOT ALL PASSED\n" in capsys.readouterr().out
    assert demo.verdict(story) == 1


def test_a_story_as_told_passes(capsys):
    demo = load_demo()
    story = demo.Story()
    assert demo.verdict(story) == 0
    assert capsys.readouterr().out == ("demo: as expected. The clean project passes every check; "
                                       "each planted leak is caught.\n")


def test_demo_doctests_pass():
    results = doctest.testmod(load_demo())
    assert (results.failed, results.attempted) == (0, 1)
