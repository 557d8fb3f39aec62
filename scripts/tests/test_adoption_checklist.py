"""Following only the README's ten-minute adoption checklist works.

The checklist's code blocks, in order, become one shell script: each file
block (a yml, SQL or CSV block named by its first-line comment or the line
before it) is written where it says, each shell block runs as written, so
`cd` and `export` carry over as they do for a reader. It runs in a fresh
directory holding `pii_guard` (this checkout) and nothing else: `dbt deps`,
`dbt seed`, `dbt build` and `pii-guard check` as the README writes them.
`pip install` lines are not run (this environment has what they install);
the extras they name must exist.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pytest

from docs_blocks import Block, markdown_blocks

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KEY_ENV_VAR = "DBT_ENV_SECRET_PII_GUARD_KEY"


def checklist_blocks(readme: str) -> list[Block]:
    """The code blocks of the README's checklist section, in order."""
    start = readme.index("\n## Ten-minute adoption checklist\n")
    end = readme.index("\n## ", start + 1)
    return markdown_blocks(readme[start:end], "README.md")


def file_path(block: Block) -> str | None:
    """Where a file block goes: its first-line comment (`# packages.yml`,
    `-- models/x.sql`), or for a CSV the path the prose names just before it.

    >>> file_path(Block("README.md", 1, "sql", "-- models/a.sql\\nselect 1\\n", "", None))
    'models/a.sql'
    >>> file_path(Block("README.md", 1, "csv", "a,b\\n", "Load it, `seeds/x.csv`:", None)) is None
    False
    """
    first = block.text.splitlines()[0]
    named = re.fullmatch(r"(?:#|--) ([\w./-]+\.(?:yml|sql))", first.strip())
    if named:
        return named.group(1)
    if block.lang == "csv":
        prose = re.findall(r"`([\w./-]+\.csv)`", block.before)
        return prose[-1] if prose else None
    return None


def checklist_script(blocks: list[Block]) -> tuple[str, list[str]]:
    """One bash script doing what the checklist says, and the pip extras it names."""
    lines, extras = ["set -euo pipefail"], []
    for block in blocks:
        if block.lang == "sh":
            for line in block.text.splitlines():
                command = line.split("  #")[0].strip()
                if command.startswith("pip install"):
                    extras += re.findall(r'"\./pii_guard\[([\w,]+)\]"', command)
                    assert re.fullmatch(r'pip install -e "\./pii_guard\[[\w,]+\]"', command), command
                elif command:
                    lines.append(command)
            continue
        path = file_path(block)
        assert path is not None, f"{block.where}: a {block.lang} block the checklist does not say where to put"
        assert "PII_GUARD_EOF" not in block.text
        lines += [f"mkdir -p \"$(dirname '{path}')\"", f"cat > '{path}' <<'PII_GUARD_EOF'",
                  block.text.rstrip("\n"), "PII_GUARD_EOF"]
    return "\n".join(lines) + "\n", [name for group in extras for name in group.split(",")]


