"""OBO flat-file ontologies (OBO 1.2/1.4, e.g. the Human Disease Ontology's ``doid.obo``).

A file is a header (``tag: value`` lines) followed by stanzas that open with
``[Term]``, ``[Typedef]`` or ``[Instance]``. Values may end in a comment
(``is_a: DOID:4 ! disease``) and in trailing modifiers (``{source="x"}``); a
quoted string (``def:``, ``synonym:``) may hold escaped characters (``\\"``,
``\\n``). :func:`read_obo` yields stanzas as tag -> values; :func:`quoted`
splits a quoted value into its text and the rest (scope, xrefs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medsins.errors import InputError, UnreadableError
from medsins.formats.text import OnError, file_reader, iter_lines, report

_STANZA = re.compile(r"^\[(\w+)\]\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "W": " "}


@dataclass
class Stanza:
    """One ``[Term]`` (or other) stanza: its kind and its tags in file order."""

    kind: str
    tags: dict[str, list[str]] = field(default_factory=dict)

    def first(self, tag: str, default: str = "") -> str:
        """The first value of ``tag``, or ``default``."""
        values = self.tags.get(tag)
        return values[0] if values else default

    def all(self, tag: str) -> list[str]:
        """Every value of ``tag`` (empty when absent)."""
        return self.tags.get(tag, [])

    @property
    def id(self) -> str:
        """The stanza's ``id`` tag."""
        return self.first("id")

    @property
    def obsolete(self) -> bool:
        """True for ``is_obsolete: true``."""
        return self.first("is_obsolete").lower() == "true"


def strip_comment(value: str) -> str:
    """``value`` without its ``! comment`` and ``{modifiers}`` (outside quotes), trimmed."""
    in_quote = escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_quote = not in_quote
        elif char == "!" and not in_quote:
            value = value[:index]
            break
    value = value.rstrip()
    if value.endswith("}") and "{" in value and not _inside_quotes(value, value.rindex("{")):
        value = value[: value.rindex("{")].rstrip()
    return value


def _inside_quotes(value: str, position: int) -> bool:
    in_quote = escaped = False
    for char in value[:position]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_quote = not in_quote
    return in_quote


def quoted(value: str) -> tuple[str, str]:
    """Split ``"text" rest`` into the unescaped text and the rest.

    Raises :class:`ValueError` when the value does not start with a closed
    quoted string.
    """
    value = value.lstrip()
    if not value.startswith('"'):
        raise ValueError(f"expected a quoted string, found {value[:40]!r}")
    out: list[str] = []
    index = 1
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            nxt = value[index + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            index += 2
            continue
        if char == '"':
            return "".join(out), value[index + 1 :].strip()
        out.append(char)
        index += 1
    raise ValueError(f"unterminated quoted string {value[:40]!r}")


@file_reader
def read_obo(path: Path, *, on_error: OnError = None) -> Iterator[tuple[str, Stanza]]:
    """Yield ``("line N", stanza)`` for each stanza after the header, streaming the file.

    Values have their comments and trailing modifiers removed. A line inside a
    stanza that is not ``tag: value`` makes the stanza bad: it goes to
    ``on_error`` and is skipped.
    """
    stanza: Stanza | None = None
    start = 0
    bad: InputError | None = None

    def unreadable_line(error: InputError) -> None:
        nonlocal bad
        if stanza is None:
            report(on_error, error)
        elif bad is None:  # the stanza lost a line
            bad = UnreadableError.of(error)

    def flush() -> Iterator[tuple[str, Stanza]]:
        if stanza is None:
            return
        if bad is not None:
            report(on_error, bad)
        else:
            yield f"line {start}", stanza

    for number, line in iter_lines(path, on_error=unreadable_line):
        text = line.strip()
        if not text or text.startswith("!"):
            continue
        opener = _STANZA.match(text)
        if opener:
            yield from flush()
            stanza, start, bad = Stanza(opener.group(1)), number, None
            continue
        if stanza is None:
            continue  # header lines: format-version, data-version, ontology, ...
        tag, sep, value = text.partition(":")
        if not sep or not tag or " " in tag:
            if bad is None:
                bad = InputError(path, f"line {number}", f"expected 'tag: value', found {text[:60]!r}")
            continue
        stanza.tags.setdefault(tag, []).append(strip_comment(value.strip()))
    yield from flush()
