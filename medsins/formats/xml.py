"""XML files, streamed element by element."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError


def iter_xml(path: Path, tag: str) -> Iterator[tuple[str, ET.Element]]:
    """Yield ``("element N (line L)", element)`` for each complete ``tag`` element.

    Elements are cleared after use, so large files stream in flat memory.
    Malformed XML raises :class:`InputError` with the parser's line and column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file does not exist")
    if path.stat().st_size == 0:
        raise InputError(path, None, "file is empty")
    count = 0
    try:
        for _event, element in ET.iterparse(path, events=("end",)):
            if element.tag == tag:
                count += 1
                yield f"element <{tag}> #{count}", element
                element.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = getattr(exc, "msg", None) or str(exc)
        raise InputError(path, f"line {line}, column {column}", f"malformed XML: {reason}") from None
