"""Stage 6: the classification as text, JSON or the yml patch.

JSON schema (version 1; keys are only ever added):

    {"pii_guard_classify": 1,
     "sampling": {"how": "none|duckdb|profile", "rows_per_relation": int},
     "summary": {"relations": int, "columns": int, "pii": int, "not_pii": int, "not_sampled": int},
     "relations": [{"unique_id": str, "resource_type": str, "relation": "db.schema.table",
                    "yml_path": str|null, "sampled_rows": int|null, "not_sampled": str|null,
                    "proposals": [{"column": str, "pii": bool, "pii_type": str|null,
                                   "treatment": str|null, "treatment_args": object|null,
                                   "confidence": float, "evidence": [str]}]}],
     "patch_notes": [str]}

No sampled value is in any of them: the evidence is counts and shares.

>>> from pii_guard.classify.pipeline import Classification, Sampling
>>> print(render_text(Classification(Sampling())), end="")
pii-guard classify: every column is classified; nothing to propose.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pii_guard.classify.pipeline import Classification

SCHEMA_VERSION = 1


def as_json(result: Classification) -> dict:
    relations = []
    for item in result.results:
        sample = item.sample
        relations.append({
            "unique_id": item.relation.unique_id,
            "resource_type": item.relation.resource_type,
            "relation": item.relation.display,
            "yml_path": item.relation.yml_path,
            "sampled_rows": sample.rows if sample is not None and sample.sampled else None,
            "not_sampled": None if sample is None or sample.sampled else sample.reason,
            "proposals": [{
                "column": p.column, "pii": p.pii, "pii_type": p.pii_type,
                "treatment": (p.treatment or {}).get("treatment"),
                "treatment_args": (p.treatment or {}).get("treatment_args"),
                "confidence": p.confidence, "evidence": p.evidence,
            } for p in item.proposals],
        })
    proposals = result.proposals
    return {
        "pii_guard_classify": SCHEMA_VERSION,
        "sampling": {"how": result.sampling.how,
                     "rows_per_relation": result.sampling.rows if result.sampling.how != "none" else None},
        "summary": {"relations": len(result.results), "columns": len(proposals),
                    "pii": sum(p.pii for p in proposals), "not_pii": sum(not p.pii for p in proposals),
                    "not_sampled": sum(1 for r in result.results if r.sample is not None and not r.sample.sampled)},
        "relations": relations,
        "patch_notes": result.patch.notes,
    }


def render_json(result: Classification) -> str:
    return json.dumps(as_json(result), indent=2) + "\n"


def _proposal_text(pii: bool, pii_type: str | None, treatment: dict | None) -> str:
    if not pii:
        return "pii: false"
    return f"pii: {pii_type} -> {(treatment or {}).get('treatment', '?')}"


def render_text(result: Classification) -> str:
    """One block per relation: column, proposal, confidence, evidence."""
    if not result.results:
        return "pii-guard classify: every column is classified; nothing to propose.\n"
    out: list[str] = []
    for item in result.results:
        sample = item.sample
        if sample is None:
            sampled = "names only"
        elif sample.sampled:
            sampled = f"{sample.rows} rows sampled"
        else:
            sampled = f"not sampled: {sample.reason}"
        out.append(f"{item.relation.unique_id} ({item.relation.yml_path or 'no yml'}; {sampled})")
        rows = [(p.column, _proposal_text(p.pii, p.pii_type, p.treatment), f"{p.confidence:.2f}",
                 "; ".join(p.evidence)) for p in item.proposals]
        widths = [max(len(r[i]) for r in rows + [("column", "proposal", "conf", "")]) for i in range(3)]
        out.append("  " + "  ".join(h.ljust(w) for h, w in zip(("column", "proposal", "conf"), widths)) + "  evidence")
        for row in rows:
            out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
        out.append("")
    data = as_json(result)["summary"]
    out.append(f"{data['columns']} unclassified column(s) in {data['relations']} relation(s): "
               f"{data['pii']} proposed PII, {data['not_pii']} not PII"
               + (f"; {data['not_sampled']} relation(s) not sampled" if data["not_sampled"] else "") + ".")
    for note in result.patch.notes:
        out.append(f"not in the patch: {note}")
    out.append("Review, then `pii-guard classify --format yaml-patch --output pii.patch` and `git apply pii.patch`.")
    return "\n".join(out) + "\n"


def render_patch(result: Classification) -> str:
    """The unified diff, after `#` notes on columns it could not place
    (`git apply` and `patch` skip text before the first file)."""
    notes = [f"# pii-guard classify: not in this patch, declare by hand: {note}\n" for note in result.patch.notes]
    return "".join(notes) + result.patch.diff


FORMATTERS: dict[str, Callable[[Classification], str]] = {
    "text": render_text, "json": render_json, "yaml-patch": render_patch,
}
