"""ChatDoctor GenMedGPT-5k: chatdoctor5k.json (Alpaca JSON) -> task66 clinical consulting.

Each item is ``{instruction, input, output}``: the patient's message is the
input and the doctor's reply the output. ``instruction`` is one fixed sentence
for the whole file, so the task card's definition is used instead. The file has
no ids; an item's id is its 1-based position in the array.

Split: task66 is a training task (no MedS-Bench test), so every item is train.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import iter_json_array
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task66"


class Converter(Source):
    """ChatDoctor GenMedGPT-5k converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for path in self.files(raw_dir, "chatdoctor5k.json"):
            where = "record 0"
            for where, item in iter_json_array(path, on_error=report):
                patient = item.get("input") if isinstance(item, dict) else None
                doctor = item.get("output") if isinstance(item, dict) else None
                if not isinstance(patient, str) or not patient.strip():
                    report(InputError(path, where, "missing or empty 'input' (the patient's message)"))
                    continue
                if not isinstance(doctor, str) or not doctor.strip():
                    report(InputError(path, where, "missing or empty 'output' (the doctor's reply)"))
                    continue
                yield Example(
                    task_id=TASK,
                    split=Split.TRAIN,
                    input=patient.strip(),
                    output=doctor.strip(),
                    raw_id=f"{path.stem}-{where.removeprefix('record ')}",
                    origin=self.origin(path, where),
                )
            if where == "record 0":  # ijson yields nothing for a non-array document
                raise InputError(path, None, "expected a JSON array of {instruction, input, output} objects")
