"""SQuAD-style question answering files (v1.1 / v2.0 and derivatives).

The layout is ``{"data": [{"title"?, "paragraphs": [{"context", "qas":
[{"id", "question", "answers": [{"text", "answer_start"}], "is_impossible"?}]
, ...}]}]}``. Corpora add keys at any level (COVID-QA's ``document_id``,
MASH-QA's multi-span ``answers``); :func:`read_squad` keeps the paragraph's
extra keys so a converter can use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats.jsonfile import read_json
from medsins.formats.text import OnError, file_reader, report


@dataclass(frozen=True)
class Answer:
    """One answer span: its text and character offset in the context (-1 when absent)."""

    text: str
    start: int = -1


@dataclass(frozen=True)
class SquadQuestion:
    """One question with its paragraph."""

    id: str
    question: str
    context: str
    answers: list[Answer]
    is_impossible: bool = False
    title: str = ""
    paragraph: dict[str, Any] = field(default_factory=dict)
    #: Position of the article in ``data`` and of the paragraph in it (1-based; 0 when unknown).
    article_number: int = 0
    paragraph_number: int = 0

    def answer_texts(self) -> list[str]:
        """Distinct answer texts, ordered by their offset in the context (then first seen)."""
        ordered = sorted(enumerate(self.answers), key=lambda p: (p[1].start if p[1].start >= 0 else 1 << 62, p[0]))
        seen: dict[str, None] = {}
        for _, answer in ordered:
            text = answer.text.strip()
            if text:
                seen.setdefault(text, None)
        return list(seen)


@file_reader
def read_squad(path: Path, *, on_error: OnError = None) -> Iterator[tuple[str, SquadQuestion]]:
    """Yield ``("article A, paragraph P, question Q (id X)", question)`` for every question.

    A file without a top-level ``data`` list raises :class:`InputError`; a
    malformed article, paragraph or question goes to ``on_error``.
    """
    document = read_json(path)
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list):
        raise InputError(path, None, "expected a SQuAD object with a 'data' list")
    for a, article in enumerate(data, start=1):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            report(on_error, InputError(path, f"article {a}", "article without a 'paragraphs' list"))
            continue
        title = str(article.get("title") or "")
        for p, paragraph in enumerate(paragraphs, start=1):
            where = f"article {a}, paragraph {p}"
            if not (isinstance(paragraph, dict) and isinstance(paragraph.get("context"), str)
                    and isinstance(paragraph.get("qas"), list)):
                report(on_error, InputError(path, where, "paragraph without a 'context' string and 'qas' list"))
                continue
            extra = {k: v for k, v in paragraph.items() if k not in ("context", "qas")}
            for q, qa in enumerate(paragraph["qas"], start=1):
                item = _question(qa, paragraph["context"], title, extra, (a, p))
                qid = qa.get("id") if isinstance(qa, dict) else None
                at = f"{where}, question {q}" + (f" (id {qid})" if qid is not None else "")
                if isinstance(item, str):
                    report(on_error, InputError(path, at, item))
                else:
                    yield at, item


def _question(
    qa: Any, context: str, title: str, extra: dict[str, Any], position: tuple[int, int]
) -> SquadQuestion | str:
    """The question, or the reason it is malformed."""
    if not isinstance(qa, dict):
        return f"question is a {type(qa).__name__}, not an object"
    question = qa.get("question")
    if not isinstance(question, str) or not question.strip():
        return "question without 'question' text"
    answers: list[Answer] = []
    for raw in qa.get("answers") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            return f"answer {raw!r} has no 'text' string"
        start = raw.get("answer_start")
        answers.append(Answer(raw["text"], start if isinstance(start, int) else -1))
    return SquadQuestion(
        id=str(qa.get("id", "")), question=question, context=context, answers=answers,
        is_impossible=bool(qa.get("is_impossible", False)), title=title, paragraph=extra,
        article_number=position[0], paragraph_number=position[1],
    )


def group_by_question(
    items: Iterable[tuple[str, SquadQuestion]], *, per_context: bool = False,
) -> list[tuple[str, list[SquadQuestion]]]:
    """Questions with the same (whitespace-normalised) text together, in first-seen order.

    Corpora ask one question of several paragraphs; an instruction dataset needs
    one item per input, so converters merge the answers of a group. With
    ``per_context``, only questions of the same paragraph (article number and
    paragraph number) are grouped, so a group never mixes the answers of
    different contexts: use it when the question alone does not say which
    text it is about ("What is discussed in this publication?").
    Returns ``(where of the first, [questions])`` pairs.
    """
    groups: dict[tuple[str, int, int], tuple[str, list[SquadQuestion]]] = {}
    for where, item in items:
        text = " ".join(item.question.split())
        key = (text, item.article_number, item.paragraph_number) if per_context else (text, 0, 0)
        groups.setdefault(key, (where, []))[1].append(item)
    return list(groups.values())
