"""Stage 6: findings, and the four ways to print them (text, json, sarif, html).

A violation is an output column of a safe model that carries PII from an
origin along a path with no protecting transform. One per (model, column,
origin). Unresolved models are listed with their reason, never assumed clean.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from typing import TYPE_CHECKING

from pii_guard.lineage.project import Project
from pii_guard.lineage.propagate import UNKNOWN, path_to
from pii_guard.plural import counted

if TYPE_CHECKING:
    from pii_guard.lineage.pipeline import TracedProject


@dataclass
class Violation:
    model: str
    column: str
    source: str
    path: list[str]
    transforms: list[str]
    reason: str
    file: str = ""
    accepted: str | None = None
    # The dbt project of each hop of `path`, when the check spans several (mesh.py); else empty.
    projects: list[str] = field(default_factory=list)

    def hops(self) -> list[str]:
        """The path's hops as printed: each with its project when there are several.

        >>> Violation("m", "c", "s.e", ["s.e", "m.c"], ["direct"], "", projects=["p", "c"]).hops()
        ['s.e [p]', 'm.c [c]']
        """
        return [f"{hop} [{name}]" for hop, name in zip(self.path, self.projects)] if self.projects else self.path


@dataclass
class Unresolved:
    model: str
    reason: str
    file: str = ""
    accepted: str | None = None


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    accepted: list[Violation] = field(default_factory=list)
    accepted_unresolved: list[Unresolved] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    # Declarations that leave models unchecked; printed on stderr, never change the exit status.
    warnings: list[str] = field(default_factory=list)
    # The checked dbt project and when dbt wrote its manifest (its metadata): the HTML page shows them.
    project: str = ""
    generated_at: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.violations or self.unresolved else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "violations": [asdict(v) for v in self.violations],
            "unresolved": [asdict(u) for u in self.unresolved],
            "accepted": [asdict(a) for a in self.accepted],
            "accepted_unresolved": [asdict(a) for a in self.accepted_unresolved],
            "stats": self.stats,
            "warnings": self.warnings,
        }


def _accepting(project: Project, model: str, column: str | None) -> str | None:
    """The reason of the pii_guard_allow entry that accepts this finding: a
    column's (entry with that column or none), or, with column None, the
    model's being unresolved (entry with `unresolved: true`)."""
    name = model.split(".")[-1]
    for entry in project.allowances:
        if entry["model"] not in (model, name):
            continue
        if column is None and entry.get("unresolved") is True:
            return str(entry["reason"])
        if column is not None and not entry.get("unresolved") and entry.get("column") in (None, column):
            return str(entry["reason"])
    return None


def _why_unresolved(project: Project, traced: TracedProject, uid: str) -> str | None:
    if uid in traced.unresolved:
        return traced.unresolved[uid]
    node = project.nodes[uid]
    if node.tier != "safe":
        return None
    blocked = [p for p in node.depends_on if p in traced.unresolved]
    if blocked:
        # Fail closed: what an unanalysable model passes on is unknown.
        return f"reads {', '.join(blocked)}, which could not be analysed"
    trace = traced.traces[uid]
    for column in sorted(trace.columns):
        for origin in sorted(traced.flows.get((uid, column), {})):
            if origin[1] == UNKNOWN:
                return f"column {column} derives from {origin[0]}, which could not be analysed"
    return None


def build_report(project: Project, traced: TracedProject, selected: set[str] | None = None) -> Report:
    report = Report(project=project.name, generated_at=project.generated_at)
    several_projects = len({node.project for node in project.nodes.values()}) > 1
    for uid in traced.order:
        node = project.nodes[uid]
        if node.resource_type not in ("model", "snapshot") or (selected is not None and uid not in selected):
            continue
        reason = _why_unresolved(project, traced, uid)
        if reason:
            entry = Unresolved(uid, reason, node.path, _accepting(project, uid, None))
            (report.accepted_unresolved if entry.accepted else report.unresolved).append(entry)
            if uid in traced.unresolved:
                continue
        if node.tier != "safe":
            continue
        trace = traced.traces[uid]
        for column in trace.columns:
            for origin in traced.flows.get((uid, column), {}):
                if origin[1] == UNKNOWN:
                    continue
                hops = path_to(traced.flows, (uid, column), origin)
                transforms = [transform for _, transform in hops[1:]]
                weak = [t for t in transforms if t.startswith("weak hash")]
                violation = Violation(
                    model=uid, column=column, source=f"{origin[0]}.{origin[1]}",
                    path=[f"{hop[0]}.{hop[1]}" for hop, _ in hops], transforms=transforms,
                    reason=(f"weak hashing: {weak[0].removeprefix('weak hash ')} is unkeyed and reversible by enumeration"
                            if weak else "PII reaches a safe model without a protecting transform"),
                    file=node.path,
                    projects=[getattr(project.nodes.get(hop[0]), "project", "") for hop, _ in hops]
                    if several_projects else [],
                )
                accepted = _accepting(project, uid, column)
                if accepted:
                    violation.accepted = accepted
                    report.accepted.append(violation)
                else:
                    report.violations.append(violation)
    models = [n for n in project.nodes.values() if n.resource_type in ("model", "snapshot")
              and (selected is None or n.unique_id in selected)]
    report.stats = {
        "models": len(models),
        "safe_models": sum(1 for n in models if n.tier == "safe"),
        "traced_columns": sum(len(t.columns) for t in traced.traces.values()),
        "pii_columns": len(traced.flows),
        "violations": len(report.violations),
        "unresolved": len(report.unresolved),
        "accepted": len(report.accepted) + len(report.accepted_unresolved),
        **traced.stats,
    }
    return report


