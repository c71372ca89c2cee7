"""Section headers of free-text clinical reports (``FINDINGS:``, ``IMPRESSION:`` ...).

Radiology reports (MIMIC-CXR, MIMIC-IV-Note) are plain text whose sections
start with an upper-case header and a colon at the start of a line; the
section's text may follow on the same line. Organ sub-headings inside a
section (``LIVER:``, ``PANCREAS:``) look the same, so only known top-level
headers open a section.
"""

from __future__ import annotations

import re
from collections.abc import Collection

#: Top-level headers of radiology reports (MIMIC-CXR and MIMIC-IV radiology notes).
REPORT_HEADERS = frozenset({
    "FINAL REPORT", "EXAMINATION", "EXAM", "INDICATION", "INDICATIONS", "HISTORY", "CLINICAL HISTORY",
    "CLINICAL INFORMATION", "REASON FOR EXAMINATION", "REASON FOR EXAM", "TECHNIQUE", "PROCEDURE",
    "COMPARISON", "COMPARISONS", "FINDINGS", "FINDING", "IMPRESSION", "IMPRESSIONS", "CONCLUSION",
    "RECOMMENDATION", "RECOMMENDATIONS", "RECOMMENDATION(S)", "NOTIFICATION", "WET READ", "ADDENDUM", "DOSE",
})

_HEADER = re.compile(r"^[ \t]*([A-Z][A-Z ()/&-]*?)[ \t]*:", re.MULTILINE)


def split_sections(text: str, headers: Collection[str] = REPORT_HEADERS) -> list[tuple[str, str]]:
    """``(HEADER, text)`` pairs in report order; text before the first header is ``("", text)``.

    The section text runs to the next known header and is stripped; headers
    are returned upper-case and without the colon. A header that occurs twice
    gives two pairs (reports with an addendum repeat IMPRESSION).
    """
    known = {h.upper() for h in headers}
    starts = [(m.start(), m.end(), m.group(1).strip()) for m in _HEADER.finditer(text) if m.group(1).strip() in known]
    sections: list[tuple[str, str]] = []
    head = text[: starts[0][0]] if starts else text
    if head.strip():
        sections.append(("", head.strip()))
    for i, (_, end, name) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        sections.append((name, text[end:stop].strip()))
    return sections


def first_section(sections: list[tuple[str, str]], *names: str) -> str | None:
    """The text of the first section called one of ``names``; None when there is none."""
    wanted = {n.upper() for n in names}
    return next((body for name, body in sections if name in wanted), None)


def one_line(text: str) -> str:
    """Runs of whitespace (including report line wraps) made one space."""
    return " ".join(text.split())
