"""PubTator text format (title/abstract lines, mention lines, relation lines)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medsins.errors import InputError, UnreadableError
from medsins.formats.text import OnError, file_reader, iter_lines, report


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


@file_reader
def read_pubtator(path: Path, *, on_error: OnError = None) -> Iterator[tuple[str, Document]]:
    """Yield ``("line N", document)``; a document with a bad line goes to ``on_error``.

    Mention offsets are checked against the text, so a corrupted file is
    caught here rather than producing wrong entities. A line that cannot be
    decoded makes its whole document unreadable (reported once, with the
    line); reading goes on with the next document.
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

    def unreadable_line(error: InputError) -> None:
        nonlocal bad
        if doc is None:
            report(on_error, error)
        elif bad is None:  # the document lost a line: none of it can be trusted
            bad = UnreadableError(error.path, error.where, f"{error.problem} in document {doc.pmid}")

    for number, line in iter_lines(path, on_error=unreadable_line):
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
            found = doc.text[begin:end]
            # Some releases pad a mention's text with spaces the offsets leave out (NCBI-disease).
            if found != parts[3] and found != parts[3].strip():
                problem = f"mention {parts[3]!r} does not match text at {begin}-{end} ({found!r})"
                bad = InputError(path, where, problem)
            else:
                identifiers = parts[5] if len(parts) > 5 else ""
                doc.mentions.append(Mention(begin, end, found, parts[4], identifiers))
        elif len(parts) >= 3 and not parts[1].isdigit():
            doc.relations.append(tuple(parts[1:]))
        else:
            problem = f"expected a mention (6 tab-separated fields) or a relation, found {len(parts)} fields"
            bad = InputError(path, where, problem)
    yield from flush()


#: A candidate sentence boundary: final punctuation (and closers), whitespace, a sentence opener.
_BOUNDARY = re.compile(r"[.?!][\"')\]]*(\s+)(?=[A-Z0-9(\[\"'])")
#: Words whose final period does not end a sentence (compared lower-cased, without the period).
_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "vs", "etc", "al", "fig", "figs", "ref", "refs", "approx", "ca", "cf", "no", "nos",
    "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "inc", "ltd", "co", "resp", "viz", "eq", "eqs",
    "vol", "dept", "univ",
})
_WORD_BEFORE = re.compile(r"(\S+)$")


def _is_abbreviation(text: str, period: int) -> bool:
    """Whether the ``.`` at ``period`` closes an abbreviation or an initial."""
    if text[period] != ".":
        return False
    match = _WORD_BEFORE.search(text, 0, period)
    if match is None:
        return False
    word = match.group(1).lstrip("([\"'")
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def sentence_spans(doc: Document) -> list[tuple[int, int]]:
    """``(start, end)`` offsets into ``doc.text`` of the document's sentences, in order.

    The title is one sentence. The abstract is cut after ``.``, ``?`` or ``!``
    (plus closing quotes or brackets) followed by whitespace and an upper-case
    letter, digit or opening bracket, except after common abbreviations
    (``e.g.``, ``vs.``, ``et al.``, ``Fig.``, single-letter initials) and never
    inside an annotated mention. Deterministic; blank spans are dropped.
    """
    text = doc.text
    if not doc.abstract:
        return [(0, len(text))] if text.strip() else []
    protected = [(m.start, m.end) for m in doc.mentions]
    title_end = len(doc.title)
    title_gap = [] if _crosses(title_end, title_end + 1, protected) else [(title_end, title_end + 1)]
    return _spans_from_gaps(text, title_gap + _sentence_gaps(text, len(doc.title) + 1, protected))


def text_sentence_spans(text: str, protected: list[tuple[int, int]] | tuple[()] = ()) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the sentences of plain ``text``, in order.

    The same rules as :func:`sentence_spans` (for text without a title line):
    a cut after final punctuation followed by whitespace and a sentence opener,
    never after a known abbreviation or inside one of the ``protected``
    ``(start, end)`` spans (annotated mentions). Blank spans are dropped.
    """
    return _spans_from_gaps(text, _sentence_gaps(text, 0, list(protected)))


def _crosses(end: int, nxt: int, protected: list[tuple[int, int]]) -> bool:
    return any(start < nxt and stop > end for start, stop in protected)


def _sentence_gaps(text: str, start: int, protected: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Gaps between sentences from ``start`` on: (end of one sentence, start of the next)."""
    gaps = [
        (match.start(1), match.end(1))
        for match in _BOUNDARY.finditer(text, start)
        if not _is_abbreviation(text, match.start())
    ]
    return [(end, nxt) for end, nxt in gaps if not _crosses(end, nxt, protected)]


def _spans_from_gaps(text: str, gaps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    begin = 0
    for end, nxt in gaps:
        spans.append((begin, end))
        begin = nxt
    spans.append((begin, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def line_sentence_spans(text: str, protected: list[tuple[int, int]] | tuple[()] = ()) -> list[tuple[int, int]]:
    """Sentences of a multi-line document: every line break ends a sentence, then
    :func:`text_sentence_spans` cuts each line. Offsets are into ``text``;
    ``protected`` spans (mentions) are never cut inside a line."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        inside = [(s - offset, e - offset) for s, e in protected if s >= offset and e <= offset + len(line)]
        spans += [(offset + s, offset + e) for s, e in text_sentence_spans(line, inside)]
        offset += len(line) + 1
    return spans
