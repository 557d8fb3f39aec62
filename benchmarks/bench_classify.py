"""`make bench`: how well `pii-guard classify` proposes, on a labelled set.

benchmarks/classify/labelled_columns.json holds real column names (and up to
50 values each) from public dbt projects' seed files of synthetic data, the
integration project's seeds and hand-written false friends, each labelled by
hand (sources, rules and licences: benchmarks/classify/SOURCES.md). For names
only and for names + values, side by side, it prints: precision and recall
of "is PII", and the accuracy of pii_type on the PII columns found.

>>> scores([(True, "email", True, "email"), (False, None, True, "name")])["recall"]
0.5
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from pii_guard.classify.propose import propose_column  # noqa: E402

LABELLED = Path(__file__).resolve().parent / "classify" / "labelled_columns.json"


def load() -> list[dict]:
    return json.loads(LABELLED.read_text(encoding="utf-8"))


def scores(outcomes: list[tuple[bool, str | None, bool, str | None]]) -> dict[str, float]:
    """Precision/recall of "is PII" and pii_type accuracy, from
    (predicted pii, predicted type, labelled pii, labelled type) tuples."""
    true_positive = sum(1 for p, _, label, _ in outcomes if p and label)
    predicted = sum(1 for p, _, _, _ in outcomes if p)
    labelled = sum(1 for _, _, label, _ in outcomes if label)
    typed = sum(1 for p, pt, label, lt in outcomes if p and label and pt == lt)
    return {"precision": true_positive / predicted if predicted else 1.0,
            "recall": true_positive / labelled if labelled else 1.0,
            "type_accuracy": typed / true_positive if true_positive else 1.0,
            "columns": len(outcomes), "pii": labelled}


def evaluate(columns: list[dict], with_values: bool) -> tuple[dict[str, float], list[dict]]:
    """The scores, and the columns the proposals got wrong."""
    outcomes, wrong = [], []
    for column in columns:
        proposal = propose_column(column["column"], column["relation"], column["values"] if with_values else None)
        outcomes.append((proposal.pii, proposal.pii_type, column["pii"], column["pii_type"]))
        if (proposal.pii, proposal.pii_type) != (column["pii"], column["pii_type"]):
            wrong.append({"column": f'{column["relation"]}.{column["column"]}', "label": column["pii_type"],
                          "proposed": proposal.pii_type if proposal.pii else None})
    return scores(outcomes), wrong


def main() -> None:
    columns = load()
    names, names_wrong = evaluate(columns, with_values=False)
    values, values_wrong = evaluate(columns, with_values=True)
    print(f"classify: {names['columns']} labelled columns, {names['pii']} of them PII "
          f"({len({c['source'] for c in columns})} files; benchmarks/classify/SOURCES.md)\n")
    print("| measure | names only | names + values |")
    print("|---|---:|---:|")
    for key, label in (("precision", 'precision of "is PII"'), ("recall", 'recall of "is PII"'),
                       ("type_accuracy", "pii_type accuracy (PII found)")):
        print(f"| {label} | {names[key]:.3f} | {values[key]:.3f} |")
    if "-v" in sys.argv:
        for wrong in values_wrong:
            print(f"  wrong with values: {wrong}", file=sys.stderr)
        for wrong in names_wrong:
            print(f"  wrong names only: {wrong}", file=sys.stderr)


if __name__ == "__main__":
    main()
