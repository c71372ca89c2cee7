"""BC2GM (BioCreative II gene mention): gene/protein mentions -> task31.

Read from one of two native forms (looked up in the BioBERT NER data bundle and
the BioCreative II GM task description):

* BioBERT IOB files (folder ``BC2GM``): ``train.tsv``, ``devel.tsv``,
  ``test.tsv``, one ``token<TAB>tag`` line per token (``B``/``I``/``O``), a
  blank line between sentences. ``train_dev.tsv`` (train + devel concatenated)
  is not read.
* The original task files: ``train.in`` / ``test.in`` (``<sentence id> <sentence>``
  per line) with ``GENE.eval`` beside them (``<sentence id>|<first> <last>|<mention>``).
  The offsets count *non-space* characters (inclusive), a quirk of BC2GM;
  ``ALTGENE.eval`` (acceptable alternatives) is not read.

When a folder holds both forms, the IOB files are read and the original files
skipped, so nothing is counted twice. task31 is a training task: every part,
test included, goes to the train split. Output: the mention strings of the
sentence, unique, in order (:func:`medsins.records.join_entities`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import BIOBERT_FILES, iter_lines, read_iob_mentions
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities


class Converter(Source):
    """BC2GM converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        iob = [p for p in self.files(raw_dir, "*.tsv", required=False) if p.name in BIOBERT_FILES]
        if iob:
            for path in iob:
                for s in read_iob_mentions(path, on_error=report):
                    yield self._example(s.text, s.entities, s.raw_id, self.origin(path, s.where))
            return
        originals = self.files(raw_dir, "*.in", required=False)
        if not originals:
            raise InputError(raw_dir, None, "no BC2GM file (train.tsv/devel.tsv/test.tsv or train.in + GENE.eval)")
        for path in originals:
            yield from self._original(path, report)

    def _original(self, path: Path, report: Reporter) -> Iterator[Example]:
        gold = path.parent / "GENE.eval"
        if not gold.exists():
            raise InputError(path, None, "no GENE.eval beside this sentence file")
        mentions: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
        for number, line in iter_lines(gold, on_error=report):
            if not line.strip():
                continue
            parts = line.split("|", 2)
            try:
                first, last = (int(x) for x in parts[1].split())
                mentions[parts[0]].append((first, last, parts[2], f"line {number}"))
            except (IndexError, ValueError):
                report(InputError(gold, f"line {number}", f"expected 'ID|FIRST LAST|MENTION', found {line!r}"))
        for number, line in iter_lines(path, on_error=report):
            if not line.strip():
                continue
            where = f"line {number}"
            ident, _, sentence = line.partition(" ")
            if not sentence.strip():
                report(InputError(path, where, f"expected '<id> <sentence>', found {line!r}"))
                continue
            found = []
            for first, last, text, gold_where in mentions.get(ident, []):
                span = _by_nonspace_offsets(sentence, first, last)
                if span is None or span.replace(" ", "") != text.replace(" ", ""):
                    report(InputError(gold, gold_where, f"mention {text!r} does not match sentence {ident}"))
                    continue
                found.append((first, span))
            entities = [text for _, text in sorted(found, key=lambda m: m[0])]
            yield self._example(sentence, entities, f"{path.stem}-{ident}", self.origin(path, where))

    def _example(self, text: str, entities: list[str], raw_id: str, origin: str) -> Example:
        return Example(task_id="task31", split=Split.TRAIN, input=text, output=join_entities(entities),
                       raw_id=raw_id, origin=origin)


def _by_nonspace_offsets(sentence: str, first: int, last: int) -> str | None:
    """The substring from the ``first`` to the ``last`` non-space character (inclusive)."""
    positions = [i for i, char in enumerate(sentence) if char != " "]
    if not 0 <= first <= last < len(positions):
        return None
    return sentence[positions[first]:positions[last] + 1]
