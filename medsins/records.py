"""The data model: the single source of truth for records, tasks and sources.

* :class:`Example` is what a source converter yields: one raw item mapped to a
  task, before the taxonomy is attached.
* :class:`Record` is one row of the released dataset.
* :class:`Task` is a task card of the registry.
* :class:`SourceManifest` describes a corpus: license, access level, files.

The JSON Schemas in ``schemas/`` are generated from these models
(``python -m medsins.schemas``) and a test fails when they drift.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from medsins.taxonomy import Category, TextSource

#: ISO 639-1 language code.
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", examples=["en", "zh"])]

#: A task id: ``task<N>``.
TaskId = Annotated[str, Field(pattern=r"^task[0-9]+$", examples=["task125"])]

#: A source (corpus) id: lower-case letters, digits and underscores.
SourceId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", examples=["bc5cdr"])]

#: SPDX license id, ``LicenseRef-…``, or ``NOASSERTION`` when unknown.
LicenseId = Annotated[
    str,
    Field(
        pattern=r"^(NOASSERTION|LicenseRef-[A-Za-z0-9.\-]+|[A-Za-z0-9.\-+]+)$",
        examples=["MIT", "CC-BY-4.0", "LicenseRef-PhysioNet-Credentialed", "NOASSERTION"],
    ),
]

#: The license value that means "not known": representable, never redistributed.
UNKNOWN_LICENSE = "NOASSERTION"

#: The output of an NER record that has no entity.
NO_ENTITY = "None"


class Split(StrEnum):
    """A record's split in the release."""

    TRAIN = "train"
    TEST = "test"


class TaskSplit(StrEnum):
    """Which splits a task contributes to."""

    TRAIN = "train"
    TEST = "test"
    BOTH = "both"


class AccessLevel(StrEnum):
    """How a corpus may be obtained; anything but ``open`` is never published."""

    OPEN = "open"
    REGISTERED = "registered"
    CREDENTIALED = "credentialed"


class AnswerFormat(StrEnum):
    """The shape of a task's outputs; drives conformance checks and scoring."""

    TEXT = "text"  # free text (summaries, explanations, translations, answers)
    LABEL = "label"  # one label from a closed set
    MCQA = "mcqa"  # "<letter>. <option text>" from ``options``; several correct options one a line
    ENTITIES = "entities"  # entity strings joined by newlines, or NO_ENTITY


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Example(_Model):
    """One raw item mapped to a task by a converter (the converter's output).

    Only what the converter knows goes here; the taxonomy, license and record id
    are attached by :func:`medsins.convert.to_record`.
    """

    task_id: TaskId
    split: Split
    input: str
    output: str
    raw_id: str = Field(description="The item's id in its corpus (stable across runs).")
    origin: str = Field(description="Where the item came from: file name and line/record.")
    instruction: str | None = Field(
        default=None, description="Overrides the task's definition when the item needs its own."
    )
    options: list[str] = Field(
        default_factory=list, description="MCQA options as '<letter>. <text>', in order."
    )
    input_language: Language | None = None
    output_language: Language | None = None
    license: LicenseId | None = Field(
        default=None, description="Per-item license when it differs from the source's (task files)."
    )


class Record(_Model):
    """One row of the released dataset (the contract users and the Hub rely on)."""

    id: str = Field(pattern=r"^task[0-9]+-[0-9a-f]{16}$", description="Stable, deterministic.")
    task_id: TaskId
    source: SourceId
    category: Category
    config: str
    split: Split
    instruction: str = Field(min_length=1)
    input: str
    output: str
    input_language: Language
    output_language: Language
    instruction_language: Language
    license: LicenseId
    text_source: TextSource
    domains: list[str] = Field(default_factory=list)
    options: list[str] = Field(default_factory=list)
    raw_id: str
    origin: str

    @field_validator("input", "output")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty or whitespace")
        return value


def record_id(task_id: str, source: str, split: str, raw_id: str) -> str:
    """The deterministic id of a record: the task id and a 64-bit content key.

    It depends only on where the item came from, never on run order, so two
    builds (with any number of workers) give the same ids.
    """
    key = "\x1f".join((task_id, source, split, raw_id)).encode("utf-8")
    return f"{task_id}-{hashlib.blake2b(key, digest_size=8).hexdigest()}"


