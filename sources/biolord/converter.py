"""BioLORD Dataset: concept name / definition pairs -> tasks 48, 49, 50.

Based on the BioLORD paper and dataset card (pairs of a biomedical concept
name and a definition or relation-derived description, from UMLS and SNOMED
CT) and the upstream task definitions: 48 matches a definition to the right
name among candidates, 49 names the concept a long definition describes, 50
writes the definition of a name. The gated files' column names could not be
verified, so a CSV/TSV (optionally gzip) or JSON Lines file is read with its
name column among :data:`NAME_COLUMNS` and text column among
:data:`TEXT_COLUMNS`; a file with neither is an error naming the file.

* task50: name -> definition; task49: definition -> name.
* task48: ``Definition: ...`` and four candidate names -> the right name. The
  distractors are the three most recent other concept names of the same file
  (files list related concepts together, so they are plausible) whose text
  differs from the row's (a synonym sharing the definition would be a second
  right answer), never a test name; the order of the candidates is fixed by a
  hash. A row seen before three such names has fewer candidates, and one with
  none (the first row of a file) has no task48 item.
* The pairs of one concept are adjacent in the files; a row repeating the
  previous row's name (task50) or text (task49) would give one input two
  outputs, so only the first of such a run feeds that task.

Split: by name (about 10% of names test, by hash). Test names feed only the
test split of task50; tasks 48 and 49 are train-only.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_jsonl, stream_csv
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

NAME_COLUMNS = ("name", "concept_name", "concept", "term")
TEXT_COLUMNS = ("definition", "description", "text")
DISTRACTORS = 3


def split_of(name: str) -> Split:
    """About 10% of concept names are test, fixed by the name alone."""
    return Split.TEST if hashlib.blake2b(name.lower().encode(), digest_size=8).digest()[0] < 26 else Split.TRAIN


def _shuffle_key(raw_id: str, name: str) -> bytes:
    return hashlib.blake2b(f"{raw_id}\x1f{name}".encode(), digest_size=8).digest()


def _column(keys: Any, wanted: tuple[str, ...]) -> str | None:
    return next((c for c in wanted if c in keys), None)


class Converter(Source):
    """BioLORD converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [p for pattern in ("*.csv*", "*.tsv*", "*.jsonl") for p in self.files(raw_dir, pattern, required=False)]
        if not paths:
            raise InputError(raw_dir, None, "no CSV, TSV or JSON Lines file of name/definition pairs (source biolord)")
        for path in sorted(paths):
            yield from self._file(path, report)

    def _rows(self, path: Path, report: Reporter) -> Iterator[tuple[str, dict[str, Any]]]:
        if path.name.endswith(".jsonl"):
            yield from read_jsonl(path, on_error=report)
        else:
            yield from stream_csv(path, delimiter="\t" if ".tsv" in path.name else ",", on_error=report)

    def _file(self, path: Path, report: Reporter) -> Iterator[Example]:
        recent: deque[tuple[str, str]] = deque(maxlen=DISTRACTORS)
        last_name = last_text = None
        columns: tuple[str, str] | None = None
        for where, row in self._rows(path, report):
            if columns is None:
                name_col, text_col = _column(row, NAME_COLUMNS), _column(row, TEXT_COLUMNS)
                if name_col is None or text_col is None:
                    raise InputError(path, where, f"no name column ({', '.join(NAME_COLUMNS)}) or text column "
                                                  f"({', '.join(TEXT_COLUMNS)}); found {', '.join(map(str, row))}")
                columns = (name_col, text_col)
            name, text = row.get(columns[0]), row.get(columns[1])
            if not isinstance(name, str) or not name.strip() or not isinstance(text, str) or not text.strip():
                report(InputError(path, where, f"empty or missing {columns[0]!r} or {columns[1]!r}"))
                continue
            name, text = " ".join(name.split()), " ".join(text.split())
            split, origin = split_of(name), self.origin(path, where)
            raw_id = f"{path.name}:{where.removeprefix('line ')}"
            if name != last_name:
                yield Example(task_id="task50", split=split, input=name, output=text, raw_id=raw_id, origin=origin)
            if split is Split.TRAIN:
                if text != last_text:
                    yield Example(task_id="task49", split=split, input=text, output=name, raw_id=raw_id,
                                  origin=origin)
                others = [n for n, t in recent if n != name and t != text]
                if others:
                    candidates = sorted([name, *others], key=lambda n: _shuffle_key(raw_id, n))
                    listed = "\n".join(f"- {n}" for n in candidates)
                    yield Example(task_id="task48", split=split, input=f"Definition: {text}\nCandidates:\n{listed}",
                                  output=name, raw_id=raw_id, origin=origin)
            last_name, last_text = name, text
            if split is Split.TRAIN and all(n != name for n, _ in recent):
                recent.append((name, text))
