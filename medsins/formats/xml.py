"""XML files, streamed element by element."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator
from pathlib import Path

from medsins.errors import InputError, UnreadableError
from medsins.formats.text import OnError, file_reader, whole_file


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(path, None, "file does not exist")
    if path.stat().st_size == 0:
        raise InputError(path, None, "file is empty")


@file_reader
def iter_xml(
    path: Path, tag: str | Collection[str], *, on_error: OnError = None
) -> Iterator[tuple[str, ET.Element]]:
    """Yield ``("element <tag> #N", element)`` for each complete ``tag`` element.

    ``tag`` may be several tags (elements of any of them, in document order,
    numbered together). Elements are cleared after use, so large files stream in
    flat memory (an element nested in another yielded one is cleared before its
    parent is yielded). A ``.gz`` file is decompressed on the fly (PubMed ships
    its baseline so). Malformed XML raises :class:`InputError` with the parser's
    line and column (with ``on_error``: reports it, after the elements read so far).
    """
    path = Path(path)
    _check_file(path)
    tags = {tag} if isinstance(tag, str) else set(tag)
    count = 0
    source = gzip.open(path, "rb") if path.suffix == ".gz" else path  # noqa: SIM115 (closed below)
    try:
        for _event, element in ET.iterparse(source, events=("end",)):
            if element.tag in tags:
                count += 1
                yield f"element <{element.tag}> #{count}", element
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


@whole_file
def xml_root_tag(path: Path) -> str:
    """The tag of the file's root element (only the start of the file is parsed).

    Raises :class:`InputError` when the file is missing, empty or does not start
    as XML (with ``on_error=``: reports it as unreadable and returns ``None``).
    """
    path = Path(path)
    _check_file(path)
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as source:
        try:
            for _event, element in ET.iterparse(source, events=("start",)):
                return element.tag
        except ET.ParseError as exc:
            line, column = exc.position
            reason = getattr(exc, "msg", None) or str(exc)
            raise UnreadableError(path, f"line {line}, column {column}", f"malformed XML: {reason}") from None
        except (OSError, EOFError) as exc:
            raise UnreadableError(path, None, f"cannot decompress: {exc}") from None
    raise UnreadableError(path, None, "malformed XML: no root element")
