"""Running a source's converter: examples → validated, tagged records.

This is the first stage of a build and the whole of ``medsins convert``. Every
raw item ends as exactly one :class:`Record` or one :class:`Rejection`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import ValidationError

from medsins.errors import InputError, UnreadableError
from medsins.plugins import Source
from medsins.records import Example, Record, record_id
from medsins.registry import Registry
from medsins.taxonomy import config_of


@dataclass(frozen=True)
class Rejection:
    """A raw item that could not become a record, or a spot of a raw file that could not be read.

    ``unreadable`` spots (bad bytes, broken syntax, a truncated end: see
    :class:`~medsins.errors.UnreadableError`) hold raw items nobody saw; they are
    counted apart from the items that were read and rejected.
    """

    source: str
    origin: str
    reason: str
    task_id: str | None = None
    raw_id: str | None = None
    unreadable: bool = False

    def to_dict(self) -> dict[str, str | None]:
        """Plain dict, for JSONL ledgers."""
        return asdict(self)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "record"
    return f"{field}: {err['msg']}"


def to_record(example: Example, source: Source, registry: Registry) -> Record:
    """Attach the task card's taxonomy and the source's license to an example.

    Raises :class:`InputError` (naming the example's origin) when the task is
    unknown, not declared by the source, or the result is not a valid record.
    """
    if example.task_id not in registry:
        raise InputError(None, example.origin, f"unknown task {example.task_id}")
    if example.task_id not in source.manifest.tasks:
        raise InputError(None, example.origin, f"task {example.task_id} is not declared by source {source.id}")
    task = registry.get(example.task_id)
    try:
        return Record(
            id=record_id(example.task_id, source.id, example.split.value, example.raw_id),
            task_id=example.task_id,
            source=source.id,
            category=task.category,
            config=config_of(task.category),
            split=example.split,
            instruction=example.instruction or task.definition,
            input=example.input,
            output=example.output,
            input_language=example.input_language or task.input_languages[0],
            output_language=example.output_language or task.output_languages[0],
            instruction_language=task.instruction_language,
            license=example.license or source.manifest.license,
            text_source=task.text_source,
            domains=task.domains,
            options=example.options,
            raw_id=example.raw_id,
            origin=example.origin,
        )
    except ValidationError as exc:
        raise InputError(None, example.origin, _first_error(exc)) from None


def convert_source(
    source: Source, raw_dir: Path | None, registry: Registry
) -> Iterator[Record | Rejection]:
    """Convert everything under ``raw_dir`` (default: the bundled sample).

    Yields records and rejections in the converter's order; never raises for
    bad input: a file that cannot be read at all becomes one rejection.
    """
    raw = Path(raw_dir) if raw_dir is not None else source.sample_dir
    rejected: list[Rejection] = []

    def report(error: InputError) -> None:
        unreadable = isinstance(error, UnreadableError)
        rejected.append(Rejection(source.id, _origin(error, raw), error.problem, unreadable=unreadable))

    source.__dict__["refused"] = []
    try:
        for example in source.convert(raw, report):
            yield from _drain(rejected)
            try:
                yield to_record(example, source, registry)
            except InputError as exc:
                yield Rejection(source.id, example.origin, exc.problem, example.task_id, example.raw_id)
    except InputError as exc:
        # The converter could not go on: whatever the source still held was not read.
        problem = f"{exc.problem}; the rest of the source was not read"
        rejected.append(Rejection(source.id, _origin(exc, raw), problem, unreadable=True))
    for error in source.__dict__.get("refused", []):  # links out of the raw folder, not followed
        report(error)
    yield from _drain(rejected)


def _drain(pending: list[Rejection]) -> Iterator[Rejection]:
    while pending:
        yield pending.pop(0)


def _origin(error: InputError, raw: Path) -> str:
    """``file, where`` with the file relative to the raw folder when possible."""
    path = error.path or str(raw)
    with suppress(ValueError):  # outside the raw folder: keep the path as given
        path = str(Path(path).resolve().relative_to(raw.resolve()))
    return f"{path}, {error.where}" if error.where else path
