"""XML files, streamed element by element."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError, UnreadableError
from medsins.formats.text import OnError, file_reader


@file_reader
def iter_xml(path: Path, tag: str, *, on_error: OnError = None) -> Iterator[tuple[str, ET.Element]]:
    """Yield ``("element N (line L)", element)`` for each complete ``tag`` element.

    Elements are cleared after use, so large files stream in flat memory.
    A ``.gz`` file is decompressed on the fly (PubMed ships its baseline so).
    Malformed XML raises :class:`InputError` with the parser's line and column
    (with ``on_error``: reports it, after the elements read so far).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file does not exist")
    if path.stat().st_size == 0:
        raise InputError(path, None, "file is empty")
    count = 0
    source = gzip.open(path, "rb") if path.suffix == ".gz" else path  # noqa: SIM115 (closed below)
    try:
        for _event, element in ET.iterparse(source, events=("end",)):
            if element.tag == tag:
                count += 1
                yield f"element <{tag}> #{count}", element
                element.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = getattr(exc, "msg", None) or str(exc)
        raise UnreadableError(path, f"line {line}, column {column}", f"malformed XML: {reason}") from None
    except (OSError, EOFError) as exc:  # a corrupt or truncated .gz
        raise UnreadableError(path, f"after element {count}", f"cannot decompress: {exc}") from None
    finally:
        if source is not path:
            source.close()
