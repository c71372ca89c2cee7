"""``instructions.json``: the instruction variants of every task in a release.

Each task's variants are the task card's own instruction variants (written for
medsins) and, when the build is given the upstream ``RewriteDefinitions.json``,
the upstream original definition and its ~160 rewrites. ``medsins.load(...,
instruction="random", seed=...)`` picks one variant per record from here,
deterministically from the record id and the seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from medsins.registry import Registry
from medsins.upstream_instructions import InstructionSet


def instruction_table(
    registry: Registry, task_ids: Iterable[str], upstream: Mapping[str, InstructionSet] | None = None
) -> dict[str, dict[str, object]]:
    """``{task_id: {"definition", "variants", "upstream"}}`` for the given tasks, sorted."""
    table: dict[str, dict[str, object]] = {}
    for task_id in sorted(set(task_ids), key=lambda t: int(t[4:])):
        task = registry.get(task_id)
        variants = list(task.instructions)
        extra = upstream.get(task_id) if upstream else None
        if extra is not None:
            variants += extra.all
        table[task_id] = {
            "definition": task.definition,
            "variants": list(dict.fromkeys(v.strip() for v in variants if v.strip())),
            "upstream": extra is not None,
        }
    return table


def render_instructions(table: Mapping[str, object]) -> str:
    """Deterministic JSON text of an instruction table."""
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def read_instructions(path: Path) -> dict[str, dict[str, object]]:
    """Read an ``instructions.json`` file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
