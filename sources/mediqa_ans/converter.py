"""MEDIQA-AnS ``question_driven_answer_summarization_primary_dataset.json`` -> task102.

Based on the dataset paper (Savery et al. 2020) and public readers of the
file: a JSON object keyed by question id, each value ``{"question",
"multi_abs_summ", "multi_ext_summ", "answers": {answer_id: {"answer_abs_summ",
"answer_ext_summ", "section_text", "article", "url", "rating"}}}``.

task102: input the consumer question, output ``multi_abs_summ``, the expert
abstractive summary of all the question's answers (the comprehensive answer
from trusted sources). A question without text or without that summary is
reported. Split: task102 is a training task; everything is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_json
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task102"
_FILE = "question_driven_answer_summarization_primary_dataset.json"


def _clean(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


class Converter(Source):
    """MEDIQA-AnS converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, _FILE):
            document = read_json(path, on_error=report)
            if document is None:
                continue  # unreadable: reported by read_json
            if not isinstance(document, dict):
                raise InputError(path, None, "expected a JSON object keyed by question id")
            for index, (qid, item) in enumerate(document.items(), start=1):
                where = f"record {index} (question {qid})"
                if not isinstance(item, dict):
                    report(InputError(path, where, f"expected an object, got {type(item).__name__}"))
                    continue
                question, summary = _clean(item.get("question")), _clean(item.get("multi_abs_summ"))
                if not question or not summary:
                    report(InputError(path, where, "missing question or multi_abs_summ"))
                    continue
                yield Example(task_id=TASK, split=Split.TRAIN, input=question, output=summary,
                              raw_id=str(qid), origin=self.origin(path, where))
