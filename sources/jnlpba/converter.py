"""JNLPBA 2004: the shared-task IOB2 files -> task1005 bio-entity NER.

One record per sentence: the tokens joined by spaces are the input, and the
entity strings (tokens of a B-/I- span joined the same way) the output, in the
NER convention of :func:`medsins.records.join_entities`. ``###MEDLINE:`` lines
separate abstracts and are not tokens. A sentence with a malformed line or an
entity type outside the five JNLPBA types is reported as a whole.

Split by file name: ``Genia4ERtask*.iob2`` (training data) -> train,
``Genia4EReval*.iob2`` (evaluation data) -> test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iob_entities, read_iob
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

TASK = "task1005"
FILES = {"Genia4ERtask*.iob2": Split.TRAIN, "Genia4EReval*.iob2": Split.TEST}
ENTITY_TYPES = frozenset({"protein", "DNA", "RNA", "cell_line", "cell_type"})
_MARKERS = ("###MEDLINE:", "-DOCSTART-")


class Converter(Source):
    """JNLPBA converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        found = [
            (path, split)
            for pattern, split in FILES.items()
            for path in self.files(raw_dir, pattern, required=False)
        ]
        if not found:
            raise InputError(raw_dir, None, "no JNLPBA file (Genia4ERtask*.iob2 or Genia4EReval*.iob2)")
        for path, split in sorted(found):
            for where, sentence in read_iob(path, columns=2, markers=_MARKERS, on_error=report):
                spans = iob_entities(sentence)
                unknown = sorted({kind for kind, _ in spans} - ENTITY_TYPES)
                if unknown:
                    problem = f"entity type(s) {', '.join(unknown)} are not JNLPBA types"
                    report(InputError(path, where, problem))
                    continue
                yield Example(
                    task_id=TASK,
                    split=split,
                    input=sentence.text,
                    output=join_entities([text for _, text in spans]),
                    raw_id=f"{path.stem}-{where.removeprefix('line ')}",
                    origin=self.origin(path, where),
                )
