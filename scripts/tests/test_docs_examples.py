"""Every code block of README.md and docs/*.md, checked by its kind.

- ``yaml``: parses; every `pii_guard.<name>` it mentions is a macro or test
  of macros/, test `arguments` are that test's parameters, treatments and
  their arguments are the policy vocabulary's, `pii` and `privacy_tier` are
  readable declarations, `pii_guard_*` vars are ones pii_guard reads, and a
  plugin `module` imports.
- ``sql``: with stand-ins for dbt's Jinja it parses as SQL; every
  `{{ pii_guard.<macro>(...) }}` call compiles in the integration project.
- ``sh``/``bash``: every command is one the docs may name; `pii-guard` lines
  parse with the real argument parser, `dbt` lines name real dbt commands
  and flags, `pip` extras exist, `make` targets exist.
- ``usage``: each flag and choice of a `pii-guard` synopsis is the parser's.
- ``json``, ``csv``: parse (CSV rows as wide as the header).
- ``text``: shown output; a `$ pii-guard ...` line in it is parsed.

A block that cannot run here is marked in the markdown, on the line before
its fence: `<!-- example: not run, <reason> -->`; it is still name-checked.
Any other kind, unmarked, fails.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import importlib.util
import io
import json
import re
import shlex
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any, Callable

import jinja2
import pytest
import sqlglot
import yaml

from docs_blocks import Block, markdown_blocks
from pii_guard.cli import build_parser
from pii_guard.lineage.declarations import DeclarationError, pii_value, tier_value
from pii_guard.policies import POLICY_RULES

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
KINDS = {"yaml", "yml", "sql", "sh", "bash", "usage", "json", "csv", "text"}
# Commands the docs may show besides pii-guard, dbt, pip and make: shell
# built-ins and the tools a patch is applied with.
PLAIN_COMMANDS = {"cd", "export", "mkdir", "git", "patch"}
Compile = Callable[[str], "str | None"]


def all_blocks() -> list[Block]:
    return [block for path in DOCS for block in markdown_blocks(path.read_text(), path.relative_to(REPO).as_posix())]


@cache
def macros() -> dict[str, str]:
    """Every macro and test of macros/, by name: its parameter list."""
    found = {}
    for path in (REPO / "macros").rglob("*.sql"):
        for name, params in re.findall(r"\{%-?\s*(?:macro|test)\s+(\w+)\((.*?)\)\s*-?%\}", path.read_text(), re.S):
            found[name] = params
    return found


def parameters(name: str) -> list[str]:
    """The parameter names of a macro or test, read from its signature.

    >>> parameters("k_anonymity")
    ['model', 'quasi_identifiers', 'k']
    """
    signature = ast.parse(f"def f({macros()[name]}): pass").body[0].args
    return [arg.arg for arg in signature.args]


@cache
def read_by_pii_guard() -> str:
    """The source of the macros and the Python package: where a var must be read."""
    sources = [*(REPO / "macros").rglob("*.sql"), *(REPO / "scripts" / "pii_guard").rglob("*.py")]
    return "\n".join(path.read_text() for path in sources)


def name_problems(text: str) -> list[str]:
    """`pii_guard.<name>` mentions that are no macro of the package."""
    return [f"pii_guard.{name} is no macro or test of macros/"
            for name in re.findall(r"(?<![\w/.-])pii_guard\.(\w+)", text)
            if name not in macros() and name != "duckdb_plugin"]


# --- yaml ---------------------------------------------------------------

def _yaml_nodes(node: Any):
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        yield from _yaml_nodes(child)


def yaml_problems(text: str) -> list[str]:
    try:
        documents = [doc for doc in yaml.safe_load_all(text)]
    except yaml.YAMLError as error:
        return [f"does not parse: {error}"]
    problems = name_problems(text)
    treatments = POLICY_RULES["treatments"]
    for node in (n for doc in documents for n in _yaml_nodes(doc) if isinstance(n, dict)):
        for key, value in node.items():
            test = re.fullmatch(r"pii_guard\.(\w+)", str(key))
            if test and test.group(1) in macros() and isinstance(value, dict):
                allowed = set(parameters(test.group(1))) - {"model"}
                problems += [f"{key}: {arg} is not a parameter of the test"
                             for arg in (value.get("arguments") or {}) if arg not in allowed]
        if "treatment" in node:
            treatment = node["treatment"]
            if treatment not in treatments:
                problems.append(f"treatment {treatment!r} is not in the policy vocabulary")
            else:
                problems += [f"treatment {treatment}: {arg} is not one of its arguments"
                             for arg in node.get("treatment_args") or {} if arg not in treatments[treatment]["args"]]
        for key, check in (("pii", pii_value), ("privacy_tier", tier_value)):
            try:
                check(node.get(key))
            except DeclarationError as error:
                problems.append(f"{key}: {error}")
        if isinstance(node.get("vars"), dict):
            problems += [f"var {var} is not read by pii_guard" for var in node["vars"]
                         if str(var).startswith("pii_guard") and var not in read_by_pii_guard()]
        if "module" in node and importlib.util.find_spec(str(node["module"])) is None:
            problems.append(f"plugin module {node['module']} does not import")
    return problems


# --- sql ----------------------------------------------------------------

CALL = re.compile(r"\{\{\s*(pii_guard\.\w+\(.*?\))\s*\}\}", re.S)
RELATION_ARGUMENT = re.compile(r"\b(?:ref|source)\(")


class _Stand:
    """Stands for pii_guard's namespace while parsing: any macro, any call."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: f"pii_guard_{name}(x)"


