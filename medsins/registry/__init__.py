"""The task registry: every MedS-Ins / MedS-Bench task id and its card.

The built-in cards live in ``catalog.toml`` beside this file (one ``[[task]]``
table per task, the only place a task's metadata is written). A third-party
source may define new tasks in a ``tasks.toml`` next to its manifest; the
registry merges them and refuses an id defined twice.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from medsins.errors import InputError, MedsinsError, UnknownNameError
from medsins.records import Task
from medsins.taxonomy import ALL_CONFIG, config_of, resolve_config

CATALOG = Path(__file__).with_name("catalog.toml")

#: MedS-Bench category configs (issue: the benchmark's 12 scoring groups).
BENCH_CONFIG = "bench"


def read_task_file(path: Path) -> list[Task]:
    """Read and validate a ``tasks.toml`` / ``catalog.toml`` file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(path, None, f"cannot read task file: {exc}") from None
    tasks = []
    for index, raw in enumerate(data.get("task", [])):
        try:
            tasks.append(Task.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise InputError(
                path, f"task #{index + 1} ({raw.get('id', '?')})", f"{field}: {first['msg']}"
            ) from None
    return tasks


class Registry:
    """An immutable set of task cards with lookups by id, config and benchmark.

    Example:
        >>> from medsins import tasks
        >>> reg = tasks()
        >>> reg.get("task125").category.value
        'Named Entity Recognition'
    """

    def __init__(self, tasks: Iterable[Task]) -> None:
        by_id: dict[str, Task] = {}
        for task in tasks:
            if task.id in by_id:
                raise MedsinsError(f"task {task.id} is defined twice")
            by_id[task.id] = task
        self._by_id = dict(sorted(by_id.items(), key=lambda kv: kv[1].number))

    def __iter__(self) -> Iterator[Task]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._by_id

    def get(self, task_id: str) -> Task:
        """The card of ``task_id``; raises :class:`UnknownNameError` with close matches."""
        try:
            return self._by_id[task_id]
        except KeyError:
            raise UnknownNameError("task", task_id, list(self._by_id)) from None

    def config_of(self, task_id: str) -> str:
        """The category config name of a task (``ner`` for task125)."""
        return config_of(self.get(task_id).category)

    def merged(self, extra: Iterable[Task]) -> Registry:
        """A new registry with ``extra`` cards added (duplicates are an error)."""
        return Registry([*self, *extra])

    def benchmark_configs(self) -> list[str]:
        """The MedS-Bench category names present, in first-seen order."""
        return list(dict.fromkeys(t.benchmark for t in self if t.benchmark))

    def select(self, name: str) -> list[Task]:
        """Tasks named by a config, alias, benchmark category, ``bench``, ``all`` or task id."""
        if name in self._by_id:
            return [self._by_id[name]]
        config = resolve_config(name)
        if config == ALL_CONFIG:
            return list(self)
        if config is not None:
            return [t for t in self if config_of(t.category) == config]
        if name == BENCH_CONFIG:
            return [t for t in self if t.benchmark]
        bench = [t for t in self if t.benchmark == name]
        if bench:
            return bench
        raise UnknownNameError("config or task", name, self.names())

    def names(self) -> list[str]:
        """Every name :meth:`select` accepts (for suggestions)."""
        from medsins.taxonomy import CATEGORIES

        names = [ALL_CONFIG, BENCH_CONFIG, *self.benchmark_configs(), *self._by_id]
        for info in CATEGORIES:
            names += [info.config, *info.aliases]
        return list(dict.fromkeys(names))


@lru_cache(maxsize=1)
def builtin_registry() -> Registry:
    """The registry of the built-in catalog (cached: it is immutable)."""
    return Registry(read_task_file(CATALOG))
