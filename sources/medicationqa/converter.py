"""MedicationQA: MedInfo2019-QA-Medications.xlsx -> task65 medication question answering.

The consumer's question is the input and the curated answer the output. A
question asked in several rows (the same text, ignoring case and spacing) is one
item whose output is its answers in row order, separated by a blank line: one
input must have one output. Such a record's origin names every row it merges
("row 135 (also rows 242, 253)"), so no row goes unaccounted for. A row without
a question or an answer is reported.

Split: task65 is a training task, so every item is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_xlsx
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task65"
_COLUMNS = ("Question", "Answer")


@dataclass
class _Item:
    question: str
    where: str
    answers: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)  # the rows merged into this item


def _clean(text: str) -> str:
    """Trim each line and drop blank runs, keeping the answer's line structure."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


class Converter(Source):
    """MedicationQA converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "MedInfo2019-QA-Medications.xlsx"):
            items: dict[str, _Item] = {}
            for where, row in read_xlsx(path, required=_COLUMNS, on_error=report):
                question = " ".join(row["Question"].split())
                answer = _clean(row["Answer"])
                if not question:
                    report(InputError(path, where, "empty Question"))
                    continue
                if not answer:
                    report(InputError(path, where, "empty Answer"))
                    continue
                item = items.setdefault(question.casefold(), _Item(question, where))
                if item.where != where:
                    item.also.append(where.rpartition("row ")[2])
                if answer not in item.answers:
                    item.answers.append(answer)
            for item in items.values():
                merged = f" (also rows {', '.join(item.also)})" if item.also else ""
                yield Example(
                    task_id=TASK,
                    split=Split.TRAIN,
                    input=item.question,
                    output="\n\n".join(item.answers),
                    raw_id=f"row-{item.where.rpartition('row ')[2]}",
                    origin=self.origin(path, item.where + merged),
                )
