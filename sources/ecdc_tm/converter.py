"""ECDC-TM (ECDC translation memory): English public-health sentences in 25 languages -> tasks 19-21.

Native file (``ECDC-TM.zip`` from the EU Joint Research Centre, as the Hugging
Face ``europa_ecdc_tm`` loader reads it): ``ECDC-TM/ECDC.tmx``, a TMX 1.4
translation memory (UTF-16 in the release; the XML declaration and byte-order
mark say so) whose ``<tu>`` units hold one ``<tuv xml:lang="EN">`` etc. per
language. It is read with :func:`medsins.formats.read_tmx`, streaming.

Each unit feeds, where it has both languages: task19 (English -> Swedish),
task20 (English -> German) and task21 (French -> English). A unit without a
pair's languages simply does not feed that task (the memory is not complete
in every language). All three tasks are training tasks: everything is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_tmx
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

#: task id -> (source language, target language)
_PAIRS = {"task19": ("en", "sv"), "task20": ("en", "de"), "task21": ("fr", "en")}


class Converter(Source):
    """ECDC-TM converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "*.tmx"):
            units, unread = 0, []

            def note(error: InputError, unread: list[InputError] = unread) -> None:
                unread.append(error)
                report(error)

            for where, unit in read_tmx(path, on_error=note):
                units += 1
                ident = unit.tuid or where.removeprefix("tu ")
                for task_id, (source, target) in _PAIRS.items():
                    text, translation = unit.get(source), unit.get(target)
                    if text and translation:
                        yield Example(task_id=task_id, split=Split.TRAIN, input=text, output=translation,
                                      raw_id=f"{path.stem}-{ident}", origin=self.origin(path, where),
                                      input_language=source, output_language=target)
            if units == 0 and not unread:  # a malformed file was reported already
                report(InputError(path, None, "no <tu> translation unit in this TMX file"))
