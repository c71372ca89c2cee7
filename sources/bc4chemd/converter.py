"""BC4CHEMD / CHEMDNER: chemical and drug mentions in PubMed abstracts -> task125.

Read from one of two native forms (looked up in the BioBERT NER data bundle,
the BigBio ``chemdner`` loader and public CHEMDNER readers):

* BioBERT IOB files (folder ``BC4CHEMD``): ``train.tsv``, ``devel.tsv``,
  ``test.tsv``, one ``token<TAB>tag`` line per token (``B``/``I``/``O``), a
  blank line between sentences; ``train_dev.tsv`` is not read.
* The original BioCreative IV CHEMDNER corpus (``chemdner_corpus``):
  ``{training,development,evaluation}.abstracts.txt`` (``PMID<TAB>title<TAB>abstract``)
  with the matching ``*.annotations.txt`` (``PMID<TAB>T|A<TAB>start<TAB>end<TAB>text<TAB>class``,
  offsets into the title or the abstract). Abstracts are cut into sentences
  by :func:`medsins.formats.sentence_spans` (the title is one sentence; never
  inside a mention).

When both forms are present the IOB files are read. ``test.tsv`` /
``evaluation.*`` feed the test split (the MedS-Bench NER test of task125),
everything else the train split. Output: the sentence's chemical mention
strings, unique, in order (:func:`medsins.records.join_entities`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import Document, Mention, iter_lines, read_iob_mentions, sentence_spans
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

_IOB = {"train.tsv": Split.TRAIN, "devel.tsv": Split.TRAIN, "test.tsv": Split.TEST}
_PARTS = {"training": Split.TRAIN, "development": Split.TRAIN, "evaluation": Split.TEST}


class Converter(Source):
    """BC4CHEMD / CHEMDNER converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        iob = [p for p in self.files(raw_dir, "*.tsv", required=False) if p.name in _IOB]
        if iob:
            for path in iob:
                for s in read_iob_mentions(path, on_error=report):
                    yield self._example(_IOB[path.name], s.text, s.entities, s.raw_id, self.origin(path, s.where))
            return
        abstracts = [p for p in self.files(raw_dir, "*.abstracts.txt", required=False)
                     if p.name.split(".")[0] in _PARTS]
        if not abstracts:
            raise InputError(raw_dir, None, "no BC4CHEMD/CHEMDNER file (train/devel/test.tsv or *.abstracts.txt)")
        for path in abstracts:
            yield from self._original(path, report)

    def _original(self, path: Path, report: Reporter) -> Iterator[Example]:
        part = path.name.split(".")[0]
        split = _PARTS[part]
        annotations = path.with_name(f"{part}.annotations.txt")
        if not annotations.exists():
            raise InputError(path, None, f"no {annotations.name} beside this abstracts file")
        docs: dict[str, tuple[Document, str]] = {}
        for number, line in iter_lines(path, on_error=report):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                problem = f"expected PMID<TAB>title<TAB>abstract, found {len(parts)} fields"
                report(InputError(path, f"line {number}", problem))
                continue
            docs[parts[0]] = (Document(pmid=parts[0], title=parts[1], abstract=parts[2]), f"line {number}")
        pending: dict[str, list[Mention]] = defaultdict(list)
        for number, line in iter_lines(annotations, on_error=report):
            if not line.strip():
                continue
            where = f"line {number}"
            parts = line.split("\t")
            try:
                pmid, section, start, end, text = parts[0], parts[1], int(parts[2]), int(parts[3]), parts[4]
            except (IndexError, ValueError):
                report(InputError(annotations, where, "expected PMID<TAB>T|A<TAB>start<TAB>end<TAB>text<TAB>class"))
                continue
            entry = docs.get(pmid)
            if entry is None or section not in ("T", "A"):
                report(InputError(annotations, where, f"unknown document {pmid!r} or section {section!r}"))
                continue
            doc = entry[0]
            shift = 0 if section == "T" else len(doc.title) + 1
            if doc.text[start + shift:end + shift] != text:
                report(InputError(annotations, where, f"{text!r} is not at {section} {start}-{end} of {pmid}"))
                continue
            pending[pmid].append(Mention(start + shift, end + shift, text, parts[5] if len(parts) > 5 else "", ""))
        for pmid, (doc, where) in docs.items():
            doc.mentions = sorted(pending.get(pmid, []), key=lambda m: (m.start, m.end))
            for index, (start, end) in enumerate(sentence_spans(doc), start=1):
                inside = [m.text for m in doc.mentions if m.start >= start and m.end <= end]
                yield self._example(split, doc.text[start:end].strip(), inside, f"{part}-{pmid}-s{index}",
                                    self.origin(path, f"{where} (PMID {pmid}, sentence {index})"))

    @staticmethod
    def _example(split: Split, text: str, entities: list[str], raw_id: str, origin: str) -> Example:
        return Example(task_id="task125", split=split, input=text, output=join_entities(entities),
                       raw_id=raw_id, origin=origin)
