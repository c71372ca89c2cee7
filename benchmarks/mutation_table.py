"""The per-module mutation score table of docs/testing.md, from a finished ``mutmut run``.

Reads the results mutmut 3 leaves in ``mutants/**/*.meta`` and names each
mutant's outcome with mutmut's own exit-code mapping. Run from the repository
root after ``mutmut run``::

    .venv/bin/python benchmarks/mutation_table.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from mutmut.__main__ import status_by_exit_code

COLUMNS = ("killed", "timeout", "survived", "no tests", "not checked")


def module_counts(mutants: Path) -> dict[str, Counter[str]]:
    """``{module path: Counter(status)}`` for every mutated module."""
    table: dict[str, Counter[str]] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        module = meta.relative_to(mutants).as_posix().removesuffix(".meta")
        table[module] = Counter(status_by_exit_code[code] for code in codes.values())
    return table


def markdown(table: dict[str, Counter[str]]) -> str:
    """The table: counts per status and the score (killed, and killed + timeout, over all mutants)."""
    lines = [
        "| module | mutants | " + " | ".join(COLUMNS) + " | killed % | killed + timeout % |",
        "|---|---:|" + "---:|" * len(COLUMNS) + "---:|---:|",
    ]
    total: Counter[str] = Counter()
    for module, counts in [*table.items(), ("**all**", None)]:
        counts = counts if counts is not None else total
        if module != "**all**":
            total.update(counts)
        n = sum(counts.values())
        cells = " | ".join(str(counts[c]) for c in COLUMNS)
        killed = 100 * counts["killed"] / n
        detected = 100 * (counts["killed"] + counts["timeout"]) / n
        lines.append(f"| {module} | {n} | {cells} | {killed:.1f} | {detected:.1f} |")
    others = set(total) - set(COLUMNS)
    if others:
        lines.append(f"\nOther outcomes: {dict((k, total[k]) for k in sorted(others))}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(module_counts(Path("mutants"))))
