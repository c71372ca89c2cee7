"""IOB / CoNLL token-per-line files (BioBERT NER format and relatives)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medsins.errors import InputError, UnreadableError
from medsins.formats.text import OnError, file_reader, iter_lines, report


@dataclass(frozen=True)
class Sentence:
    """A sentence: its tokens and their tags (``O``, ``B-X``, ``I-X``)."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def text(self) -> str:
        """Tokens joined by single spaces (entities are joined the same way)."""
        return " ".join(self.tokens)


@file_reader
def read_iob(
    path: Path,
    *,
    columns: int | None = 2,
    delimiter: str | None = "\t",
    markers: tuple[str, ...] = ("-DOCSTART-",),
    on_error: OnError = None,
) -> Iterator[tuple[str, Sentence]]:
    """Yield ``("line N", sentence)`` for each blank-line-separated sentence.

    The first column is the token and the last the tag. With ``columns`` set, a
    line with another number of columns is an error for its sentence (the
    sentence goes to ``on_error`` and is skipped). Lines starting with one of
    ``markers`` (document markers such as CoNLL's ``-DOCSTART-`` or JNLPBA's
    ``###MEDLINE:``) are not tokens and end the current sentence.
    ``delimiter=None`` splits on any whitespace. A line that cannot be decoded
    makes its sentence unreadable (reported with the line); reading goes on.
    """
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    bad: InputError | None = None

    def unreadable_line(error: InputError) -> None:
        nonlocal bad, start
        if bad is None:
            if not tokens:
                start = int(error.where.split()[-1]) if error.where else start
            bad = UnreadableError.of(error)

    def flush() -> Iterator[tuple[str, Sentence]]:
        if bad is not None:
            report(on_error, bad)
        elif tokens:
            yield f"line {start}", Sentence(tuple(tokens), tuple(tags))

    for number, line in iter_lines(path, on_error=unreadable_line):
        if not line.strip():
            yield from flush()
            tokens, tags, bad = [], [], None
            continue
        if line.startswith(markers):
            yield from flush()
            tokens, tags, bad = [], [], None
            continue
        if not tokens and bad is None:
            start = number
        parts = line.split(delimiter) if delimiter else line.split()
        if columns is not None and len(parts) != columns:
            if bad is None:
                bad = InputError(path, f"line {number}", f"expected {columns} columns, found {len(parts)}")
            continue
        tag = parts[-1].strip()
        if tag != "O" and not (tag[:2] in ("B-", "I-", "E-", "S-") or tag in ("B", "I")):
            if bad is None:
                bad = InputError(path, f"line {number}", f"not an IOB tag: {tag!r}")
            continue
        tokens.append(parts[0])
        tags.append(tag)
    yield from flush()


def iob_entities(sentence: Sentence) -> list[tuple[str, str]]:
    """The ``(type, text)`` spans of a sentence, in order.

    ``B`` starts a span, ``I`` continues one (an ``I`` after ``O`` starts one,
    as conlleval does); the type is what follows ``B-``/``I-`` (``""`` for bare
    ``B``/``I`` tags).
    """
    spans: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    for token, tag in zip(sentence.tokens, sentence.tags, strict=True):
        if tag == "O":
            current = None
            continue
        prefix, _, kind = tag.partition("-")
        if prefix in ("B", "S") or current is None or current[0] != kind:
            current = (kind, [token])
            spans.append(current)
        else:
            current[1].append(token)
        if prefix in ("E", "S"):
            current = None
    return [(kind, " ".join(words)) for kind, words in spans]


#: The per-corpus files of the BioBERT NER data bundle (``train_dev.tsv`` repeats train
#: and devel and is not read).
BIOBERT_FILES = ("train.tsv", "devel.tsv", "test.tsv")


@dataclass(frozen=True)
class TaggedSentence:
    """An IOB sentence as an NER record needs it: text, mention strings, a stable raw id."""

    #: Where it starts ("line N"), for errors and the record's origin.
    where: str
    #: Tokens joined by single spaces.
    text: str
    #: The mention strings in order (duplicates kept; :func:`medsins.records.join_entities` merges).
    entities: list[str]
    #: ``<file stem>-<first line>``: stable as long as the file is.
    raw_id: str


def read_iob_mentions(
    path: Path,
    *,
    columns: int | None = 2,
    markers: tuple[str, ...] = ("-DOCSTART-",),
    on_error: OnError = None,
) -> Iterator[TaggedSentence]:
    """The sentences of an IOB file with their mention strings (the options are :func:`read_iob`'s)."""
    for where, sentence in read_iob(path, columns=columns, markers=markers, on_error=on_error):
        yield TaggedSentence(where, sentence.text, [text for _, text in iob_entities(sentence)],
                             f"{path.stem}-{where.removeprefix('line ')}")
