"""NCBI Disease: original corpus files or their IOB form -> task27 disease NER.

Two native forms hold the same documents:

* the original corpus files ``NCBItrainset_corpus.txt``,
  ``NCBIdevelopset_corpus.txt``, ``NCBItestset_corpus.txt`` (PubTator-like);
* IOB files derived from them: ``conll_{train,devel,test}.tsv`` (as renamed from
  the ncbi-disease repository's ``conll/`` folder) or BioBERT's
  ``{train,devel,test}.tsv``.

For each part (train, devel, test) exactly one file is read, so nothing is
counted twice: the original corpus file when present (it has the full text and
offsets), else the ``conll_`` file, else the BioBERT file.

One record per sentence; the input is the sentence (whitespace runs made one
space) and the output every disease mention in it, whatever its type
(SpecificDisease, DiseaseClass, Modifier, CompositeMention), in the NER
convention of :func:`medsins.records.join_entities`. Original documents are cut
with :func:`medsins.formats.sentence_spans`, which never cuts inside a mention.

Split: task27 is a training task, so every part, test included, is train.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_iob_mentions, read_pubtator, sentence_spans
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

TASK = "task27"
PARTS = ("train", "devel", "test")
#: Per part, the file names in order of preference (the first present is read).
FILES = {
    "train": ("NCBItrainset_corpus.txt", "conll_train.tsv", "train.tsv"),
    "devel": ("NCBIdevelopset_corpus.txt", "conll_devel.tsv", "devel.tsv"),
    "test": ("NCBItestset_corpus.txt", "conll_test.tsv", "test.tsv"),
}
_SPACES = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


class Converter(Source):
    """NCBI Disease converter."""

    def chosen_files(self, raw_dir: Path) -> list[Path]:
        """One file per part, the preferred form first (see the module docstring)."""
        chosen = []
        for part in PARTS:
            for name in FILES[part]:
                found = self.files(raw_dir, name, required=False)
                if found:
                    chosen.append(found[0])
                    break
        if not chosen:
            raise InputError(raw_dir, None, "no NCBI disease file (NCBI*set_corpus.txt or conll_*.tsv)")
        return chosen

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.chosen_files(raw_dir):
            if path.suffix == ".txt":
                yield from self._corpus_file(path, report)
            else:
                yield from self._iob_file(path, report)

    def _corpus_file(self, path: Path, report: Reporter) -> Iterator[Example]:
        for where, doc in read_pubtator(path, on_error=report):
            for number, (start, end) in enumerate(sentence_spans(doc), start=1):
                inside = [m for m in doc.mentions if start <= m.start and m.end <= end]
                inside.sort(key=lambda m: m.start)
                yield Example(
                    task_id=TASK,
                    split=Split.TRAIN,
                    input=_normalise(doc.text[start:end]),
                    output=join_entities([m.text for m in inside]),
                    raw_id=f"{doc.pmid}-{number}",
                    origin=self.origin(path, f"{where} (PMID {doc.pmid}), sentence {number}"),
                )

    def _iob_file(self, path: Path, report: Reporter) -> Iterator[Example]:
        for s in read_iob_mentions(path, on_error=report):
            yield Example(task_id=TASK, split=Split.TRAIN, input=s.text, output=join_entities(s.entities),
                          raw_id=s.raw_id, origin=self.origin(path, s.where))
