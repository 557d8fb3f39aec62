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

from pii_guard.lineage.project import Project
from pii_guard.lineage.propagate import Flows, path_to
from pii_guard.lineage.trace import ModelTrace


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


@dataclass
class Unresolved:
    model: str
    reason: str
    file: str = ""


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    accepted: list[Violation] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.violations or self.unresolved else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "violations": [asdict(v) for v in self.violations],
            "unresolved": [asdict(u) for u in self.unresolved],
            "accepted": [asdict(a) for a in self.accepted],
            "stats": self.stats,
        }


def _accepting(project: Project, model: str, column: str) -> str | None:
    name = model.split(".")[-1]
    for entry in project.allowances:
        if entry["model"] in (model, name) and entry.get("column") in (None, column):
            return str(entry["reason"])
    return None


def build_report(project: Project, traces: dict[str, ModelTrace], flows: Flows, order: list[str]) -> Report:
    report = Report()
    unresolved_ids: set[str] = set()
    for uid in order:
        node = project.nodes[uid]
        if node.resource_type not in ("model", "snapshot"):
            continue
        trace = traces.get(uid)
        blocked = [p for p in node.depends_on if p in unresolved_ids]
        reason = None
        if node.language != "sql":
            reason = f"a {node.language} model cannot be analysed"
        elif blocked and (node.tier == "safe" or trace is None or trace.unresolved):
            # Fail closed: what an unanalysable model passes on is unknown.
            reason = f"reads {', '.join(blocked)}, which could not be analysed"
        elif trace is None or trace.unresolved:
            reason = trace.unresolved if trace else "no compiled SQL in the manifest"
        if reason:
            unresolved_ids.add(uid)
            report.unresolved.append(Unresolved(uid, reason, node.path))
            continue
        if node.tier != "safe":
            continue
        for column in trace.columns:
            for origin in flows.get((uid, column), {}):
                hops = path_to(flows, (uid, column), origin)
                transforms = [transform for _, transform in hops[1:]]
                weak = [t for t in transforms if t.startswith("weak hash")]
                violation = Violation(
                    model=uid, column=column, source=f"{origin[0]}.{origin[1]}",
                    path=[f"{hop[0]}.{hop[1]}" for hop, _ in hops], transforms=transforms,
                    reason=(f"weak hashing: {weak[0].removeprefix('weak hash ')} is unkeyed and reversible by enumeration"
                            if weak else "PII reaches a safe model without a protecting transform"),
                    file=node.path,
                )
                accepted = _accepting(project, uid, column)
                if accepted:
                    violation.accepted = accepted
                    report.accepted.append(violation)
                else:
                    report.violations.append(violation)
    report.stats = {
        "models": sum(1 for n in project.nodes.values() if n.resource_type in ("model", "snapshot")),
        "safe_models": sum(1 for n in project.nodes.values() if n.tier == "safe"),
        "traced_columns": sum(len(t.columns) for t in traces.values()),
        "pii_columns": len(flows),
        "violations": len(report.violations),
        "unresolved": len(report.unresolved),
        "accepted": len(report.accepted),
    }
    return report


def as_text(report: Report) -> str:
    lines = []
    for v in report.violations:
        lines.append(f"VIOLATION {v.model}.{v.column} <- {v.source}: {v.reason}")
        lines.append("    path: " + " -> ".join(v.path))
    for a in report.accepted:
        lines.append(f"accepted  {a.model}.{a.column} <- {a.source} ({a.accepted})")
    for u in report.unresolved:
        lines.append(f"UNRESOLVED {u.model}: {u.reason}")
    s = report.stats
    lines.append(
        f"{s['models']} models ({s['safe_models']} safe), {s['traced_columns']} columns traced: "
        f"{s['violations']} violations, {s['unresolved']} unresolved, {s['accepted']} accepted"
    )
    return "\n".join(lines) + "\n"


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
            "message": {"text": f"{v.model}.{v.column} <- {v.source}: {v.reason}. Path: {' -> '.join(v.path)}"},
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


def _path_svg(violation: Violation) -> str:
    """One violation's path, left to right, as inline SVG: no scripts, no network."""
    box_w, box_h, gap = 230, 44, 50
    width = len(violation.path) * (box_w + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{box_h + 40}" role="img">']
    for i, hop in enumerate(violation.path):
        x = i * (box_w + gap)
        uid, _, column = hop.rpartition(".")
        fill = "#fde2e1" if i == 0 else ("#ffd7a8" if i == len(violation.path) - 1 else "#eef2f7")
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


def as_html(report: Report) -> str:
    s = report.stats
    rows = []
    for v in report.violations:
        rows.append(f"<section><h2>{html.escape(v.model)}.<code>{html.escape(v.column)}</code></h2>"
                    f"<p>{html.escape(v.reason)}. Origin: <code>{html.escape(v.source)}</code></p>"
                    f"<div class='path'>{_path_svg(v)}</div></section>")
    unresolved = "".join(f"<li><code>{html.escape(u.model)}</code>: {html.escape(u.reason)}</li>" for u in report.unresolved)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>pii-guard check</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}section{border-top:1px solid #ccc;padding:.5em 0}"
        ".path{overflow-x:auto}code{background:#f4f4f4;padding:0 .2em}</style></head><body>"
        f"<h1>pii-guard check</h1><p>{s['models']} models ({s['safe_models']} safe): "
        f"<b>{s['violations']} violations</b>, {s['unresolved']} unresolved, {s['accepted']} accepted.</p>"
        + "".join(rows)
        + (f"<h2>Unresolved</h2><ul>{unresolved}</ul>" if unresolved else "")
        + "</body></html>\n"
    )


FORMATTERS = {"text": as_text, "json": as_json, "sarif": as_sarif, "html": as_html}
