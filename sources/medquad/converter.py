"""MedQuAD: folders of ``<Document>`` XML files -> task103 health QA.

Based on the MedQuAD repository (``abachaa/MedQuAD``): one XML file per topic
in folders ``<N>_<Source>_QA/``, each ``<Document id source url>`` with a
``<Focus>`` and ``<QAPairs>`` of ``<QAPair pid>`` holding ``<Question qid
qtype>`` and ``<Answer>``.

task103: input the question, output the answer. Answers keep their line
structure (lists); each line is trimmed and runs of blank lines become one.
A question asked in several documents (the same text on GARD and GHR, say) is
one item whose output joins the distinct answers by a blank line. Pairs with
an empty answer (the MedlinePlus folders, whose answers the release removed)
or no question are reported, and so is a file that is not well-formed XML
(the other files still convert). Split: task103 is a training task; all is train.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_xml
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task103"


def clean_answer(text: str | None) -> str:
    """Trim every line and keep at most one blank line in a row."""
    out: list[str] = []
    for raw in (text or "").splitlines():
        line = " ".join(raw.split())
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


class Converter(Source):
    """MedQuAD converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        # question text -> (raw id, origin, answers in order)
        merged: dict[str, tuple[str, str, dict[str, None]]] = {}
        for path in self.files(raw_dir, "*.xml"):
            try:
                for _, document in iter_xml(path, "Document"):
                    self._document(path, document, merged, report)
            except InputError as exc:  # one broken file of thousands: report it, keep the rest
                report(exc)
        for question, (raw_id, origin, answers) in merged.items():
            yield Example(task_id=TASK, split=Split.TRAIN, input=question, output="\n\n".join(answers),
                          raw_id=raw_id, origin=origin)

    def _document(
        self, path: Path, document: ET.Element, merged: dict[str, tuple[str, str, dict[str, None]]],
        report: Reporter,
    ) -> None:
        doc_id = document.get("id") or path.stem
        for index, pair in enumerate(document.iterfind("QAPairs/QAPair"), start=1):
            question_element = pair.find("Question")
            qid = (question_element.get("qid") if question_element is not None else None) or f"{doc_id}-{index}"
            where = f"QAPair {index} (qid {qid})"
            question = " ".join((question_element.text or "").split()) if question_element is not None else ""
            answer = clean_answer(pair.findtext("Answer"))
            if not question or not answer:
                report(InputError(path, where, "empty question" if not question else "empty answer"))
                continue
            entry = merged.setdefault(question, (qid, self.origin(path, where), {}))
            entry[2].setdefault(answer, None)