def render_with_stand_ins(text: str) -> str:
    """The block with dbt's Jinja replaced by plain SQL names."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    template = environment.from_string(text)
    return template.render(
        pii_guard=_Stand(),
        ref=lambda *names: "_".join(names),
        source=lambda source, table: f"{source}_{table}",
        this="this_relation",
    )


def sql_problems(text: str, compile_sql: Compile, marked: bool) -> list[str]:
    problems = name_problems(text)
    try:
        rendered = render_with_stand_ins(text)
        statement = rendered.strip()
        # A bare expression (one macro call) is parsed as the select item it stands for.
        is_query = statement.lower().startswith(("select", "with", "--"))
        sqlglot.parse(statement if is_query else f"select {statement}", read="duckdb")
    except (jinja2.TemplateError, sqlglot.errors.ParseError) as error:
        problems.append(f"does not parse as SQL: {str(error).splitlines()[0]}")
    calls = CALL.findall(text)
    over_relations = [call for call in calls if RELATION_ARGUMENT.search(call)]
    if over_relations and not marked:
        problems.append(f"{over_relations[0]} reads a relation's yml: run it in a project, or mark the block")
    standalone = [call for call in calls if not RELATION_ARGUMENT.search(call)]
    if standalone and not problems:
        select = "select " + ", ".join(f"{{{{ {call} }}}} as c{n}" for n, call in enumerate(standalone))
        error = compile_sql(select)
        if error is not None:
            problems.append(f"does not compile: {error.splitlines()[-1]}")
    return problems


# --- shell ----------------------------------------------------------------

@cache
def subcommands() -> dict[str, Any]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return dict(action.choices)


def _pii_guard_problem(argv: list[str]) -> str | None:
    """argparse's complaint about `pii-guard argv`, or None when it parses."""
    with contextlib.redirect_stderr(io.StringIO()) as stderr, contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                return f"pii-guard {' '.join(argv)}: {stderr.getvalue().strip().splitlines()[-1]}"
    return None