_MODES = {"catalog": "catalog.json, then yml declarations, seed files and compiled SQL",
          "declarations": "yml declarations, seed files and compiled SQL (no catalog.json)"}


def as_text(report: Report) -> str:
    lines = []
    for v in report.violations:
        lines.append(f"VIOLATION {v.model}.{v.column} <- {v.source}: {v.reason}")
        lines.append("    path: " + " -> ".join(v.hops()))
    for a in report.accepted:
        lines.append(f"accepted  {a.model}.{a.column} <- {a.source} ({a.accepted})")
    for u in report.accepted_unresolved:
        lines.append(f"accepted  unresolved {u.model}: {u.reason} ({u.accepted})")
    for u in report.unresolved:
        lines.append(f"UNRESOLVED {u.model}: {u.reason}")
    s = report.stats
    lines.append(f"columns from {_MODES[s['mode']]}; {counted(s['relations_without_columns'], 'relation')} read "
                 "with no known columns")
    lines.append(summary(s))
    return "\n".join(lines) + "\n"


def summary(stats: dict[str, Any]) -> str:
    """The last line of the text report, and the HTML page's summary.

    >>> summary({"models": 1, "safe_models": 1, "traced_columns": 2, "violations": 1, "unresolved": 0, "accepted": 0})
    '1 model (1 safe), 2 columns traced: 1 violation, 0 unresolved, 0 accepted'
    """
    return (f"{counted(stats['models'], 'model')} ({stats['safe_models']} safe), "
            f"{counted(stats['traced_columns'], 'column')} traced: {counted(stats['violations'], 'violation')}, "
            f"{stats['unresolved']} unresolved, {stats['accepted']} accepted")


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def as_sarif(report: Report) -> str:
    rules = [
        {"id": "pii-in-safe-model", "shortDescription": {"text": "PII reaches a safe model"}},
        {"id": "weak-hashing", "shortDescription": {"text": "PII hashed without a key reaches a safe model"}},
        {"id": "unresolved-model", "shortDescription": {"text": "Model could not be analysed"}},
    ]
    results = []
    for v in report.violations:
        results.append({
            "ruleId": "weak-hashing" if v.reason.startswith("weak") else "pii-in-safe-model",
            "level": "error",
            "message": {"text": f"{v.model}.{v.column} <- {v.source}: {v.reason}. Path: {' -> '.join(v.hops())}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": v.file}}}],
        })
    for u in report.unresolved:
        results.append({
            "ruleId": "unresolved-model", "level": "error",
            "message": {"text": f"{u.model}: {u.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": u.file}}}],
        })
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "pii-guard", "rules": rules}}, "results": results}],
    }
    return json.dumps(sarif, indent=2) + "\n"


# The boxes of a path: where the PII starts, the columns it passes through, the safe model's column it reaches.
HOP_COLOURS = {"origin": "#fde2e1", "through": "#eef2f7", "reached": "#ffd7a8"}
# Each kind of finding: its colour on the page, and what it means.
STATUSES = {
    "violation": ("#b3261e", "PII reaches a column of a safe model without a protecting transform: "
                             "the check fails."),
    "weak hashing": ("#b3261e", "PII hashed without a key (md5, sha256, ...) reaches a safe model: anyone can "
                                "hash a list of candidates and compare, so the check fails."),
    "unresolved": ("#8a5a00", "A model the checker cannot analyse, or one that reads such a model: never "
                              "assumed clean, so the check fails."),
    "accepted": ("#2e6b30", "A finding a pii_guard_allow entry of dbt_project.yml accepts, with its reason: "
                            "listed, and the check does not fail on it."),
}