class Task(_Model):
    """A task card: what a task asks, where its data comes from, how it is scored."""

    id: TaskId
    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Short slug, e.g. bc5cdr_chemical_ner.")
    category: Category
    source: SourceId | None = Field(
        default=None, description="The corpus source id; None when the corpus is unknown."
    )
    corpus: str = Field(description="Human name of the corpus, or UNKNOWN.")
    input_languages: list[Language] = Field(min_length=1)
    output_languages: list[Language] = Field(min_length=1)
    instruction_language: Language = "en"
    text_source: TextSource
    split: TaskSplit
    answer_format: AnswerFormat = AnswerFormat.TEXT
    labels: list[str] = Field(default_factory=list, description="Closed label set, if any.")
    definition: str = Field(min_length=20)
    instructions: list[str] = Field(min_length=1, description="Instruction variants.")
    domains: list[str] = Field(default_factory=list)
    benchmark: str | None = Field(
        default=None, description="MedS-Bench category config (e.g. mcqa) if a benchmark task."
    )
    upstream_file: str | None = Field(default=None, description="Upstream task file name.")
    in_meds_ins: bool = Field(default=True, description="Part of MedS-Ins (not benchmark-only).")
    addition: bool = Field(default=False, description="A medsins addition, not an upstream task.")

    @property
    def number(self) -> int:
        """The numeric part of the id (for sorting)."""
        return int(self.id[4:])


class RawFile(_Model):
    """A file of the corpus's native distribution that the converter reads."""

    pattern: str = Field(description="Glob of the native file name, e.g. '*.PubTator.txt'.")
    description: str = ""
    required: bool = True


class Snapshot(_Model):
    """A real copy of the corpus the converter was checked against (repository and commit)."""

    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="GitHub owner/name.")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    files: list[str] = Field(min_length=1, description="Paths in the repository that were converted.")
    checked: str = Field(
        min_length=10, description="What was compared by hand: items, counts, what was fixed."
    )


class SourceManifest(_Model):
    """Everything known about a corpus, and the promise its converter makes."""

    id: SourceId
    name: str
    homepage: HttpUrl
    citation: str = Field(min_length=10)
    license: LicenseId
    license_url: HttpUrl | None = None
    access: AccessLevel
    languages: list[Language] = Field(min_length=1)
    text_source: TextSource
    tasks: list[TaskId] = Field(min_length=1)
    raw_files: list[RawFile] = Field(min_length=1)
    version: str = Field(default="1.0.0", description="Converter version (part of provenance).")
    description: str = ""
    native: bool = Field(default=True, description="False for sources that repackage upstream files.")
    synthetic_sample: bool = Field(
        default=False, description="The bundled sample is synthetic (never real patient text)."
    )
    verified: list[Snapshot] = Field(
        default_factory=list,
        description="Real copies of the corpus this converter was run on and compared by hand; "
        "empty when it was checked only on hand-written samples.",
    )
    unverified_reason: str = Field(
        default="", description="Why no real copy was checked (e.g. no public mirror), when ``verified`` is empty."
    )

    @model_validator(mode="after")
    def _license_has_url(self) -> SourceManifest:
        # A license claim must point at its text so a reviewer can check it.
        if self.license != UNKNOWN_LICENSE and self.license_url is None:
            raise ValueError(f"license {self.license!r} needs a license_url")
        return self

    @property
    def license_known(self) -> bool:
        """True unless the license is NOASSERTION."""
        return self.license != UNKNOWN_LICENSE

    @property
    def redistributable(self) -> bool:
        """Open access with a known license: may appear in a public release."""
        return self.license_known and self.access is AccessLevel.OPEN


def join_entities(entities: list[str]) -> str:
    """The NER output convention: unique entities in first-seen order, one per line."""
    seen: dict[str, None] = {}
    for entity in entities:
        clean = re.sub(r"\s+", " ", entity).strip()
        if clean:
            seen.setdefault(clean, None)
    return "\n".join(seen) if seen else NO_ENTITY


def split_entities(output: str) -> list[str]:
    """Inverse of :func:`join_entities`."""
    if output.strip() == NO_ENTITY:
        return []
    return [line.strip() for line in output.splitlines() if line.strip()]


OptionLetter = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]
LETTERS = "ABCDEFGHIJ"


def format_options(options: list[str]) -> list[str]:
    """Label option texts A., B., … in order."""
    return [f"{LETTERS[i]}. {text.strip()}" for i, text in enumerate(options)]


def mcqa_input(question: str, options: list[str]) -> str:
    """The MCQA input convention: the question, then one labelled option a line."""
    return "\n".join([question, *options])


def mcqa_example(
    task_id: str,
    split: Split,
    question: str,
    options: list[str],
    chosen: list[str],
    *,
    multi_answer_instruction: str,
    raw_id: str,
    origin: str,
) -> Example:
    """An MCQA :class:`Example` whose answer is one or several of the labelled ``options``.

    The output is the chosen options one a line, in order. An item with several
    correct options gets ``multi_answer_instruction`` (formatted with ``count``) as
    its own instruction, since the task's definition asks for one answer.
    """
    multi = len(chosen) > 1
    return Example(
        task_id=task_id,
        split=split,
        input=mcqa_input(question, options),
        output="\n".join(chosen),
        options=options,
        instruction=multi_answer_instruction.format(count=len(chosen)) if multi else None,
        raw_id=raw_id,
        origin=origin,
    )