@cache
def dbt_commands() -> dict[str, set[str]]:
    """dbt's commands and each one's option names."""
    from dbt.cli.main import cli

    return {name: {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
            for name, command in cli.commands.items()}


@cache
def extras() -> set[str]:
    return set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"])


@cache
def make_targets() -> set[str]:
    return set(re.findall(r"^([\w.-]+):", (REPO / "Makefile").read_text(), re.M))


def command_problems(argv: list[str]) -> list[str]:
    """What is wrong with one documented command line (split into words)."""
    program, args = argv[0], argv[1:]
    if program == "pii-guard":
        problem = _pii_guard_problem(args)
        return [problem] if problem else []
    if program == "dbt":
        command = args[0] if args else ""
        if command not in dbt_commands():
            return [f"dbt {command}: no such dbt command"]
        problems = [f"dbt {command}: no option {word}" for word in args[1:]
                    if word.startswith("-") and word.split("=")[0] not in dbt_commands()[command]]
        if command == "run-operation":
            problems += name_problems(args[1])
        return problems
    if program == "pip":
        named = {extra for word in args for group in re.findall(r"\[([\w,]+)\]", word) for extra in group.split(",")}
        return [f"pip: no extra {extra} in pyproject.toml" for extra in sorted(named - extras())]
    if program == "make":
        return [f"make: no target {target}" for target in args if target not in make_targets()]
    if program in PLAIN_COMMANDS:
        return []
    return [f"{program}: not a command the docs may name"]


def shell_problems(text: str) -> list[str]:
    problems = name_problems(text)
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip().removeprefix("$ ")
        try:
            words = shlex.split(line, comments=True)
        except ValueError as error:
            problems.append(f"{line}: {error}")
            continue
        command: list[str] = []
        for word in [*words, "&&"]:
            if word in {"&&", "||", ";", "|"}:
                if command:
                    problems += command_problems(command)
                command = []
            else:
                command.append(word.strip("()") if word.startswith("(") or word.endswith(")") else word)
    return problems


def usage_problems(text: str) -> list[str]:
    problems = []
    for synopsis in re.split(r"\n(?=pii-guard )", text.strip()):
        words = synopsis.split()
        assert words[0] == "pii-guard", synopsis
        parser = subcommands().get(words[1])
        if parser is None:
            problems.append(f"pii-guard {words[1]}: no such subcommand")
            continue
        options = {opt: action for action in parser._actions for opt in action.option_strings}
        for flag, choices in re.findall(r"(--[\w-]+)(?:\s+\{([\w,]+)\}|\s+(?:[\w|]+))?", synopsis):
            if flag not in options:
                problems.append(f"pii-guard {words[1]}: no option {flag}")
            elif choices and set(choices.split(",")) != set(options[flag].choices or ()):
                problems.append(f"pii-guard {words[1]} {flag}: choices {choices} are not {options[flag].choices}")
    return problems


# --- one block ------------------------------------------------------------

def block_problems(block: Block, compile_sql: Compile) -> list[str]:
    """Everything wrong with one block; [] when it checks out."""
    marked = block.marker is not None
    if marked and not re.fullmatch(r"not run, \S.*", block.marker):
        return [f"marker {block.marker!r} is not 'not run, <reason>'"]
    if block.lang in {"yaml", "yml"}:
        return yaml_problems(block.text)
    if block.lang == "sql":
        return sql_problems(block.text, compile_sql, marked)
    if block.lang in {"sh", "bash"}:
        return name_problems(block.text) if marked else shell_problems(block.text)
    if block.lang == "usage":
        return usage_problems(block.text)
    if block.lang == "json":
        try:
            json.loads(block.text)
        except json.JSONDecodeError as error:
            return [f"is not JSON: {error}"]
        return []
    if block.lang == "csv":
        rows = list(csv.reader(io.StringIO(block.text)))
        return [f"row {n} has {len(row)} fields, the header {len(rows[0])}"
                for n, row in enumerate(rows[1:], 2) if len(row) != len(rows[0])]
    if block.lang == "text":
        return [problem for line in block.text.splitlines() if line.startswith("$ ")
                for problem in shell_problems(line)]
    if marked:
        return name_problems(block.text)
    return [f"a block of unknown kind {block.lang!r}: give it one of {sorted(KINDS)}, or mark it "
            "<!-- example: not run, <reason> -->"]


BLOCKS = all_blocks()


def test_every_fenced_block_is_extracted():
    """Counted independently of the extractor: each block has two fence lines."""
    fences = sum(len(re.findall(r"^ *```", path.read_text(), re.M)) for path in DOCS)
    assert fences == 2 * len(BLOCKS)
    kinds = Counter(block.lang for block in BLOCKS)
    assert set(kinds) <= KINDS, kinds
    # Each kind is there: the checks below are not vacuous.
    assert {kind for kind in KINDS if kinds[kind]} >= {"yaml", "sql", "sh", "usage", "json", "csv", "text"}, kinds


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: f"{block.where}-{block.lang or 'none'}")
def test_each_docs_example_checks_out(block, compile_inline):
    assert block_problems(block, compile_inline) == []