def _path_svg(violation: Violation) -> str:
    """One violation's path, left to right, as inline SVG: no scripts, no network."""
    box_w, box_h, gap = 230, 44, 50
    width = len(violation.path) * (box_w + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{box_h + 40}" role="img">']
    for i, hop in enumerate(violation.path):
        x = i * (box_w + gap)
        uid, _, column = hop.rpartition(".")
        fill = HOP_COLOURS["origin" if i == 0 else ("reached" if i == len(violation.path) - 1 else "through")]
        parts.append(f'<rect x="{x}" y="8" width="{box_w}" height="{box_h}" rx="6" fill="{fill}" stroke="#556"/>')
        parts.append(f'<text x="{x + 8}" y="26" font-size="11">{html.escape(uid.split(".", 1)[-1])}</text>')
        parts.append(f'<text x="{x + 8}" y="44" font-size="13" font-weight="bold">{html.escape(column)}</text>')
        if i:
            label = html.escape(violation.transforms[i - 1])
            parts.append(f'<line x1="{x - gap}" y1="30" x2="{x - 4}" y2="30" stroke="#556" marker-end="url(#arrow)"/>')
            parts.append(f'<text x="{x - gap + 2}" y="72" font-size="10">{label}</text>')
    parts.insert(1, '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
                    '<path d="M0,0 L8,4 L0,8 z" fill="#556"/></marker></defs>')
    parts.append("</svg>")
    return "".join(parts)


def _status(name: str) -> str:
    return f"<span class='status' style='background:{STATUSES[name][0]}'>{name}</span>"


def _legend() -> str:
    """What each status, box colour and edge label of the page means."""
    statuses = "".join(f"<dt>{_status(name)}</dt><dd>{html.escape(meaning)}</dd>"
                       for name, (_, meaning) in STATUSES.items())
    boxes = {"origin": "the declared PII column the path starts from",
             "through": "a column of a model the PII passes through",
             "reached": "the column of the safe model that the PII reaches"}
    hops = "".join(f"<dt><span class='swatch' style='background:{HOP_COLOURS[kind]}'></span>{kind}</dt>"
                   f"<dd>{meaning}</dd>" for kind, meaning in boxes.items())
    return ("<section class='legend'><h2>Legend</h2><dl>" + statuses + hops
            + "<dt>edge label</dt><dd>what the step does to the value: <code>direct</code> (copied or computed "
              "from it), <code>equal via</code> a join condition, <code>weak hash</code> and the function</dd>"
            + "</dl></section>")


def _header(report: Report) -> str:
    """The project checked, and when dbt wrote the manifest: the page says what it is about, and the
    same manifest always gives the same page (no clock is read)."""
    project = f"<b>{html.escape(report.project)}</b>" if report.project else "not named in the manifest"
    written = (f"<time datetime='{html.escape(report.generated_at)}'>{html.escape(report.generated_at)}</time>"
               if report.generated_at else "not recorded in the manifest")
    return (f"<p class='meta'>dbt project: {project}<br>Manifest written by dbt at: {written} "
            "(its metadata.generated_at, in UTC: when the dbt command that wrote it ran, "
            "not when this page was made)</p>")


def as_html(report: Report) -> str:
    s = report.stats
    rows = []
    for v in report.violations:
        status = "weak hashing" if v.reason.startswith("weak") else "violation"
        rows.append(f"<section><h2>{_status(status)} {html.escape(v.model)}.<code>{html.escape(v.column)}</code></h2>"
                    f"<p>{html.escape(v.reason)}. Origin: <code>{html.escape(v.source)}</code></p>"
                    f"<div class='path'>{_path_svg(v)}</div></section>")
    unresolved = "".join(f"<li>{_status('unresolved')} <code>{html.escape(u.model)}</code>: {html.escape(u.reason)}</li>"
                         for u in report.unresolved)
    accepted = "".join(f"<li>{_status('accepted')} <code>{html.escape(f'{a.model}.{a.column}')}</code> &lt;- "
                       f"<code>{html.escape(a.source)}</code>: {html.escape(str(a.accepted))}</li>"
                       for a in report.accepted)
    accepted += "".join(f"<li>{_status('accepted')} <code>{html.escape(u.model)}</code> unresolved: "
                        f"{html.escape(u.reason)}: {html.escape(str(u.accepted))}</li>"
                        for u in report.accepted_unresolved)
    title = "pii-guard check" + (f": {report.project}" if report.project else "")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}section{border-top:1px solid #ccc;padding:.5em 0}"
        ".path{overflow-x:auto}code{background:#f4f4f4;padding:0 .2em}"
        ".status{color:#fff;border-radius:3px;padding:0 .4em;font-size:.8em;font-weight:normal}"
        ".swatch{display:inline-block;width:1.4em;height:.9em;border:1px solid #556;border-radius:3px;"
        "margin-right:.4em;vertical-align:middle}dl{display:grid;grid-template-columns:max-content auto;gap:.3em 1em}"
        "dd{margin:0}.meta{color:#444}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{_header(report)}<p><b>{html.escape(summary(s))}.</b></p>"
        + _legend()
        + "".join(rows)
        + (f"<h2>Unresolved</h2><ul>{unresolved}</ul>" if unresolved else "")
        + (f"<h2>Accepted</h2><ul>{accepted}</ul>" if accepted else "")
        + "</body></html>\n"
    )


FORMATTERS = {"text": as_text, "json": as_json, "sarif": as_sarif, "html": as_html}
