"""BC5CDR (BioCreative V CDR): chemical and disease mentions in PubMed abstracts.

Native files (``CDR_Data.zip``, folder ``CDR.Corpus.v010516``), PubTator format::

    CDR_TrainingSet.PubTator.txt     500 abstracts  -> train
    CDR_DevelopmentSet.PubTator.txt  500 abstracts  -> train
    CDR_TestSet.PubTator.txt         500 abstracts  -> test

Tasks (sentence-level NER, as the upstream task files are):

* task126 chemical NER: train and test sentences.
* task127 disease NER (MedS-Bench only): test sentences.
* task28 disease NER (Super-NaturalInstructions style): train sentences.

Every sentence becomes one record per task, including sentences without a
mention (output ``None``), so a model also learns when to answer nothing.
The output lists the annotated mention texts of the task's type that lie in
the sentence, unique, in text order (:func:`medsins.records.join_entities`).

Sentences are cut by :func:`medsins.formats.sentence_spans`: the title is one sentence;
the abstract is cut after ``.``, ``?`` or ``!`` (plus closing quotes or
brackets) followed by whitespace and an upper-case letter, digit or opening
bracket, except after common abbreviations (``e.g.``, ``vs.``, ``et al.``,
``Fig.``, single-letter initials) and never inside an annotated mention.
Whitespace runs inside a sentence are collapsed to one space, the same
normalisation the entity list gets, so every entity occurs in its input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import Document, Mention, read_pubtator, sentence_spans
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

_SPACES = re.compile(r"\s+")


def _split_of(path: Path) -> Split | None:
    name = path.name
    if "TestSet" in name:
        return Split.TEST
    if "TrainingSet" in name or "DevelopmentSet" in name:
        return Split.TRAIN
    return None


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


class Converter(Source):
    """BC5CDR converter (PubTator files)."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "CDR_*.PubTator.txt"):
            split = _split_of(path)
            if split is None:
                report(InputError(path, None, "cannot tell the split: expected TrainingSet, "
                                              "DevelopmentSet or TestSet in the file name"))
                continue
            for where, doc in read_pubtator(path, on_error=report):
                yield from self._document(path, where, doc, split)

    def _document(self, path: Path, where: str, doc: Document, split: Split) -> Iterator[Example]:
        mentions = sorted(doc.mentions, key=lambda m: (m.start, m.end))
        disease_task = "task127" if split is Split.TEST else "task28"
        for index, (start, end) in enumerate(sentence_spans(doc)):
            inside = [m for m in mentions if m.start >= start and m.end <= end]
            sentence = _normalise(doc.text[start:end])
            origin = self.origin(path, f"{where} (PMID {doc.pmid}), sentence {index + 1}")
            raw_id = f"{doc.pmid}-s{index + 1}"
            for task_id, kind in (("task126", "Chemical"), (disease_task, "Disease")):
                yield Example(task_id=task_id, split=split, input=sentence, output=_entities(inside, kind),
                              raw_id=raw_id, origin=origin)


def _entities(mentions: list[Mention], kind: str) -> str:
    """The NER output: the texts of the mentions of ``kind``, unique, in text order."""
    return join_entities([m.text for m in mentions if m.type == kind])
