"""How ``medsins bench run`` builds the prompt of one benchmark item, reproducibly.

Two protocols (``--protocol``):

``medsins`` (default), one user message::

    {instruction}

    Input:
    {shot 1 input}
    Output:
    {shot 1 output}

    ... (k shots)

    Input:
    {item input}
    Output:

``upstream`` (as MedS-Ins' ``Evaluation/EvalDataset.py`` builds it, checked
against the prompts in upstream's published results CSV), a system message of
the shots then the definition, and a user message of the query::

    system: "\\n\\n".join(["Input:\\n{x}\\n\\nOutput:\\n{y}\\n" per shot]
                         + [definition + "Please learn from the few-shot cases to see what content you have to ouput."])
    user:   "Input:\\n{x}\\nOutput:"

(upstream's typo "ouput" and missing space are kept: they are in its prompts.)

Shots are the ``k`` candidates of the same task with the smallest
``sha256(f"{seed}\\0{item id}\\0{candidate id}")``: the task's training
records when the release has any, else its other test items. The item itself
(same id or same input) is never a candidate. The choice depends only on the
seed, the item id and the candidate set, not on their order or on other tasks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

PROTOCOLS = ("medsins", "upstream")

#: Upstream's sentence after the definition, byte for byte (its typo included).
UPSTREAM_TAIL = "Please learn from the few-shot cases to see what content you have to ouput."


@dataclass(frozen=True)
class Example:
    """One record as a prompt sees it."""

    id: str
    task_id: str
    instruction: str
    input: str
    output: str


@dataclass(frozen=True)
class Prompt:
    """The chat messages sent for one item, and their hash (the resume key)."""

    messages: tuple[tuple[str, str], ...]  # (role, content)
    shots: tuple[str, ...]  # ids of the few-shot examples

    @property
    def sha256(self) -> str:
        """sha256 of the messages as canonical JSON."""
        text = json.dumps([list(m) for m in self.messages], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def as_openai(self) -> list[dict[str, str]]:
        """The messages as chat/completions expects them."""
        return [{"role": role, "content": content} for role, content in self.messages]


def choose_shots(item: Example, pool: Sequence[Example], k: int, seed: int) -> list[Example]:
    """The ``k`` shots of ``item`` from ``pool`` (see the module docstring); never the item itself."""
    if k <= 0:
        return []
    candidates = [c for c in pool if c.id != item.id and c.input != item.input]

    def rank(candidate: Example) -> str:
        key = f"{seed}\0{item.id}\0{candidate.id}".encode()
        return hashlib.sha256(key).hexdigest()

    return sorted(candidates, key=lambda c: (rank(c), c.id))[:k]


def build_prompt(item: Example, shots: Sequence[Example], instruction: str, protocol: str = "medsins") -> Prompt:
    """The prompt of ``item`` with ``shots`` and ``instruction`` under ``protocol``."""
    if protocol == "upstream":
        blocks = [f"Input:\n{s.input}\n\nOutput:\n{s.output}\n" for s in shots]
        system = "\n\n".join([*blocks, instruction + UPSTREAM_TAIL])
        messages = (("system", system), ("user", f"Input:\n{item.input}\nOutput:"))
    elif protocol == "medsins":
        parts = [instruction.strip()]
        parts += [f"Input:\n{s.input}\nOutput:\n{s.output}" for s in shots]
        parts.append(f"Input:\n{item.input}\nOutput:\n")
        messages = (("user", "\n\n".join(parts)),)
    else:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    return Prompt(messages, tuple(s.id for s in shots))
