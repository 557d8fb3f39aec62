"""`make bench`: how well `pii-guard classify` proposes, on a labelled set.

benchmarks/classify/labelled_columns.json holds real column names (and up to
50 values each) from public dbt projects' seed files of synthetic data, the
integration project's seeds and hand-written false friends, each labelled by
hand (sources, rules and licences: benchmarks/classify/SOURCES.md); the
rules were tuned on it. benchmarks/classify/heldout_columns.json is held out:
other projects' seeds (Fivetran's dbt packages), labelled before the
classifier was run on them and never used to tune it. For each set, names
only and names + values, side by side, it prints: precision and recall of
"is PII", and the accuracy of pii_type on the PII columns found; then the
held-out set's misses (names + values).

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
HELDOUT = Path(__file__).resolve().parent / "classify" / "heldout_columns.json"


def load(path: Path = LABELLED) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


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
    sets = {"tuning": load(LABELLED), "held out": load(HELDOUT)}
    results = {name: (evaluate(columns, with_values=False), evaluate(columns, with_values=True))
               for name, columns in sets.items()}
    for name, columns in sets.items():
        pii = sum(c["pii"] for c in columns)
        print(f"classify, {name} set: {len(columns)} labelled columns, {pii} of them PII "
              f"({len({c['source'] for c in columns})} files; benchmarks/classify/SOURCES.md)")
    print("\n| measure | tuning: names only | tuning: names + values | held out: names only "
          "| held out: names + values |")
    print("|---|---:|---:|---:|---:|")
    for key, label in (("precision", 'precision of "is PII"'), ("recall", 'recall of "is PII"'),
                       ("type_accuracy", "pii_type accuracy (PII found)")):
        cells = " | ".join(f"{scores_[key]:.3f}" for (names, _), (values, _) in results.values()
                           for scores_ in (names, values))
        print(f"| {label} | {cells} |")
    print("\nheld-out misses (names + values):")
    for wrong in results["held out"][1][1]:
        print(f"  {wrong['column']}: labelled {wrong['label']}, proposed {wrong['proposed']}")
    if "-v" in sys.argv:
        for name, ((_, names_wrong), (_, values_wrong)) in results.items():
            for wrong in values_wrong:
                print(f"  {name}, wrong with values: {wrong}", file=sys.stderr)
            for wrong in names_wrong:
                print(f"  {name}, wrong names only: {wrong}", file=sys.stderr)


if __name__ == "__main__":
    main()
