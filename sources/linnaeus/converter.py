"""LINNAEUS: species mentions in 100 PMC full-text articles -> task33.

Read from one of two native forms (looked up in the BigBio ``linnaeus`` loader,
the flair LINNEAUS reader and the BioBERT NER data bundle):

* BioBERT IOB files (folder ``linnaeus``): ``train.tsv``, ``devel.tsv``,
  ``test.tsv``, one ``token<TAB>tag`` line per token (``B``/``I``/``O``), a
  blank line between sentences; ``train_dev.tsv`` is not read.
* The original release ``manual-corpus-species-1.0``: ``txt/<document>.txt``
  and ``tags.tsv`` (a header line, then ``species id<TAB>document<TAB>start<TAB>end<TAB>text[<TAB>code]``,
  character offsets into the document). Documents are cut into lines, then
  into sentences with :func:`medsins.formats.line_sentence_spans`, never inside
  a mention.

When both forms are present the IOB files are read. The IOB release holds a
few sentence fragments (``S .``) tagged differently in different places; every
occurrence of such a sentence is reported, not converted. task33 is a training task:
every part goes to the train split. Output: the sentence's species mention
strings, unique, in order (:func:`medsins.records.join_entities`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import BIOBERT_FILES, iter_lines, line_sentence_spans, read_iob_mentions, read_text
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities


class Converter(Source):
    """LINNAEUS converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        iob = [p for p in self.files(raw_dir, "*.tsv", required=False) if p.name in BIOBERT_FILES]
        if iob:
            yield from self._iob(iob, report)
            return
        tags = self.files(raw_dir, "tags.tsv", required=False)
        if not tags:
            raise InputError(raw_dir, None, "no LINNAEUS file (train.tsv/devel.tsv/test.tsv or tags.tsv + txt/)")
        mentions = self._mentions(tags[0], report)
        for path in self.files(raw_dir, "*.txt"):
            if path.parent.name != "txt":
                continue  # only the documents folder; READMEs are not documents
            yield from self._document(path, tags[0], mentions.pop(path.stem, []), report)
        for document, missing in sorted(mentions.items()):
            report(InputError(tags[0], missing[0][3], f"document {document!r} has no txt/{document}.txt"))

    def _iob(self, paths: list[Path], report: Reporter) -> Iterator[Example]:
        """The IOB sentences; a sentence text tagged two ways (a fragment such as ``S .``,
        a species abbreviation cut off by the release's sentence splitter in one place and
        an author initial elsewhere) has no single answer: every occurrence is reported."""
        sentences = [(path, s) for path in paths for s in read_iob_mentions(path, on_error=report)]
        outputs: dict[str, set[str]] = defaultdict(set)
        for _, s in sentences:
            outputs[s.text].add(join_entities(s.entities))
        for path, s in sentences:
            if len(outputs[s.text]) > 1:
                report(InputError(path, s.where, "the same sentence is tagged with other species elsewhere "
                                                 f"in the corpus ({len(outputs[s.text])} different mention lists)"))
                continue
            yield self._example(s.text, s.entities, s.raw_id, self.origin(path, s.where))

    @staticmethod
    def _mentions(path: Path, report: Reporter) -> dict[str, list[tuple[int, int, str, str]]]:
        mentions: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
        for number, line in iter_lines(path, on_error=report):
            parts = line.split("\t")
            if number == 1 and (len(parts) < 4 or not parts[2].strip().isdigit()):
                continue  # the header line
            if not line.strip():
                continue
            try:
                mentions[parts[1]].append((int(parts[2]), int(parts[3]), parts[4], f"line {number}"))
            except (IndexError, ValueError):
                expected = "expected 'species id<TAB>document<TAB>start<TAB>end<TAB>text'"
                report(InputError(path, f"line {number}", expected))
        return mentions

    def _document(
        self, path: Path, tags: Path, mentions: list[tuple[int, int, str, str]], report: Reporter
    ) -> Iterator[Example]:
        text = read_text(path, "utf-8")
        good: list[tuple[int, int]] = []
        for start, end, covered, where in mentions:
            if text[start:end] != covered:
                report(InputError(tags, where,
                                  f"{covered!r} is not at {start}-{end} of {path.name}"))
            else:
                good.append((start, end))
        sentences = line_sentence_spans(text, good)
        used: set[tuple[int, int]] = set()
        for number, (start, end) in enumerate(sentences, start=1):
            inside = sorted(m for m in good if m[0] >= start and m[1] <= end)
            used.update(inside)
            sentence = text[start:end]
            stripped = sentence.strip()
            yield self._example(stripped, [text[s:e] for s, e in inside], f"{path.stem}-s{number}",
                                self.origin(path, f"sentence {number} (offset {start})"))
        for start, end in sorted(set(good) - used):
            report(InputError(path, f"offset {start}", f"mention {text[start:end]!r} crosses a line break"))

    @staticmethod
    def _example(text: str, entities: list[str], raw_id: str, origin: str) -> Example:
        return Example(task_id="task33", split=Split.TRAIN, input=text, output=join_entities(entities),
                       raw_id=raw_id, origin=origin)
