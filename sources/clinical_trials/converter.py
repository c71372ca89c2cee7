"""LCT clinical-trial criteria: SpERT ``{train,dev,test}.json`` -> task77 entities + relations.

A SpERT item is one criteria line of one trial: ``orig_id`` is
``<line number>_<NCT id>``, ``tokens`` the line's tokens (whitespace tokens
included), ``entities`` token spans (end exclusive) with a type, ``relations``
pairs of entity indices with a type. Items are shuffled, so they are regrouped
per trial (trials in order of first appearance, lines by number) into one
record, as upstream does:

* input: one ``Line<n>: <text>`` row per line, the text being the line's
  non-whitespace tokens joined by single spaces;
* output: compact JSON ``{"Line<n>": {"Entities": [[text, type], ...],
  "Relations": [[head text, tail text, type], ...]}}``.

Types are folded into the LCT inventory (``Acuteness___chronic`` ->
``Acuteness``, ``Condition-Name`` -> ``Condition``) and an entity that becomes a
duplicate of another (same span, same type) is listed once. Entities are in
order of their first token (the longer first on ties), relations in order of
their head, then tail. A line with a malformed entity or relation, or a line
number given twice for a trial, is reported and left out of its trial.

Split: task77 is a training task, so every file is train.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import iter_json_array
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

TASK = "task77"
FILES = ("train.json", "dev.json", "test.json")


def entity_type(raw: str) -> str:
    """The LCT type of a SpERT entity type: value suffix and ``-Name`` folded away."""
    return raw.split("___", 1)[0].removesuffix("-Name")


@dataclass(frozen=True)
class Line:
    """One annotated criteria line."""

    number: int
    text: str
    entities: list[list[str]]
    relations: list[list[str]]


def parse_line(item: Any) -> tuple[str, Line]:
    """(NCT id, line) of a SpERT item; ValueError when it is malformed."""
    if not isinstance(item, dict):
        raise ValueError(f"expected an object, got {type(item).__name__}")
    orig_id, tokens = item.get("orig_id"), item.get("tokens")
    number, _, trial = str(orig_id).partition("_")
    if not number.isdigit() or not trial:
        raise ValueError(f"orig_id {orig_id!r} is not '<line number>_<trial id>'")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ValueError("'tokens' must be a list of strings")
    text = " ".join(t.strip() for t in tokens if t.strip())
    spans: list[tuple[int, int, str, str]] = []  # start, end, type, text
    for index, entity in enumerate(item.get("entities", [])):
        try:
            start, end, kind = int(entity["start"]), int(entity["end"]), str(entity["type"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"entity {index}: needs start, end and type") from None
        words = " ".join(t.strip() for t in tokens[start:end] if t.strip()) if 0 <= start < end <= len(tokens) else ""
        if not words:
            raise ValueError(f"entity {index}: tokens {start}-{end} hold no text (line has {len(tokens)} tokens)")
        spans.append((start, end, entity_type(kind), words))
    order = sorted(dict.fromkeys(spans), key=lambda s: (s[0], -s[1]))
    rank = {span: position for position, span in enumerate(order)}
    relations: list[tuple[int, int, list[str]]] = []
    for index, relation in enumerate(item.get("relations", [])):
        try:
            head, tail, kind = spans[int(relation["head"])], spans[int(relation["tail"])], str(relation["type"])
        except (KeyError, TypeError, ValueError, IndexError):
            raise ValueError(f"relation {index}: head and tail must index the line's entities") from None
        relations.append((rank[head], rank[tail], [head[3], tail[3], kind]))
    relations.sort(key=lambda r: (r[0], r[1]))
    entities = [[words, kind] for _, _, kind, words in order]
    triples = list(dict.fromkeys(tuple(triple) for _, _, triple in relations))  # folded types may repeat one
    return trial, Line(int(number), text, entities, [list(triple) for triple in triples])


@dataclass
class _Trial:
    lines: dict[int, Line] = field(default_factory=dict)
    wheres: list[str] = field(default_factory=list)


class Converter(Source):
    """LCT (clinical-trials-gov-data) SpERT converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        paths = [path for name in FILES for path in self.files(raw_dir, name, required=False)]
        if not paths:
            raise InputError(raw_dir, None, "no LCT SpERT file (train.json, dev.json or test.json)")
        for path in sorted(paths):
            trials: dict[str, _Trial] = {}
            for where, item in iter_json_array(path, on_error=report):
                try:
                    trial_id, line = parse_line(item)
                except ValueError as exc:
                    report(InputError(path, where, str(exc)))
                    continue
                trial = trials.setdefault(trial_id, _Trial())
                if line.number in trial.lines:
                    report(InputError(path, where, f"line {line.number} of {trial_id} is given twice"))
                    continue
                trial.lines[line.number] = line
                trial.wheres.append(where.removeprefix("record "))
            for trial_id, trial in trials.items():
                lines = [trial.lines[n] for n in sorted(trial.lines)]
                output = {f"Line{x.number}": {"Entities": x.entities, "Relations": x.relations} for x in lines}
                yield Example(
                    task_id=TASK,
                    split=Split.TRAIN,
                    input="\n".join(f"Line{x.number}: {x.text}" for x in lines),
                    output=json.dumps(output, ensure_ascii=False),
                    raw_id=f"{path.stem}-{trial_id}",
                    origin=self.origin(path, f"{trial_id}, records {', '.join(trial.wheres)}"),
                )
