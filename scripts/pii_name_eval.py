"""Precision and recall of name-based PII detection on a labelled set of column names.

    python scripts/pii_name_eval.py [tests/fixtures/pii/labelled_columns.csv] [--errors]

A detection counts as a true positive only when its type equals the label; masked findings
count (a hashed email is still an email column). ``expected`` is ``none`` for hard negatives.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from dab.pii.names import detect_by_name

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pii" / "labelled_columns.csv"


def evaluate(path: Path) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    errors: list[str] = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            match = detect_by_name(row["name"], row["data_type"] or None)
            found = match.pii_type if match else "none"
            expected = row["expected"]
            if found == expected:
                tp += expected != "none"
                continue
            errors.append(f"{row['name']} ({row['data_type']}): expected {expected}, found {found}")
            fp += found != "none"
            fn += expected != "none"
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, errors


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    path = Path(args[0]) if args else DEFAULT
    precision, recall, errors = evaluate(path)
    print(f"precision {precision:.3f}  recall {recall:.3f}  ({path.name})")  # noqa: T201
    if "--errors" in argv:
        print("\n".join(errors))  # noqa: T201
    return 0 if precision >= 0.95 and recall >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
