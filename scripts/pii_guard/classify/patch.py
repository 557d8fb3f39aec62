"""Stage 5: the yml patch declaring the proposals, as a unified diff.

The user's files are read, never written: the patch inserts lines into
their text (comments, order and spacing kept), found through PyYAML's node
positions rather than a re-dumped YAML. Per column:

- listed in the yml, with no config or meta: a line ``config: {meta: {...}}``
  right after its ``- name:`` line;
- not listed: a ``- name: <column>`` entry appended to ``columns:`` (or a
  ``columns:`` key added after the table's or model's ``name:``);
- a relation no yml declares: a new file beside its .sql/.csv.

Any other shape (a column that already has config or meta, flow-style
mappings, a yml that does not parse) gets a note naming the column instead
of a guess.

>>> text = "models:\\n  - name: m  # mine\\n    columns:\\n      - name: a\\n"
>>> edited, notes = edit_yml(text, [("model", None, "m", {"a": {"pii": False}, "b": {"pii": False}})])
>>> print(edited, end="")
models:
  - name: m  # mine
    columns:
      - name: a
        config: {meta: {pii: false}}
      - name: b
        config: {meta: {pii: false}}
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

SECTIONS = {"model": "models", "seed": "seeds", "snapshot": "snapshots", "source": "sources"}
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}
# Mappings a merge adds keys to; any other key's value is replaced.
MERGED_KEYS = {"config", "meta"}

# (resource_type, source name or None, table/model name, {column: meta}) for one relation.
Entity = tuple[str, str | None, str, dict[str, dict[str, Any]]]


@dataclass
class Patch:
    """The unified diff (possibly empty) and notes on columns it could not place."""

    diff: str = ""
    notes: list[str] = field(default_factory=list)


def scalar(value: object) -> str:
    """A YAML flow scalar: plain when that reads back as the same string.

    >>> scalar("email"), scalar("yes"), scalar("Zip Code"), scalar(True)
    ('email', '"yes"', '"Zip Code"', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if PLAIN.fullmatch(text) and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text)


def flow(mapping: dict[str, Any]) -> str:
    """
    >>> flow({"meta": {"pii": True, "pii_type": "birth_date", "treatment_args": {"grain": "year"}}})
    '{meta: {pii: true, pii_type: birth_date, treatment_args: {grain: year}}}'
    """
    return "{" + ", ".join(f"{scalar(k)}: {flow_value(v)}" for k, v in mapping.items()) + "}"


def flow_value(value: object) -> str:
    """A mapping, list or scalar in YAML flow style.

    >>> flow_value(["a.b", "c"])
    '["a.b", c]'
    """
    if isinstance(value, dict):
        return flow(value)
    if isinstance(value, list):
        return "[" + ", ".join(flow_value(v) for v in value) + "]"
    return scalar(value)


