"""BRAT standoff annotation: a ``.txt`` document and its ``.ann`` annotations.

Only text-bound annotations (``T`` lines) are read; events, relations,
equivalences, attributes, normalisations and notes are skipped, since the
converters need entity mentions. A ``T`` line is::

    T3<TAB>Cell 104 112;120 125<TAB>B cells ... text

(type, one or more ``start end`` fragments separated by ``;``, the covered
text). Offsets are character offsets into the ``.txt`` file; each fragment is
checked against the text so a stale ``.ann`` file is caught here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medsins.errors import InputError, UnreadableError
from medsins.formats.text import OnError, find_files, iter_lines, read_text, report


@dataclass(frozen=True)
class BratEntity:
    """A text-bound annotation: its id, type and ``(start, end)`` fragments."""

    id: str
    type: str
    spans: tuple[tuple[int, int], ...]
    text: str

    @property
    def start(self) -> int:
        """Start of the first fragment."""
        return self.spans[0][0]

    @property
    def end(self) -> int:
        """End of the last fragment."""
        return self.spans[-1][1]


@dataclass
class BratDocument:
    """A BRAT document: the text and its text-bound annotations, in file order."""

    id: str
    text: str
    entities: list[BratEntity] = field(default_factory=list)


def read_brat(txt_path: Path, ann_path: Path | None = None, *, on_error: OnError = None) -> BratDocument | None:
    """Read ``NAME.txt`` and its ``NAME.ann`` (beside it unless ``ann_path`` is given).

    A malformed ``T`` line, or one whose offsets do not cover its text, goes to
    ``on_error`` (the entity is skipped); a missing ``.ann`` file raises
    :class:`InputError`. Offsets count characters of the text as decoded (the
    ``.txt`` file is read without newline translation). With ``on_error``, a
    document whose ``.txt`` or ``.ann`` cannot be read or decoded is reported as
    unreadable and ``None`` is returned: an entity list missing a line would be wrong.
    """
    txt_path = Path(txt_path)
    ann_path = Path(ann_path) if ann_path is not None else txt_path.with_suffix(".ann")
    try:
        text = read_text(txt_path, "utf-8", allow_empty=True)
        if not ann_path.exists():
            raise InputError(ann_path, None, f"no annotation file for {txt_path.name}")
        lines = list(iter_lines(ann_path, "utf-8")) if ann_path.stat().st_size else []
    except InputError as exc:
        if on_error is None:
            raise
        on_error(UnreadableError.of(exc, "; the document was not read"))
        return None
    doc = BratDocument(id=txt_path.stem, text=text)
    for number, line in lines:
        if not line.startswith("T"):
            continue
        entity = _entity(ann_path, number, line, text, on_error)
        if entity is not None:
            doc.entities.append(entity)
    return doc


def _entity(path: Path, number: int, line: str, text: str, on_error: OnError) -> BratEntity | None:
    where = f"line {number}"
    parts = line.split("\t")
    if len(parts) < 3:
        report(on_error, InputError(path, where, f"expected 'ID<TAB>TYPE START END<TAB>TEXT', found {line!r}"))
        return None
    ident, middle, covered = parts[0], parts[1], "\t".join(parts[2:])
    kind, _, offsets = middle.partition(" ")
    spans: list[tuple[int, int]] = []
    try:
        for fragment in offsets.split(";"):
            start, end = (int(x) for x in fragment.split())
            spans.append((start, end))
    except ValueError:
        report(on_error, InputError(path, where, f"bad offsets {offsets!r} for {ident}"))
        return None
    if not kind or not spans or any(s < 0 or e < s or e > len(text) for s, e in spans):
        report(on_error, InputError(path, where, f"offsets {offsets!r} of {ident} fall outside the text"))
        return None
    pieces = [text[s:e] for s, e in spans]
    # BRAT writes the fragments of a discontinuous entity joined by one space.
    if " ".join(pieces) != covered and "".join(pieces) != covered:
        report(on_error, InputError(
            path, where, f"{ident} text {covered!r} differs from the document text {' '.join(pieces)!r}"
        ))
        return None
    return BratEntity(id=ident, type=kind, spans=tuple(spans), text=covered)


def iter_brat(folder: Path, *, on_error: OnError = None) -> Iterator[tuple[str, BratDocument]]:
    """Yield ``(file name, document)`` for every ``*.ann`` under ``folder`` with its ``.txt``, sorted.

    Pairing starts from the ``.ann`` files, so other ``.txt`` files (READMEs)
    are not mistaken for documents; an ``.ann`` without its ``.txt`` goes to
    ``on_error``.
    """
    found, refused = find_files(folder, "*.ann")
    for error in refused:
        report(on_error, error)
    root = Path(folder).resolve()
    for ann in found:
        txt = ann.with_suffix(".txt")
        if txt.is_symlink() and not txt.resolve().is_relative_to(root):
            report(on_error, UnreadableError(txt, None, "a symbolic link leading outside the raw folder: not followed"))
            continue
        if not txt.exists():
            report(on_error, InputError(ann, None, "no .txt document beside this .ann file"))
            continue
        document = read_brat(txt, ann, on_error=on_error)
        if document is not None:
            yield txt.name, document
