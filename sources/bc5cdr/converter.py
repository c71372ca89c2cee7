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

Sentences are cut by :func:`sentence_spans`: the title is one sentence;
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
from medsins.formats import Document, Mention, read_pubtator
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

#: A candidate boundary: sentence-final punctuation (and closers), whitespace, a sentence opener.
_BOUNDARY = re.compile(r"[.?!][\"')\]]*(\s+)(?=[A-Z0-9(\[\"'])")
#: Words whose final period does not end a sentence (compared lower-cased, without the period).
_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "vs", "etc", "al", "fig", "figs", "ref", "refs", "approx", "ca", "cf", "no", "nos",
    "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "inc", "ltd", "co", "resp", "viz", "eq", "eqs",
    "vol", "dept", "univ",
})
_WORD_BEFORE = re.compile(r"(\S+)$")
_SPACES = re.compile(r"\s+")


def _is_abbreviation(text: str, period: int) -> bool:
    """Whether the ``.`` at ``period`` closes an abbreviation or an initial."""
    if text[period] != ".":
        return False
    match = _WORD_BEFORE.search(text, 0, period)
    if match is None:
        return False
    word = match.group(1).lstrip("([\"'")
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def sentence_spans(doc: Document) -> list[tuple[int, int]]:
    """``(start, end)`` offsets (into ``doc.text``) of the document's sentences, in order.

    Deterministic, and no span boundary falls inside a mention.
    """
    text = doc.text
    # Gaps between sentences: (end of one sentence, start of the next).
    gaps: list[tuple[int, int]] = []
    if doc.abstract:
        gaps.append((len(doc.title), len(doc.title) + 1))
    start = len(doc.title) + 1 if doc.abstract else len(text)
    for match in _BOUNDARY.finditer(text, start):
        if not _is_abbreviation(text, match.start()):
            gaps.append((match.start(1), match.end(1)))
    gaps = [(end, nxt) for end, nxt in gaps if not any(m.start < nxt and m.end > end for m in doc.mentions)]
    spans: list[tuple[int, int]] = []
    begin = 0
    for end, nxt in gaps:
        spans.append((begin, end))
        begin = nxt
    spans.append((begin, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


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