def _get(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _named(sequence: yaml.Node | None, name: str) -> yaml.MappingNode | None:
    """The mapping in `sequence` whose name is `name` (any case)."""
    if not isinstance(sequence, yaml.SequenceNode):
        return None
    for item in sequence.value:
        found = _get(item, "name")
        if found and isinstance(found[1], yaml.ScalarNode) and found[1].value.lower() == name.lower():
            return item  # type: ignore[return-value]
    return None


def _last_line(node: yaml.Node) -> int:
    """The last line (0-based) holding any of the node's text."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return max(_last_line(part) for pair in node.value for part in pair)
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return max(_last_line(item) for item in node.value)
    end = node.end_mark
    return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line


def _entity_node(root: yaml.Node, kind: str, source: str | None, name: str) -> yaml.MappingNode | None:
    section = _get(root, SECTIONS[kind])
    if section is None:
        return None
    if kind == "source":
        holder = _named(section[1], source or "")
        tables = _get(holder, "tables")
        return _named(tables[1], name) if tables else None
    return _named(section[1], name)


def _block(node: yaml.Node | None) -> bool:
    return isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style


def _dash_indent(lines: list[str], item: yaml.Node) -> int | None:
    """The column of the `-` before a block sequence item starting on its line."""
    before = lines[item.start_mark.line][:item.start_mark.column]
    match = re.fullmatch(r"(\s*)-\s+", before)
    return len(match.group(1)) if match else None


def _column_entry(dash: int, name: str, meta: dict[str, Any]) -> list[str]:
    return [" " * dash + f"- name: {scalar(name)}", " " * (dash + 2) + f"config: {flow({'meta': meta})}"]


def _one_line(node: yaml.Node) -> bool:
    return node.start_mark.line == node.end_mark.line


def _merge_edits(lines: list[str], node: yaml.Node, values: dict[str, Any]) -> list[tuple[int, int, list[str]]] | None:
    """Edits (first line, line after the last, new lines) that set each of
    `values` in the mapping `node`: a key under `config` or `meta` is merged
    into, any other replaced. A flow mapping on one line is written again
    whole; None for a shape this does not edit (a flow mapping on more lines)."""
    if isinstance(node, yaml.MappingNode) and node.flow_style:
        if not _one_line(node):
            return None
        line = lines[node.start_mark.line]
        current = yaml.safe_load(line[node.start_mark.column:node.end_mark.column]) or {}
        merged = _merged(current, values)
        return [(node.start_mark.line, node.start_mark.line + 1,
                 [line[:node.start_mark.column] + flow(merged) + line[node.end_mark.column:]])]
    if not _block(node) or not isinstance(node, yaml.MappingNode):
        return None
    indent = node.value[0][0].start_mark.column
    edits: list[tuple[int, int, list[str]]] = []
    for key, value in values.items():
        found = _get(node, key)
        written = f"{scalar(key)}: {flow_value(value)}"
        if found is None:
            edits.append((_last_line(node) + 1, _last_line(node) + 1, [" " * indent + written]))
        elif key in MERGED_KEYS and isinstance(value, dict) and isinstance(found[1], yaml.MappingNode):
            inner = _merge_edits(lines, found[1], value)
            if inner is None:
                return None
            edits += inner
        elif yaml.safe_load(yaml.serialize(found[1])) != value:
            edits.append((found[0].start_mark.line, _last_line(found[1]) + 1, [" " * indent + written]))
    return edits


def _merged(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in values.items():
        if key in MERGED_KEYS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def edit_yml(text: str, entities: list[Entity], merge: bool = False) -> tuple[str, list[str]]:
    """`text` with the declarations of `entities` inserted, and notes on
    columns it could not place (those are left out of the text). With
    `merge`, a column's existing config (or meta) gets the meta merged in
    rather than a note."""
    notes: list[str] = []
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        for kind, source, name, columns in entities:
            notes += [f"{_label(source, name)}.{c}: its yml does not parse as YAML{where}; declare it by hand"
                      for c in columns]
        return text, notes
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    inserts: list[tuple[int, int, list[str], int]] = []  # (first line, order, lines, line after the replaced)
    for kind, source, name, columns in entities:
        entity = _entity_node(root, kind, source, name) if root is not None else None
        label = _label(source, name)
        if entity is None or not _block(entity):
            notes += [f"{label}.{c}: could not find its entry in the yml as a block mapping; declare it by hand"
                      for c in columns]
            continue
        name_key, name_value = _get(entity, "name")  # type: ignore[misc]
        key_indent = name_key.start_mark.column
        listed = _get(entity, "columns")
        missing: list[str] = []
        for column, meta in columns.items():
            item = _named(listed[1], column) if listed else None
            if item is None:
                missing.append(column)
                continue
            existing = _get(item, "config") or _get(item, "meta")
            edits = _merge_edits(lines, existing[1], meta if existing[0].value == "meta" else {"meta": meta}) \
                if merge and existing and _block(item) else None
            if edits is not None:
                inserts += [(first, len(inserts), added, end) for first, end, added in edits]
                continue
            if not _block(item) or existing:
                notes.append(f"{label}.{column}: its yml entry already has config or meta (or is flow style); "
                             f"add {flow({'meta': meta})} to it by hand")
                continue
            column_key = _get(item, "name")[0]  # type: ignore[index]
            line = _last_line(_get(item, "name")[1]) + 1  # type: ignore[index]
            inserts.append((line, len(inserts), [" " * column_key.start_mark.column + f"config: {flow({'meta': meta})}"],
                            line))
        if not missing:
            continue
        if listed is None:
            added = [" " * key_indent + "columns:"]
            for column in missing:
                added += _column_entry(key_indent + 2, column, columns[column])
            inserts.append((_last_line(name_value) + 1, len(inserts), added, _last_line(name_value) + 1))
        elif isinstance(listed[1], yaml.SequenceNode) and not listed[1].flow_style and listed[1].value \
                and (dash := _dash_indent(lines, listed[1].value[0])) is not None:
            added = [entry for column in missing for entry in _column_entry(dash, column, columns[column])]
            inserts.append((_last_line(listed[1]) + 1, len(inserts), added, _last_line(listed[1]) + 1))
        else:
            notes += [f"{label}.{c}: its yml's columns: is empty or flow style; add `- name: {c}` with "
                      f"config: {flow({'meta': columns[c]})} by hand" for c in missing]
    at_end = any(before >= len(lines) for before, _, _, _ in inserts)
    for before, _, added, end in sorted(inserts, reverse=True):
        lines[before:end] = added
    # Lines added at the end of a file that lacked its last newline end with one.
    ending = newline if text.endswith(("\n", "\r")) or at_end else ""
    return newline.join(lines) + ending, notes


def _label(source: str | None, name: str) -> str:
    return f"{source}.{name}" if source else name


def new_yml(kind: str, name: str, columns: dict[str, dict[str, Any]]) -> str:
    """A new yml file declaring one model, seed or snapshot's columns.

    >>> print(new_yml("model", "orders_daily", {"order_day": {"pii": False}}), end="")
    version: 2
    <BLANKLINE>
    models:
      - name: orders_daily
        columns:
          - name: order_day
            config: {meta: {pii: false}}
    """
    lines = ["version: 2", "", f"{SECTIONS[kind]}:", f"  - name: {scalar(name)}", "    columns:"]
    for column, meta in columns.items():
        lines += _column_entry(6, column, meta)
    return "\n".join(lines) + "\n"


def unified(path: str, before: str | None, after: str) -> str:
    """A `patch -p1` / `git apply` diff of one file (`before` None: a new file).

    >>> print(unified("m.yml", "a\\nb", "a\\nb\\nc\\n"), end="")
    --- a/m.yml
    +++ b/m.yml
    @@ -1,2 +1,3 @@
     a
    -b
    \\ No newline at end of file
    +b
    +c
    """
    old = (before or "").splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    fromfile = f"a/{path}" if before is not None else "/dev/null"
    out = []
    for line in difflib.unified_diff(old, new, fromfile=fromfile, tofile=f"b/{path}"):
        if line.startswith(("---", "+++")):
            line = line.rstrip() + "\n"
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def yml_patch(project_dir: Path, by_file: dict[str | None, list[Entity]],
              code_paths: dict[tuple[str, str], str], merge: bool = False) -> Patch:
    """The diff for every yml file (key None: relations without yml, placed
    in a new file beside their code, `code_paths[(kind, name)]`)."""
    patch = Patch()
    diffs: list[str] = []
    for path in sorted(p for p in by_file if p is not None):
        file = project_dir / path
        try:
            before = file.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            patch.notes += [f"{_label(s, n)}.{c}: cannot read {path} ({reason}); declare it by hand"
                            for _, s, n, cols in by_file[path] for c in cols]
            continue
        after, notes = edit_yml(before, by_file[path], merge)
        patch.notes += notes
        if after != before:
            diffs.append(unified(path, before, after))
    for kind, _, name, columns in by_file.get(None, []):
        folder = PurePosixPath(code_paths.get((kind, name), "models/x")).parent
        path = str(folder / f"{name}.yml")
        if (project_dir / path).exists():
            patch.notes += [f"{name}.{c}: no yml declares {name}, and {path} exists already; declare it by hand"
                            for c in columns]
            continue
        diffs.append(unified(path, None, new_yml(kind, name, columns)))
    patch.diff = "".join(diffs)
    return patch
