"""PubTator text format (title/abstract lines, mention lines, relation lines)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medsins.errors import InputError
from medsins.formats.text import OnError, iter_lines, report


@dataclass(frozen=True)
class Mention:
    """An annotated span: offsets into ``title + " " + abstract``."""

    start: int
    end: int
    text: str
    type: str
    identifiers: str


@dataclass
class Document:
    """One PubTator document."""

    pmid: str
    title: str = ""
    abstract: str = ""
    mentions: list[Mention] = field(default_factory=list)
    relations: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Title and abstract as PubTator offsets count them."""
        return f"{self.title} {self.abstract}" if self.abstract else self.title


def read_pubtator(path: Path, *, on_error: OnError = None) -> Iterator[tuple[str, Document]]:
    """Yield ``("line N", document)``; a document with a bad line goes to ``on_error``.

    Mention offsets are checked against the text, so a corrupted file is
    caught here rather than producing wrong entities.
    """
    doc: Document | None = None
    start = 0
    bad: InputError | None = None

    def flush() -> Iterator[tuple[str, Document]]:
        if doc is None:
            return
        if bad is not None:
            report(on_error, bad)
        else:
            yield f"line {start}", doc

    for number, line in iter_lines(path):
        if not line.strip():
            yield from flush()
            doc, bad = None, None
            continue
        where = f"line {number}"
        head, sep, rest = line.partition("|")
        if sep and rest[:2] in ("t|", "a|") and "\t" not in head:
            if doc is None:
                doc, start = Document(head), number
            elif doc.pmid != head and bad is None:
                bad = InputError(path, where, f"PMID {head} inside document {doc.pmid} (missing blank line?)")
            if rest[0] == "t":
                doc.title = rest[2:]
            else:
                doc.abstract = rest[2:]
            continue
        parts = line.split("\t")
        if doc is None:
            report(on_error, InputError(path, where, "annotation line before any title line"))
            continue
        if bad is not None:
            continue
        if parts[0] != doc.pmid:
            bad = InputError(path, where, f"PMID {parts[0]} inside document {doc.pmid}")
        elif len(parts) >= 5 and parts[1].isdigit() and parts[2].isdigit():
            begin, end = int(parts[1]), int(parts[2])
            if doc.text[begin:end] != parts[3]:
                bad = InputError(
                    path, where, f"mention {parts[3]!r} does not match text at {begin}-{end} ({doc.text[begin:end]!r})"
                )
            else:
                doc.mentions.append(Mention(begin, end, parts[3], parts[4], parts[5] if len(parts) > 5 else ""))
        elif len(parts) >= 3 and not parts[1].isdigit():
            doc.relations.append(tuple(parts[1:]))
        else:
            bad = InputError(path, where, f"expected a mention (6 tab-separated fields) or a relation, found {len(parts)} fields")
    yield from flush()
