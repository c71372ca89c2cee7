"""AnEM (Anatomical Entity Mention corpus): cells and organism substances -> tasks 35 and 36.

Native files (``AnEM-1.0.4.tar.gz`` from NaCTeM, as the BigBio ``an_em``
loader reads it): BRAT standoff pairs in ``AnEM-1.0.4/standoff/``
(``PMID-<n>.txt``/``.ann`` for abstracts, ``PMC-<n>-sec-<k>`` and
``PMC-<n>-caption-<k>`` for full-text sections and captions), read with
:func:`medsins.formats.read_brat`; the split lists
(``development/train-files.list`` etc.) are not needed, since both tasks are
training tasks and every document is train.

Documents are cut into sentences with :func:`medsins.formats.line_sentence_spans`
(line breaks end sentences; never inside a mention). Each sentence gives one
record per task: task35 lists its ``Cell`` mentions, task36 its
``Organism_substance`` mentions (unique, in order; ``None`` when there is none).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_brat, line_sentence_spans
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

#: task id -> the AnEM entity type it extracts
_TASKS = {"task35": "Cell", "task36": "Organism_substance"}


class Converter(Source):
    """AnEM converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        documents = 0
        for name, doc in iter_brat(raw_dir, on_error=report):
            documents += 1
            spans = [(e.start, e.end) for e in doc.entities]
            sentences = line_sentence_spans(doc.text, spans)
            placed: set[str] = set()
            for number, (start, end) in enumerate(sentences, start=1):
                inside = [e for e in doc.entities if e.start >= start and e.end <= end]
                placed.update(e.id for e in inside)
                text = doc.text[start:end]
                origin = self.origin(Path(name), f"sentence {number} (offset {start})")
                for task_id, kind in _TASKS.items():
                    mentions = [e.text for e in sorted(inside, key=lambda e: e.start) if e.type == kind]
                    yield Example(task_id=task_id, split=Split.TRAIN, input=text, output=join_entities(mentions),
                                  raw_id=f"{doc.id}-s{number}", origin=origin)
            for entity in doc.entities:
                if entity.id not in placed and entity.type in _TASKS.values():
                    report(InputError(name, entity.id, f"mention {entity.text!r} crosses a line break"))
        if documents == 0:
            raise InputError(raw_dir, None, "no AnEM standoff document (*.ann with its .txt)")
