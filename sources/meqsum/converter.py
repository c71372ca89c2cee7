"""MeQSum: 1,000 consumer health questions with expert one-question summaries.

Native file: ``MeQSum_ACL2019_BenAbacha_Demner-Fushman.xlsx`` (one sheet,
header ``File | CHQ | Summary``). ``File`` names the question's source file
(``1-131188152.xml.txt``, ``14348.txt``), ``CHQ`` is the consumer health
question (sometimes ``SUBJECT: ...`` / ``MESSAGE: ...``), ``Summary`` the
summarised question. task114: input = CHQ, output = Summary.

Split: the release has no split column, and the paper does not publish which
items it held out. task114 is both a MedS-Ins training task and a MedS-Bench
summarisation test, so the questions are halved deterministically by a hash
of their ``File`` id: an item is in the test split when the first byte of
``blake2b(File)`` is below 128. The rule depends only on the item itself, so
it is the same for any slice, ordering or copy of the workbook, and both
halves are fixed forever. A ``File`` id that occurs twice keeps its split
(the same question is never on both sides); the second occurrence gets a
``#2`` suffix in its raw id.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_xlsx
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_COLUMNS = ("File", "CHQ", "Summary")


def split_of(file_id: str) -> Split:
    """The split of a MeQSum item, from its ``File`` id (see the module docstring)."""
    first_byte = hashlib.blake2b(file_id.encode("utf-8"), digest_size=8).digest()[0]
    return Split.TEST if first_byte < 128 else Split.TRAIN


class Converter(Source):
    """MeQSum converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "MeQSum_*.xlsx"):
            seen: Counter[str] = Counter()
            for where, row in read_xlsx(path, required=_COLUMNS, on_error=report):
                file_id, question, summary = (row[c].strip() for c in _COLUMNS)
                if not file_id or not question or not summary:
                    empty = [c for c, v in zip(_COLUMNS, (file_id, question, summary), strict=True) if not v]
                    report(InputError(path, where, f"empty {', '.join(empty)}"))
                    continue
                seen[file_id] += 1
                raw_id = file_id if seen[file_id] == 1 else f"{file_id}#{seen[file_id]}"
                yield Example(task_id="task114", split=split_of(file_id), input=question, output=summary,
                              raw_id=raw_id, origin=self.origin(path, where))
