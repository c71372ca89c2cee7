"""ICD-10-CM: categories.csv (``code,"title"``, no header) -> task115 code explanation.

The input is the code written the official way, with a dot after the third
character (``A0100`` -> ``A01.00``; three-character categories have none); the
output is the code's title. A row whose code is not shaped like an ICD-10-CM
code (a letter, a digit, an alphanumeric, then up to four alphanumerics) or has
no title is reported. A code listed twice keeps its first title; a second row
with a different title is reported, since one input cannot have two answers.

Split: task115 is a training task, so every code is train.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task115"
_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")


def dotted(code: str) -> str:
    """The code with its dot: ``A0100`` -> ``A01.00``, ``A00`` -> ``A00``.

    Raises ``ValueError`` when ``code`` is not shaped like an ICD-10-CM code.
    """
    bare = code.strip().upper().replace(".", "")
    if not _CODE.match(bare):
        raise ValueError(f"not an ICD-10-CM code: {code!r}")
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


class Converter(Source):
    """ICD-10-CM code list converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        titles: dict[str, str] = {}
        for path in self.files(raw_dir, "categories.csv"):
            for where, row in read_csv(path, fieldnames=("code", "title"), on_error=report):
                try:
                    code = dotted(row["code"])
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                title = " ".join(row["title"].split())
                if not title:
                    report(InputError(path, where, f"code {code} has no title"))
                    continue
                if code in titles:
                    if titles[code] != title:
                        problem = f"code {code} listed again with another title {title!r}"
                        report(InputError(path, where, problem))
                    continue
                titles[code] = title
                yield Example(
                    task_id=TASK,
                    split=Split.TRAIN,
                    input=code,
                    output=title,
                    raw_id=code,
                    origin=self.origin(path, where),
                )
