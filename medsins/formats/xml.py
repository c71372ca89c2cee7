"""XML files, streamed element by element."""

from __future__ import annotations

import gzip
import io
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO

from medsins.errors import InputError, UnreadableError
from medsins.formats.bounded import BoundedStream, open_gzip
from medsins.formats.text import OnError, file_reader, whole_file
from medsins.limits import beyond, current


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
    max_depth = current().max_depth
    depth = 0
    inside = 0  # open elements of a wanted tag: their children are kept until the element is yielded
    source = _open_bounded(path)
    try:
        for event, element in ET.iterparse(source, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth > max_depth:
                    raise UnreadableError(path, f"after element {count}", beyond("XML nested", "max_depth",
                                                                                 max_depth, unit="levels"))
                inside += element.tag in tags
                continue
            depth -= 1
            if element.tag in tags:
                inside -= 1
                count += 1
                yield f"element <{element.tag}> #{count}", element
                element.clear()
            elif not inside:  # an element outside every wanted one: drop its content now (flat memory)
                element.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = getattr(exc, "msg", None) or str(exc)
        raise UnreadableError(path, f"line {line}, column {column}", f"malformed XML: {reason}") from None
    except (OSError, EOFError) as exc:  # a corrupt or truncated .gz
        raise UnreadableError(path, f"after element {count}", f"cannot decompress: {exc}") from None
    finally:
        source.close()


def _open_bounded(path: Path) -> IO[bytes]:
    """The file (decompressed when ``.gz``), refusing a text node or tag longer than an item."""
    if path.suffix == ".gz":
        return open_gzip(path, run_separator=b"<")
    return io.BufferedReader(BoundedStream(path.open("rb"), path, run_separator=b"<"))


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
