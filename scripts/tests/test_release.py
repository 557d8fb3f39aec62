"""One version everywhere: dbt_project.yml, pyproject.toml, pii_guard.__version__,
`pii-guard --version`, the CHANGELOG's top section, and the release tag the
README and the CI recipe install (CHANGELOG.md, Releasing)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import pii_guard

REPO = Path(__file__).resolve().parents[2]
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
SECTION = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?[ \t]*$", re.MULTILINE)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def changelog_problem(changelog: str, version: str) -> str | None:
    """What is wrong between the changelog's sections and the version the files
    carry, or None: the top section is either `[Unreleased]`, saying it is
    "prepared as" that version, newer than every released one, or the release
    of that very version with its date."""
    sections = list(SECTION.finditer(changelog))
    if not sections:
        return "no '## [...]' section"
    top = sections[0]
    released = [s["name"] for s in sections[1:]]
    if top["name"] != "Unreleased":
        if top["name"] != version or not top["date"]:
            return f"the top section is [{top['name']}] {top['date'] or '(no date)'}, not [{version}] - YYYY-MM-DD"
        return None
    body = changelog[top.end():sections[1].start() if len(sections) > 1 else len(changelog)]
    if f"prepared as {version}" not in " ".join(body.split()):
        return f"[Unreleased] does not say it is prepared as {version}"
    older = [name for name in released if _release(name) >= _release(version)]
    return f"{version} is not newer than the released {', '.join(older)}" if older else None


def test_the_changelog_rule_on_hand_written_changelogs():
    unreleased = "# Changelog\n\n## [Unreleased]\n\nEverything below is prepared as\n0.2.0.\n\n## [0.1.0] - 2026-01-05\n"
    assert changelog_problem(unreleased, "0.2.0") is None
    assert changelog_problem(unreleased, "0.3.0") == "[Unreleased] does not say it is prepared as 0.3.0"
    assert changelog_problem(unreleased.replace("0.2.0", "0.1.0", 1), "0.1.0") == \
        "0.1.0 is not newer than the released 0.1.0"
    released = "## [0.1.0] - 2026-01-05\n\n### Added\n"
    assert changelog_problem(released, "0.1.0") is None
    assert changelog_problem(released, "0.1.1") == \
        "the top section is [0.1.0] 2026-01-05, not [0.1.1] - YYYY-MM-DD"
    assert changelog_problem("## [0.1.0]\n", "0.1.0") == \
        "the top section is [0.1.0] (no date), not [0.1.0] - YYYY-MM-DD"
    assert changelog_problem("# Changelog\n", "0.1.0") == "no '## [...]' section"


@pytest.fixture(scope="module")
def version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_every_file_carries_the_same_version(version):
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert str(yaml.safe_load((REPO / "dbt_project.yml").read_text())["version"]) == version
    assert pii_guard.__version__ == version
    printed = subprocess.run([PII_GUARD, "--version"], capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0 and printed.stdout == f"pii-guard {version}\n", printed


def test_the_changelog_top_section_is_this_version(version):
    assert changelog_problem((REPO / "CHANGELOG.md").read_text(), version) is None


def test_the_documented_release_tag_is_this_version(version):
    docs = "".join(path.read_text() for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])
    recipe = (REPO / "docs" / "ci" / "pii_guard.yml").read_text()
    tags = re.findall(r"(?:revision|rev): (v[\d.]+)|git\+\S*?@(v[\d.]+)", docs + recipe)
    found = [packages or pip for packages, pip in tags]
    # packages.yml and pip in docs/engines-and-keys.md, pip and pre-commit in docs/checker.md's
    # CI recipe, the recipe's pip install.
    assert len(found) >= 5 and set(found) == {f"v{version}"}, found


def test_license_is_the_apache_license_pyproject_names():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]
    text = (REPO / "LICENSE").read_text()
    assert declared == {"text": "Apache-2.0"}
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "Copyright 2026 the pii_guard authors" in text
    assert "[yyyy]" not in text and "[name of copyright owner]" not in text


def test_no_placeholder_is_left_for_users_to_guess():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    pattern = re.compile(r"<your[-_ ]|your-org|\bTODO\b|\bXXX\b|\bFIXME\b", re.IGNORECASE)
    found = []
    for name in tracked:
        path = REPO / name
        if path.suffix in {".png", ".duckdb", ".parquet"} or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if pattern.search(line) and not (name == "scripts/tests/test_release.py" and "pattern" in line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == []
