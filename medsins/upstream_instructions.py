"""Upstream instruction variants (``RewriteDefinitions.json``) and picking one per record.

MedS-Ins ships, beside its task files, ``Evaluation/RewriteDefinitions.json``:
for each task id an ``original_def`` (the definition; a string, or a list of
strings of which upstream uses the first) and ``auto_rewrite_def`` (about 160
rewordings, 10 for task132-136 — about 19K in all). Upstream draws one at
random per training item; :func:`pick_instruction` does the same
deterministically, from a seed and the record id, so two builds agree.

Variants are kept as published, in order and with repeats (some are listed
twice): picking from that list gives the same distribution as upstream's
sampling. Blank variants are dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsins.errors import InputError

_TASK_ID = re.compile(r"^task[0-9]+$")


@dataclass(frozen=True)
class InstructionSet:
    """A task's original definition and its rewritten instruction variants."""

    original: str
    variants: list[str]

    @property
    def all(self) -> list[str]:
        """The original followed by the variants (the pool upstream samples from)."""
        return [self.original, *self.variants]


def _original(path: Path, task_id: str, value: Any) -> str:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise InputError(path, f"{task_id}.original_def", "expected a string or a list of strings")
    for item in items:
        if item.strip():
            return item
    raise InputError(path, f"{task_id}.original_def", "is empty")


def _variants(path: Path, task_id: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InputError(path, f"{task_id}.auto_rewrite_def", "expected a list of strings")
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(
                path, f"{task_id}.auto_rewrite_def[{index}]", f"expected a string, got {type(item).__name__}"
            )
    return [item for item in items if item.strip()]


def iter_instruction_variants(path: Path) -> Iterator[tuple[str, InstructionSet]]:
    """Stream ``(task_id, InstructionSet)`` pairs from a ``RewriteDefinitions.json`` file.

    Only one task's entry is in memory at a time. A malformed file raises
    :class:`InputError` naming the file and the task key.
    """
    import ijson

    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror}") from None
    seen: set[str] = set()
    task_id = ""
    with handle:
        if not handle.read(1):
            raise InputError(path, None, "file is empty")
        handle.seek(0)
        try:
            for task_id, entry in ijson.kvitems(handle, ""):
                if not _TASK_ID.match(task_id):
                    raise InputError(path, f"key {task_id!r}", "expected a task id such as task12")
                if task_id in seen:
                    raise InputError(path, f"key {task_id!r}", "task given twice")
                seen.add(task_id)
                if not isinstance(entry, dict) or "original_def" not in entry:
                    problem = "expected an object with original_def and auto_rewrite_def"
                    raise InputError(path, task_id, problem)
                original = _original(path, task_id, entry["original_def"])
                variants = _variants(path, task_id, entry.get("auto_rewrite_def", []))
                yield task_id, InstructionSet(original, variants)
        except ijson.JSONError as exc:
            reason = str(exc).splitlines()[0].strip() if str(exc).strip() else type(exc).__name__
            what = "not valid UTF-8 text" if "utf8" in reason.lower() else "truncated or malformed JSON"
            raise InputError(path, f"after {task_id}" if seen else None, f"{what}: {reason}") from None
        except UnicodeDecodeError as exc:
            where = f"after {task_id}" if seen else None
            raise InputError(path, where, f"not valid UTF-8 text ({exc.reason})") from None
    if not seen:
        raise InputError(path, None, "expected a JSON object of task id -> instructions; found no task")


def read_instruction_variants(path: Path) -> dict[str, InstructionSet]:
    """Every task's :class:`InstructionSet` from a ``RewriteDefinitions.json`` file.

    Example:
        >>> sets = read_instruction_variants("RewriteDefinitions.json")  # doctest: +SKIP
        >>> len(sets["task100"].variants)  # doctest: +SKIP
        163
    """
    return dict(iter_instruction_variants(path))


def pick_instruction(record_id: str, variants: Sequence[str], seed: int) -> str:
    """One of ``variants`` for ``record_id``: deterministic, uniform, seed-dependent.

    The choice is a hash of the seed and the record id, so it depends neither
    on the order records are processed in nor on any random-module state.
    """
    if not variants:
        raise ValueError(f"no instruction variants to pick from for {record_id}")
    digest = hashlib.blake2b(f"{seed}\x1f{record_id}".encode(), digest_size=8).digest()
    return variants[int.from_bytes(digest, "big") % len(variants)]
