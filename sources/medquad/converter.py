"""MedQuAD: folders of XML files -> task103 health QA.

Based on the MedQuAD repository (``abachaa/MedQuAD``): one XML file per topic
in folders ``<N>_<Source>_QA/``. Almost every file is a ``<Document id source
url>`` with a ``<Focus>`` and ``<QAPairs>`` of ``<QAPair pid>`` holding
``<Question qid qtype>`` and ``<Answer>``. The release has two other roots, read
the same way: ``<DiseaseFile fid>`` (9_CDC_QA/0000397.xml; same children) and
``<doc docid>`` with ``<qaPairs>`` of ``<pair>`` holding ``<question>`` and
``<answer>`` (6_NINDS_QA/0000007, 0000018, 0000182, 0000244).

task103: input the question, output the answer. Answers keep their line
structure (lists); each line is trimmed and runs of blank lines become one.
A question asked in several documents (the same text on GARD and GHR, say) is
one item whose output joins the distinct answers by a blank line.

Raw ids are ``<folder>/<file stem>/<qid>`` (of the question's first occurrence):
qids such as ``0000004-1`` repeat across folders, and 1_CancerGov_QA has files
(``0000013_2.xml``, ``0000013_2_1.xml``, ...) sharing one document id and qids.

Nothing vanishes silently: a pair with an empty answer (the MedlinePlus
folders, whose answers the release removed) or no question is reported, a
document without question-answer pairs is reported, a file whose root is none
of the three is reported, and so is a file that is not well-formed XML (the
other files still convert). Split: task103 is a training task; all is train.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_xml
from medsins.formats.xml import xml_root_tag
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task103"

#: Root element -> (document id attribute, pairs container, pair, question, answer).
LAYOUTS: dict[str, tuple[str, str, str, str, str]] = {
    "Document": ("id", "QAPairs", "QAPair", "Question", "Answer"),
    "DiseaseFile": ("fid", "QAPairs", "QAPair", "Question", "Answer"),
    "doc": ("docid", "qaPairs", "pair", "question", "answer"),
}


def clean_answer(text: str | None) -> str:
    """Trim every line and keep at most one blank line in a row."""
    out: list[str] = []
    for raw in (text or "").splitlines():
        line = " ".join(raw.split())
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _pairs(document: ET.Element) -> list[tuple[ET.Element | None, str | None]]:
    """(question element, answer text) of each pair, under either spelling of the layout."""
    for _, container, pair_tag, question_tag, answer_tag in LAYOUTS.values():
        pairs = document.findall(f"{container}/{pair_tag}")
        if pairs:
            return [(pair.find(question_tag), pair.findtext(answer_tag)) for pair in pairs]
    return []


class Converter(Source):
    """MedQuAD converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        # question text -> (raw id, origin, answers in order)
        merged: dict[str, tuple[str, str, dict[str, None]]] = {}
        used_ids: set[str] = set()
        unreadable = 0

        def counting_report(error: InputError) -> None:
            nonlocal unreadable
            unreadable += 1
            report(error)

        for path in self.files(raw_dir, "*.xml"):
            documents, before = 0, unreadable
            for where, document in iter_xml(path, tuple(LAYOUTS), on_error=counting_report):
                documents += 1
                self._document(path, where, document, merged, used_ids, report)
            if documents or unreadable > before:
                continue
            root = xml_root_tag(path, on_error=report)
            if root is not None:
                expected = ", ".join(f"<{tag}>" for tag in list(LAYOUTS)[:-1]) + f" or <{list(LAYOUTS)[-1]}>"
                report(InputError(path, None, f"root <{root}> is not a MedQuAD document ({expected}); "
                                              "the file was not converted"))
        for question, (raw_id, origin, answers) in merged.items():
            yield Example(task_id=TASK, split=Split.TRAIN, input=question, output="\n\n".join(answers),
                          raw_id=raw_id, origin=origin)

    def _document(
        self, path: Path, where: str, document: ET.Element, merged: dict[str, tuple[str, str, dict[str, None]]],
        used_ids: set[str], report: Reporter,
    ) -> None:
        id_attribute = LAYOUTS[document.tag][0]
        doc_id = document.get(id_attribute) or path.stem
        pairs = _pairs(document)
        if not pairs:
            report(InputError(path, f"{where.removeprefix('element ')} ({id_attribute} {doc_id})",
                              "no question-answer pairs (<QAPairs>/<QAPair> or <qaPairs>/<pair>); "
                              "the document was not converted"))
            return
        folder = path.parent.name
        file_name = f"{folder}/{path.name}"
        for index, (question_element, answer_text) in enumerate(pairs, start=1):
            qid = (question_element.get("qid") if question_element is not None else None) or f"{doc_id}-{index}"
            where_pair = f"QAPair {index} (qid {qid})"
            question = " ".join((question_element.text or "").split()) if question_element is not None else ""
            answer = clean_answer(answer_text)
            if not question or not answer:
                report(InputError(path, where_pair, "empty question" if not question else "empty answer"))
                continue
            if question not in merged:
                raw_id = f"{folder}/{path.stem}/{qid}"
                if raw_id in used_ids:  # a qid repeated inside one file
                    raw_id = f"{raw_id}#{index}"
                used_ids.add(raw_id)
                merged[question] = (raw_id, f"{file_name}, {where_pair}", {})
            merged[question][2].setdefault(answer, None)
