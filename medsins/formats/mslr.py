"""MSLR-style multi-document summarisation CSVs (MS^2 and the Cochrane RCT set).

The MSLR 2022 shared task (``allenai/mslr-shared-task``) ships both corpora
as ``<split>-inputs.csv`` (``ReviewID, PMID, Title, Abstract``: one row per
study), ``<split>-targets.csv`` (``ReviewID, Target``: the review's summary)
and, for MS^2 only, ``<split>-reviews-info.csv`` (``ReviewID, Background``).
Each file also has an unnamed leading index column, which is ignored.
:func:`read_reviews` joins them into one :class:`Review` per target row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medsins.errors import InputError
from medsins.formats.csvfile import stream_csv
from medsins.formats.text import OnError, file_reader, report


@dataclass(frozen=True)
class Study:
    """One included study."""

    pmid: str
    title: str
    abstract: str


@dataclass(frozen=True)
class Review:
    """A review: its studies (file order), its target summary and optional background."""

    review_id: str
    target: str
    studies: list[Study] = field(default_factory=list)
    background: str = ""


@file_reader
def read_reviews(
    inputs: Path, targets: Path, reviews_info: Path | None = None, *, on_error: OnError = None
) -> Iterator[tuple[Path, str, Review]]:
    """Yield ``(targets file, "line N (review R)", review)`` in the targets file's order.

    A target whose review has no study with a title or abstract, an empty
    target and a review repeated in the targets file go to ``on_error``.
    Missing columns raise :class:`InputError` naming the file.
    """
    studies: dict[str, list[Study]] = {}
    for _, row in stream_csv(inputs, required=("ReviewID", "PMID", "Title", "Abstract"), on_error=on_error):
        title, abstract = " ".join(row["Title"].split()), " ".join(row["Abstract"].split())
        if title or abstract:
            studies.setdefault(row["ReviewID"].strip(), []).append(Study(row["PMID"].strip(), title, abstract))
    backgrounds: dict[str, str] = {}
    if reviews_info is not None:
        for _, row in stream_csv(reviews_info, required=("ReviewID", "Background"), on_error=on_error):
            backgrounds[row["ReviewID"].strip()] = " ".join(row["Background"].split())
    seen: set[str] = set()
    for where, row in stream_csv(targets, required=("ReviewID", "Target"), on_error=on_error):
        review_id, target = row["ReviewID"].strip(), " ".join(row["Target"].split())
        at = f"{where} (review {review_id})"
        if review_id in seen:
            report(on_error, InputError(targets, at, "review repeated in the targets file"))
        elif not target:
            report(on_error, InputError(targets, at, "empty Target"))
        elif review_id not in studies:
            report(on_error, InputError(targets, at, f"no study with a title or abstract in {Path(inputs).name}"))
        else:
            yield Path(targets), at, Review(review_id, target, studies[review_id], backgrounds.get(review_id, ""))
        seen.add(review_id)


def studies_text(review: Review) -> str:
    """The studies as ``Study N`` blocks of ``Title:`` and ``Abstract:`` lines, blank-line separated."""
    blocks = []
    for number, study in enumerate(review.studies, start=1):
        lines = [f"Study {number}"]
        if study.title:
            lines.append(f"Title: {study.title}")
        if study.abstract:
            lines.append(f"Abstract: {study.abstract}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
