"""MedMCQA: ``dev.json`` -> task122 (the MedS-Bench MedMCQA test).

Based on the MedMCQA release (``train.json``/``dev.json``/``test.json``, JSON
Lines despite the extension; fields ``question``, ``opa``..``opd``, ``cop``
(the correct option, 1-4), ``choice_type``, ``exp``, ``subject_name``,
``topic_name``, ``id``) as documented in the MedMCQA README and the Hugging
Face loader (which sets ``cop = -1`` for the test split: test.json has no
answers).

The input is the question followed by the four lettered options; the output
is ``"<letter>. <option text>"``. Because test.json is unlabelled, the labelled
dev.json is the benchmark's test split (what upstream MedS-Bench used: its
task122 file has the dev questions). A question whose ``cop`` is missing or not
1-4, or whose options are empty, is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_jsonl
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, format_options

TASK = "task122"
OPTION_FIELDS = ("opa", "opb", "opc", "opd")


class Converter(Source):
    """MedMCQA converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "dev.json"):
            for where, item in read_jsonl(path, on_error=report):
                question = item.get("question")
                options = [item.get(f) for f in OPTION_FIELDS]
                cop = item.get("cop")
                raw_id = str(item.get("id") or "").strip()
                problem = None
                if not raw_id:
                    problem = "missing 'id'"
                elif not isinstance(question, str) or not question.strip():
                    problem = "missing or empty 'question'"
                elif not all(isinstance(o, str) and o.strip() for o in options):
                    problem = "an option (opa..opd) is missing or empty"
                elif isinstance(cop, bool) or str(cop).strip() not in {"1", "2", "3", "4"}:
                    problem = f"cop {cop!r} is not 1-4 (an unlabelled test question?)"
                if problem:
                    report(InputError(path, where, problem))
                    continue
                labelled = format_options([str(o) for o in options])
                yield Example(
                    task_id=TASK,
                    split=Split.TEST,
                    input=f"{str(question).strip()}\n" + "\n".join(labelled),
                    output=labelled[int(str(cop).strip()) - 1],
                    options=labelled,
                    raw_id=raw_id,
                    origin=self.origin(path, where),
                )