GOOD_AND_BROKEN = {
    "yaml does not parse": ("yaml", "models:\n  - name: a\n    x: [1\n", "does not parse"),
    "yaml names a missing test": ("yaml", "data_tests: [pii_guard.k_anonimity]\n",
                                  "pii_guard.k_anonimity is no macro or test of macros/"),
    "yaml test argument": ("yaml", "data_tests:\n  - pii_guard.k_anonymity:\n      arguments: {quasi_identifier: [a], k: 2}\n",
                           "pii_guard.k_anonymity: quasi_identifier is not a parameter of the test"),
    "yaml treatment": ("yaml", "config: {meta: {pii: true, treatment: hash_mail}}\n",
                       "treatment 'hash_mail' is not in the policy vocabulary"),
    "yaml treatment argument": ("yaml", "meta: {pii: true, treatment: mask_phone, treatment_args: {keep: 2}}\n",
                                "treatment mask_phone: keep is not one of its arguments"),
    "yaml pii spelling": ("yaml", "meta: {pii: sure}\n", 'pii: "sure" is not one of'),
    "yaml tier": ("yaml", "+meta: {privacy_tier: public}\n", 'privacy_tier: "public" is not safe or restricted'),
    "yaml var": ("yaml", "vars:\n  pii_guard_alow: []\n", "var pii_guard_alow is not read by pii_guard"),
    "yaml plugin": ("yaml", "plugins:\n  - module: pii_guard.duckdb_plugn\n", "pii_guard.duckdb_plugn is no macro"),
    "sql bad argument": ("sql", "select {{ pii_guard.hash_pii(['email']) }} as h\n", "does not compile"),
    "sql missing macro": ("sql", "select {{ pii_guard.hash_pi('email') }} as h\n", "pii_guard.hash_pi is no macro"),
    "sql syntax": ("sql", "select {{ pii_guard.hash_pii('email') }} as h from from\n", "does not parse as SQL"),
    "sql over a relation, unmarked": ("sql", "select {{ pii_guard.protected_select(ref('people')) }}\n"
                                      "from {{ ref('people') }}\n", "reads a relation's yml"),
    "sh renamed flag": ("sh", "pii-guard check --no-catalogue\n", "unrecognized arguments: --no-catalogue"),
    "sh missing subcommand": ("sh", "pii-guard verify\n", "invalid choice: 'verify'"),
    "sh dbt flag": ("sh", "dbt build --fulll-refresh\n", "dbt build: no option --fulll-refresh"),
    "sh dbt command": ("sh", "dbt biuld\n", "dbt biuld: no such dbt command"),
    "sh pip extra": ("sh", 'pip install -e "./pii_guard[duckbd]"\n', "pip: no extra duckbd"),
    "sh make target": ("sh", "make tests\n", "make: no target tests"),
    "sh unknown program": ("sh", "curl https://example.com/x | sh\n", "curl: not a command the docs may name"),
    "usage flag": ("usage", "pii-guard check [--project-dir DIR] [--formats text]\n", "no option --formats"),
    "usage choices": ("usage", "pii-guard check [--format {text,json,xml}]\n", "choices text,json,xml"),
    "json": ("json", '{"a": 1,}\n', "is not JSON"),
    "csv": ("csv", "a,b\n1,2,3\n", "row 2 has 3 fields, the header 2"),
    "text command": ("text", "$ pii-guard explan a.b\nout\n", "invalid choice: 'explan'"),
    "unknown kind": ("python", "print(1)\n", "a block of unknown kind 'python'"),
    "untagged": ("", "anything\n", "a block of unknown kind ''"),
}


@pytest.mark.parametrize("case", list(GOOD_AND_BROKEN))
def test_a_broken_example_fails(case, compile_inline):
    lang, text, expected = GOOD_AND_BROKEN[case]
    problems = block_problems(Block("broken.md", 1, lang, text, "", None), compile_inline)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("marker, expected", [
    ("not run, needs Snowflake", []),
    ("not run,", ["marker 'not run,' is not 'not run, <reason>'"]),
    ("skip", ["marker 'skip' is not 'not run, <reason>'"]),
])
def test_a_marked_block_needs_a_reason(marker, expected, compile_inline):
    block = Block("marked.md", 1, "python", "print(1)\n", "", marker)
    assert block_problems(block, compile_inline) == expected


def test_a_marked_block_is_still_name_checked(compile_inline):
    block = Block("marked.md", 1, "sql", "select {{ pii_guard.protected_selec(ref('p')) }} from {{ ref('p') }}\n",
                  "", "not run, reads the yml above")
    assert block_problems(block, compile_inline) == ["pii_guard.protected_selec is no macro or test of macros/"]
