"""CMeEE-V2: ``CMeEE-V2_{train,dev}.json`` -> task1004 Chinese medical NER.

Each item is ``{text, entities}`` with ``start_idx``/``end_idx`` both
inclusive. One record per text: the text is the input (runs of whitespace made
one space, as entity strings are) and the entity strings the output, in the NER
convention of :func:`medsins.records.join_entities`, ordered by start offset
(the longer first when two start together). An entity whose offsets do not
select its own string, or whose type is not one of the nine CMeEE types, makes
the item reported.

Split: ``CMeEE-V2_train.json`` -> train, ``CMeEE-V2_dev.json`` -> test
(``CMeEE-V2_test.json`` has no entities and is not read).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import iter_json_array
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split, join_entities

TASK = "task1004"
FILES = {"CMeEE-V2_train.json": Split.TRAIN, "CMeEE-V2_dev.json": Split.TEST}
ENTITY_TYPES = frozenset({"dis", "sym", "pro", "equ", "dru", "ite", "bod", "dep", "mic"})
_SPACES = re.compile(r"\s+")


def entity_strings(item: Any) -> tuple[str, list[str]]:
    """(text, entity strings in output order); ValueError when the item is inconsistent."""
    if not isinstance(item, dict):
        raise ValueError(f"expected an object, got {type(item).__name__}")
    text, entities = item.get("text"), item.get("entities")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    if not isinstance(entities, list):
        raise ValueError("'entities' must be a list (a file without annotations cannot be used)")
    spans: list[tuple[int, int, str]] = []
    for number, entity in enumerate(entities, start=1):
        try:
            start, end = int(entity["start_idx"]), int(entity["end_idx"])
            kind, string = entity["type"], entity["entity"]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"entity {number}: needs start_idx, end_idx, type and entity") from None
        if kind not in ENTITY_TYPES:
            raise ValueError(f"entity {number}: type {kind!r} is not a CMeEE type")
        if not 0 <= start <= end < len(text) or text[start : end + 1] != string:
            raise ValueError(
                f"entity {number}: {string!r} does not match the text at {start}-{end} "
                f"({text[start : end + 1]!r}; end_idx is inclusive)"
            )
        spans.append((start, end, string))
    spans.sort(key=lambda span: (span[0], -span[1]))
    return text, [string for _, _, string in spans]


class Converter(Source):
    """CMeEE-V2 converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        found = [
            (path, split)
            for name, split in FILES.items()
            for path in self.files(raw_dir, name, required=False)
        ]
        if not found:
            raise InputError(raw_dir, None, "no CMeEE-V2 file (CMeEE-V2_train.json or CMeEE-V2_dev.json)")
        for path, split in sorted(found):
            for where, item in iter_json_array(path, on_error=report):
                try:
                    text, strings = entity_strings(item)
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                yield Example(
                    task_id=TASK,
                    split=split,
                    input=_SPACES.sub(" ", text).strip(),
                    output=join_entities(strings),
                    raw_id=f"{path.stem}-{where.removeprefix('record ')}",
                    origin=self.origin(path, where),
                )