def run_script(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k != KEY_ENV_VAR and not k.startswith(("DBT_", "PII_GUARD_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", DO_NOT_TRACK="1",
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_VERSION_CHECK="false")
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def adopted(tmp_path_factory):
    """The checklist followed in a fresh directory: (blocks, the run, the
    directory, the key it generated)."""
    root = tmp_path_factory.mktemp("adoption")
    (root / "pii_guard").symlink_to(REPO, target_is_directory=True)
    blocks = checklist_blocks((REPO / "README.md").read_text())
    script, _ = checklist_script(blocks)
    # Not a checklist step: hand the generated key to the test, to recompute the pseudonyms.
    script += f"printf '%s' \"${KEY_ENV_VAR}\" > '{root}/key.txt'\n"
    result = run_script(script, root)
    return blocks, result, root, (root / "key.txt").read_text() if (root / "key.txt").exists() else None


def test_the_checklist_names_extras_that_exist():
    _, extras = checklist_script(checklist_blocks((REPO / "README.md").read_text()))
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras == ["duckdb"]
    assert set(extras) <= set(declared)


def test_the_checklist_builds_and_checks_clean(adopted):
    _, result, root, key = adopted
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (root / "my_project" / "dbt_packages" / "pii_guard").exists()
    assert key is not None and len(key) == 64
    # dbt build: every model and test passed, pii_guard's singular test and k_anonymity included.
    assert re.search(r"Done\. PASS=\d+ WARN=0 ERROR=0 SKIP=0", result.stdout), result.stdout[-3000:]
    assert "no_pii_in_safe_models" in result.stdout and "k_anonymity" in result.stdout
    # pii-guard check: clean, and it did check the one safe model.
    assert "1 models (1 safe)" in result.stdout or "(1 safe)" in result.stdout, result.stdout[-2000:]
    assert "0 violations, 0 unresolved" in result.stdout, result.stdout[-2000:]


def _seed_rows(blocks: list[Block]) -> list[dict[str, str]]:
    (seed,) = [block for block in blocks if block.lang == "csv"]
    return list(csv.DictReader(io.StringIO(seed.text)))


def test_staging_holds_keyed_pseudonyms_and_the_safe_mart_no_email(adopted):
    blocks, result, root, key = adopted
    assert result.returncode == 0, result.stderr[-3000:]
    rows = _seed_rows(blocks)
    assert [row["email"] for row in rows] == [" Ann.Lee@Example.com ", "bo.chen@example.net", "cy@example.org",
                                              "di.ross@example.com"]
    with duckdb.connect(str(root / "my_project" / "warehouse.duckdb"), read_only=True) as con:
        staged = con.sql("select email_hash, zip3 from main.stg_customers order by signup_date").fetchall()
        mart_columns = [c[0] for c in con.sql("describe main_safe.customer_segments").fetchall()]
        mart = con.sql("select * from main_safe.customer_segments order by signup_month, zip3").fetchall()
    # hash_pii(normalize='email'): HMAC-SHA256 of the trimmed, lower-cased text, as the docs define it.
    expected = [hmac.new(key.encode(), row["email"].strip().lower().encode(), hashlib.sha256).hexdigest()
                for row in rows]
    assert [email_hash for email_hash, _ in staged] == expected
    assert all(re.fullmatch(r"[0-9a-f]{64}", email_hash) for email_hash, _ in staged)
    assert [zip3 for _, zip3 in staged] == ["021", "021", "100", "100"]
    assert mart_columns == ["customer_key", "age_band", "zip3", "signup_month"]
    assert [(zip3, str(month)) for _, _, zip3, month in mart] == [
        ("021", "2024-01-01"), ("021", "2024-02-01"), ("100", "2024-02-01"), ("100", "2024-03-01")]
    assert all(re.fullmatch(r"[0-9a-f]{64}", key_) for key_, _, _, _ in mart)
    # No declared PII value of the raw table reaches the mart, in any column.
    pii_columns = ["customer_id", "full_name", "email", "birth_date", "zip"]
    raw = {row[column].strip().lower() for row in rows for column in pii_columns}
    cells = [str(cell).lower() for row in mart for cell in row]
    assert not any("@" in cell or cell in raw for cell in cells)


def test_the_adopted_project_catches_a_leak(adopted):
    """The checklist's setup guards: a safe model selecting the raw email is
    refused by pii-guard check, with its path."""
    _, result, root, _ = adopted
    assert result.returncode == 0, result.stderr[-3000:]
    leak = root / "my_project" / "models" / "marts" / "safe" / "contact_list.sql"
    leak.write_text("select email from {{ source('crm', 'customers') }}\n")
    try:
        checked = run_script("cd my_project && dbt compile --quiet && pii-guard check", root)
    finally:
        leak.unlink()
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert ("VIOLATION model.my_project.contact_list.email <- source.my_project.crm.customers.email: "
            "PII reaches a safe model without a protecting transform") in checked.stdout
