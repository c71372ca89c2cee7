"""TMX translation memories (Translation Memory eXchange 1.4, as the EU agencies ship them).

Each ``<tu>`` (translation unit) holds one ``<tuv xml:lang="EN">`` per
language with the sentence in ``<seg>``. The files are streamed element by
element (the ECDC and DGT memories are hundreds of MB and often UTF-16
encoded, which the XML declaration and byte-order mark announce). Language
codes are keyed by their primary subtag in lower case (``EN-GB`` -> ``en``);
inline markup inside ``<seg>`` (``<ph>``, ``<bpt>``, ...) is dropped, keeping
its text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medsins.formats.text import OnError, file_reader
from medsins.formats.xml import iter_xml

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class TranslationUnit:
    """One ``<tu>``: its ``tuid`` (if any) and language -> segment text."""

    tuid: str
    segments: dict[str, str]

    def get(self, language: str) -> str | None:
        """The segment in ``language`` (primary subtag), or None when absent or blank."""
        text = self.segments.get(language.lower())
        return text if text and text.strip() else None


def language_key(code: str) -> str:
    """``EN-GB`` -> ``en``: the lower-case primary subtag."""
    return code.replace("_", "-").split("-")[0].strip().lower()


@file_reader
def read_tmx(path: Path, *, on_error: OnError = None) -> Iterator[tuple[str, TranslationUnit]]:
    """Yield ``("tu N", unit)`` for each translation unit, in file order.

    Malformed XML raises :class:`~medsins.errors.InputError` with the parser's
    line and column. A ``<tuv>`` without a language or ``<seg>`` is ignored; a
    language seen twice in a unit keeps its first segment.
    """
    for number, (_, element) in enumerate(iter_xml(path, "tu", on_error=on_error), start=1):
        segments: dict[str, str] = {}
        for tuv in element.iter("tuv"):
            code = tuv.get(_XML_LANG) or tuv.get("lang") or ""
            seg = tuv.find("seg")
            if not code or seg is None:
                continue
            segments.setdefault(language_key(code), "".join(seg.itertext()).strip())
        yield f"tu {number}", TranslationUnit(tuid=element.get("tuid", ""), segments=segments)
