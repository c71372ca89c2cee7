"""BioASQ Task B: ``training*.json`` / ``*_golden.json`` -> task104.

Based on the BioASQ Task B JSON format (participants-area guidelines, "JSON
format of the datasets"): ``{"questions": [{"id", "body", "type",
"ideal_answer", "exact_answer", "documents", "snippets", ...}]}`` where
``ideal_answer`` is a list of paragraph answers (a plain string in some early
files). The question body is the input and the first non-empty ideal answer
the output. Files are streamed (``questions.item``), so the ~5,000-question
training files are never held whole.

Every BioASQ edition's training file repeats the earlier editions' questions,
so a question id already converted is skipped (it is the same item, not a new
one). A question without body, id or ideal answer is reported. A question body
already converted under another id (asked again in a later edition) is not
converted twice: with the same ideal answer it is skipped, with another one it
is reported (the first, in file-name order, is kept). Either kind of file
is enough: a copy holding only golden test batches converts too.
Split: task104 is a training task, so every record is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import iter_json_array
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task104"


def ideal_answer(value: Any) -> str:
    """The first non-empty ideal answer (list or string); '' when there is none."""
    answers = value if isinstance(value, list) else [value]
    return next((a.strip() for a in answers if isinstance(a, str) and a.strip()), "")


class Converter(Source):
    """BioASQ Task B converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        # Either kind alone is a valid copy (the golden batches are public in several benchmark bundles).
        paths = self.files(raw_dir, "training*.json", required=False) + self.files(
            raw_dir, "*_golden.json", required=False)
        if not paths:
            raise InputError(raw_dir, None, "no BioASQ file (training*.json or *_golden.json)")
        seen: set[str] = set()
        bodies: dict[str, tuple[str, str]] = {}  # question body -> (first id, its answer)
        for path in paths:
            for where, item in iter_json_array(path, "questions.item", on_error=report):
                if not isinstance(item, dict):
                    report(InputError(path, where, f"expected a question object, got {type(item).__name__}"))
                    continue
                qid, body = str(item.get("id") or "").strip(), item.get("body")
                answer = ideal_answer(item.get("ideal_answer"))
                problem = ("missing 'id'" if not qid else "missing or empty 'body'"
                           if not isinstance(body, str) or not body.strip() else "no ideal_answer" if not answer
                           else None)
                if problem:
                    report(InputError(path, f"{where} (id {qid or '?'})", problem))
                    continue
                if qid in seen:
                    continue
                seen.add(qid)
                text = str(body).strip()
                first = bodies.setdefault(text, (qid, answer))
                if first[0] != qid:
                    # The same question asked again under a new id (a later edition's batch).
                    if first[1] != answer:
                        report(InputError(path, f"{where} (id {qid})", f"same question as id {first[0]} "
                                                                        "with another ideal answer; the first is kept"))
                    continue
                yield Example(task_id=TASK, split=Split.TRAIN, input=text, output=answer,
                              raw_id=qid, origin=self.origin(path, f"{where} (id {qid})"))
