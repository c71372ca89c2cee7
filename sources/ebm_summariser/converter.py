"""EBMSummariser ``ClinicalInquiries.xml`` -> task99 (QA) and task100 (justification).

Based on the upstream preparation script (``MAGIC-AI4Med/MedS-Ins``
``data_preparing/ebms_question_answering_and_justification.py``) and the
corpus authors' readers: the file is a root element of ``<record id>``
elements, each with ``<question>`` and ``<answer>``; the answer holds
``<snip id>`` answer components with ``<sniptext>`` and one or more
``<long id>`` justifications (``<longtext>`` plus ``<ref>`` citations).

* task99: input the question, output the record's snip texts joined by a
  space (as upstream).
* task100: input one snip text, output its justifications. Upstream wrote one
  item per long, which gives one statement several outputs; here they are
  joined by a blank line into one item per snip.

Text is whitespace-normalised (the XML is pretty-printed). Split: no official
split exists; a record is test when the first byte of ``blake2b(record id)``
is below 26 (~10%, close to MedS-Bench's 304 test items). Test records feed
task100's test split only. A record without id or question and a snip without
text are reported. A snip without any ``<long>`` is valid (the DTD says
``snip (sniptext, sor, long*)``; the release has 117): it counts in task99's
answer and gives no task100 item. The release files justifications that back
no answer component under a placeholder snip whose text is ``other`` (80 of
them, ``<sor type="">None</sor>``): it is not a statement, so it is left out of
task99's answer and gives no task100 item (not an error).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_xml
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_TEST_BELOW = 26
#: The text of the placeholder snip (``<sor type="">None</sor>``) that collects a record's leftover justifications.
_PLACEHOLDER = "other"


def split_of(record_id: str) -> Split:
    """The split of a record, from its id (see the module docstring)."""
    first_byte = hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).digest()[0]
    return Split.TEST if first_byte < _TEST_BELOW else Split.TRAIN


def text_of(element: ET.Element | None) -> str:
    """All text inside ``element``, whitespace-normalised ('' when absent)."""
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


class Converter(Source):
    """EBMSummariser converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "ClinicalInquiries.xml"):
            for where, record in iter_xml(path, "record", on_error=report):
                yield from self._record(path, where, record, report)

    def _record(self, path: Path, where: str, record: ET.Element, report: Reporter) -> Iterator[Example]:
        record_id = (record.get("id") or "").strip()
        question = text_of(record.find("question"))
        if not record_id or not question:
            report(InputError(path, where, "record without id or question"))
            return
        where = f"{where} (id {record_id})"
        origin = self.origin(path, where)
        split = split_of(record_id)
        snips: list[str] = []
        for snip in record.iterfind("answer/snip"):
            snip_id = (snip.get("id") or str(len(snips) + 1)).strip()
            statement = text_of(snip.find("sniptext"))
            if not statement:
                report(InputError(path, f"{where}, snip {snip_id}", "snip without sniptext"))
                continue
            if statement.lower() == _PLACEHOLDER:
                continue  # leftover justifications filed under a placeholder snip, not an answer component
            snips.append(statement)
            longs = [t for t in (text_of(long.find("longtext")) for long in snip.iterfind("long")) if t]
            if not longs:
                continue  # the DTD allows a snip without <long> (117 in the release): no task100 item, not an error
            yield Example(task_id="task100", split=split, input=statement, output="\n\n".join(longs),
                          raw_id=f"{record_id}/{snip_id}", origin=origin)
        if not snips:
            report(InputError(path, where, "record without any answer snip"))
        elif split is Split.TRAIN:
            yield Example(task_id="task99", split=Split.TRAIN, input=question, output=" ".join(snips),
                          raw_id=record_id, origin=origin)
