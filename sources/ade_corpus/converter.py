"""ADE Corpus V2: drugs, doses and adverse effects in MEDLINE case-report sentences -> tasks 26, 29, 37.

Native files (as the Hugging Face ``ade_corpus_v2`` loader and public readers
use them): ``DRUG-AE.rel`` and ``DRUG-DOSE.rel``, one relation per line,
``|``-separated: ``PMID|sentence|effect-or-dose|begin|end|drug|begin|end``
(the offsets count from the start of the abstract, not the sentence, so they
are not used; each entity is checked to occur in its sentence), and
``ADE-NEG.txt``: ``PMID NEG sentence`` for sentences without an adverse effect.
A sentence holding ``|`` is rejoined (the last six fields are fixed).

* task26 (drug NER): each distinct sentence of the two ``.rel`` files -> every
  drug annotated in it (negative sentences carry no drug annotation and are
  not used, since their drugs are unannotated).
* task29 (dose extraction): sentence + drug -> its dose(s) from ``DRUG-DOSE.rel``
  (several distinct doses of one drug are joined with ``, ``).
* task37 (classification): sentences of ``DRUG-AE.rel`` -> ``adverse drug event``,
  sentences of ``ADE-NEG.txt`` -> ``non-adverse drug event``; a negative
  sentence that is also a positive one is reported.

The corpus has no split; every record is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_lines
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

_ADE, _NON_ADE = "adverse drug event", "non-adverse drug event"


@dataclass
class _Sentence:
    """What the relation files say about one sentence."""

    text: str
    raw_id: str
    origin: str
    adverse: bool = False
    drugs: list[str] = field(default_factory=list)
    doses: dict[str, list[str]] = field(default_factory=dict)


class Converter(Source):
    """ADE Corpus V2 converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        sentences: dict[str, _Sentence] = {}
        for name in ("DRUG-AE.rel", "DRUG-DOSE.rel"):
            for path in self.files(raw_dir, name, required=False):
                self._relations(path, sentences, report)
        negatives = self.files(raw_dir, "ADE-NEG.txt", required=False)
        if not sentences and not negatives:
            raise InputError(raw_dir, None, "no ADE corpus file (DRUG-AE.rel, DRUG-DOSE.rel, ADE-NEG.txt)")
        for item in sentences.values():
            yield Example(task_id="task26", split=Split.TRAIN, input=item.text, output=join_entities(item.drugs),
                          raw_id=item.raw_id, origin=item.origin)
            if item.adverse:
                yield Example(task_id="task37", split=Split.TRAIN, input=item.text, output=_ADE,
                              raw_id=item.raw_id, origin=item.origin)
            for drug, doses in item.doses.items():
                yield Example(task_id="task29", split=Split.TRAIN, input=f"Sentence: {item.text}\nDrug: {drug}",
                              output=", ".join(doses), raw_id=f"{item.raw_id}:{drug}", origin=item.origin)
        for path in negatives:
            yield from self._negatives(path, sentences, report)

    def _relations(self, path: Path, sentences: dict[str, _Sentence], report: Reporter) -> None:
        adverse = path.name == "DRUG-AE.rel"
        for number, line in iter_lines(path, on_error=report):
            if not line.strip():
                continue
            where = f"line {number}"
            parts = line.split("|")
            if len(parts) < 8:
                report(InputError(path, where, f"expected 8 '|'-separated fields, found {len(parts)}"))
                continue
            pmid, text = parts[0].strip(), "|".join(parts[1:-6]).strip()
            entity, drug = parts[-6].strip(), parts[-3].strip()
            missing = [value for value in (entity, drug) if not value or value not in text]
            if missing:
                report(InputError(path, where, f"{missing[0]!r} does not occur in the sentence"))
                continue
            item = sentences.get(text)
            if item is None:
                item = sentences[text] = _Sentence(text, f"{pmid}-{path.stem}-{number}", self.origin(path, where))
            item.drugs.append(drug)
            if adverse:
                item.adverse = True
            else:
                doses = item.doses.setdefault(drug, [])
                if entity not in doses:
                    doses.append(entity)

    def _negatives(self, path: Path, positives: dict[str, _Sentence], report: Reporter) -> Iterator[Example]:
        seen: set[str] = set()
        for number, line in iter_lines(path, on_error=report):
            if not line.strip():
                continue
            where = f"line {number}"
            pmid, marker, text = [*line.split(" ", 2), "", ""][:3]
            text = text.strip()
            if marker != "NEG" or not text:
                report(InputError(path, where, f"expected 'PMID NEG sentence', found {line[:60]!r}"))
                continue
            if positives.get(text) is not None and positives[text].adverse:
                report(InputError(path, where, "sentence is also annotated with an adverse effect in DRUG-AE.rel"))
                continue
            if text in seen:
                continue  # the same negative sentence listed twice: one record
            seen.add(text)
            yield Example(task_id="task37", split=Split.TRAIN, input=text, output=_NON_ADE,
                          raw_id=f"{pmid}-NEG-{number}", origin=self.origin(path, where))
