"""Species-800 (S800): organism mentions in 800 PubMed abstracts, BioBERT IOB files.

Native files (the BioBERT pre-processed NER release, folder ``s800``)::

    train.tsv   devel.tsv   test.tsv

one ``token<TAB>tag`` line per token, untyped tags ``B``/``I``/``O``, a blank
line between sentences. ``train.tsv`` and ``devel.tsv`` feed the train split
of task128, ``test.tsv`` its test split (the MedS-Bench NER test). The
``train_dev.tsv`` some BioBERT bundles add is the concatenation of the other
two and is not read.

Input: the sentence's tokens joined by single spaces. Output: the tagged spans
(tokens joined the same way), unique, in order
(:func:`medsins.records.join_entities`); ``None`` for a sentence without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_iob_mentions
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

_SPLITS = {"train.tsv": Split.TRAIN, "devel.tsv": Split.TRAIN, "test.tsv": Split.TEST}


class Converter(Source):
    """Species-800 converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [p for p in self.files(raw_dir, "*.tsv") if p.name in _SPLITS]
        if not paths:
            raise InputError(raw_dir, None, "no Species-800 file (train.tsv, devel.tsv, test.tsv) found")
        for path in paths:
            for s in read_iob_mentions(path, on_error=report):
                yield Example(task_id="task128", split=_SPLITS[path.name], input=s.text,
                              output=join_entities(s.entities), raw_id=s.raw_id, origin=self.origin(path, s.where))
