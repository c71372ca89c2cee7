"""MASH-QA (``<split>_webmd_squad_v2_full.json``) -> task101 consumer health QA.

Based on the MASH-QA repository (``mingzhu0527/MASHQA``; its preprocessing
script reads ``{train,val}_webmd_squad_v2_{full,consec}.json``) and the paper:
SQuAD v2 JSON whose answers are several sentence spans of a WebMD article
paragraph, each span one ``answers`` entry. Read with
:func:`medsins.formats.squad.read_squad`.

task101: input the question, output the answer spans in article order joined
by a space (the full answer the spans make up). A question text asked more
than once becomes one item whose output joins the distinct answers by a blank
line. Files: task101 is a training task, so ``train_...`` and ``val_...``
feed it and ``test_...`` is not read; the ``_full`` files are used, the
``_consec`` variants only when no ``_full`` file exists (they hold the same
questions). An unanswerable question or one without answer text is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats.squad import SquadQuestion, group_by_question, read_squad
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task101"
_SPLITS = ("train", "val")


class Converter(Source):
    """MASH-QA converter."""

    def _paths(self, raw_dir: Path) -> list[Path]:
        for variant in ("full", "consec"):
            paths = [p for split in _SPLITS
                     for p in self.files(raw_dir, f"{split}_webmd_squad_v2_{variant}.json", required=False)]
            if paths:
                return paths
        raise InputError(raw_dir, None, "no train_webmd_squad_v2_full.json (or _consec) file (source mashqa)")

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        answerable: list[tuple[str, SquadQuestion]] = []
        for path in self._paths(raw_dir):
            for where, question in read_squad(path, on_error=report):
                if question.is_impossible or not question.answer_texts():
                    report(InputError(path, where, "question without an answer"))
                else:
                    answerable.append((self.origin(path, where), question))
        # Repeated questions are merged across the train and val files alike.
        for origin, group in group_by_question(answerable):
            answers: dict[str, None] = {}
            for question in group:
                answers.setdefault(" ".join(" ".join(question.answer_texts()).split()), None)
            first = group[0]
            yield Example(task_id=TASK, split=Split.TRAIN, input=" ".join(first.question.split()),
                          output="\n\n".join(answers), raw_id=first.id or origin, origin=origin)
