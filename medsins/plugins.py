"""Source plugins: the base class converters subclass, and their discovery.

A source is a folder holding ``manifest.toml`` (a :class:`SourceManifest`),
``converter.py`` (a :class:`Source` subclass named ``Converter``), an optional
``tasks.toml`` (task cards for tasks the source introduces) and ``sample/``
(a few raw items in the corpus's native format and file names).

Built-in sources ship inside the package; third-party packages register a
``Source`` subclass under the ``medsins.sources`` entry-point group.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import tomllib
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from pydantic import ValidationError

from medsins.errors import InputError, SourceError, UnknownNameError
from medsins.formats.text import find_files
from medsins.records import Example, SourceManifest, Task

ENTRY_POINT_GROUP = "medsins.sources"

#: Receives a problem with one raw item; the item is skipped and accounted for.
Reporter = Callable[[InputError], None]


def read_manifest(path: Path) -> SourceManifest:
    """Read and validate a source's ``manifest.toml``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"{path}: cannot read manifest: {exc}") from None
    try:
        return SourceManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<manifest>'}: {e['msg']}" for e in exc.errors()
        )
        raise SourceError(f"{path}: invalid manifest: {problems}") from None


class Source:
    """Base class of a corpus converter.

    Subclasses implement :meth:`convert`. The manifest, task cards and sample
    are read from the folder of the module that defines the subclass, unless
    ``root`` is given.

    Example:
        >>> class Converter(Source):
        ...     def convert(self, raw_dir, report):
        ...         for path in self.files(raw_dir, "*.jsonl"):
        ...             for where, row in read_jsonl(path, on_error=report):
        ...                 yield Example(task_id="task57", split="test", ...)
    """

    def __init__(self, root: Path | None = None) -> None:
        if root is None:
            root = Path(inspect.getfile(type(self))).parent
        self.root = root
        self.manifest = read_manifest(root / "manifest.toml")
        #: Files :meth:`files` would not read (links leading out of the raw folder), as problems.
        self.refused: list[InputError] = []

    # -- what a converter implements -------------------------------------------------

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        """Yield one :class:`Example` per task instance found under ``raw_dir``.

        A raw item that cannot be converted is passed to ``report`` (with its
        file and line/record) and skipped; a file that cannot be read at all
        raises :class:`InputError`.
        """
        raise NotImplementedError

    def demonstrations(self, raw_dir: Path) -> dict[str, list[tuple[str, str]]]:
        """Few-shot (input, output) examples per task id that ship with the raw files.

        Sources whose files carry demonstrations (contributor task files) override
        this so the conformance suite can check they are not also instances.
        """
        return {}

    # -- helpers ---------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The source id (corpus name), e.g. ``bc5cdr``."""
        return self.manifest.id

    @property
    def sample_dir(self) -> Path:
        """The bundled native-format sample."""
        return self.root / "sample"

    def tasks(self) -> list[Task]:
        """Task cards this source introduces (from its ``tasks.toml``), if any."""
        from medsins.registry import read_task_file

        path = self.root / "tasks.toml"
        return read_task_file(path) if path.exists() else []

    def files(self, raw_dir: Path, pattern: str, *, required: bool = True) -> list[Path]:
        """Files under ``raw_dir`` (at any depth) whose name matches ``pattern``, sorted.

        Raises :class:`InputError` when a required pattern matches nothing. A
        symbolic link leading outside ``raw_dir`` is not followed: it is kept in
        :attr:`refused`, which :func:`medsins.convert.convert_source` reports.
        """
        found, refused = find_files(Path(raw_dir), pattern)
        already = self.__dict__.setdefault("refused", [])  # a subclass __init__ may not call ours
        known = {error.path for error in already}
        already.extend(error for error in refused if error.path not in known)
        if required and not found:
            raise InputError(raw_dir, None, f"no file matching {pattern!r} (source {self.id})")
        return found

    @staticmethod
    def origin(path: Path, where: str) -> str:
        """The origin string of an item: its file name and location."""
        return f"{Path(path).name}, {where}"

    def raw_files(self, raw_dir: Path) -> list[Path]:
        """Every file of ``raw_dir`` that the manifest's patterns name (for checksums)."""
        seen: set[Path] = set()
        for raw in self.manifest.raw_files:
            seen.update(self.files(raw_dir, raw.pattern, required=False))
        return sorted(seen)


def load_source_folder(folder: Path) -> Source:
    """Import ``folder/converter.py`` and instantiate its ``Converter`` with the folder's manifest."""
    module_name = f"medsins_sources.{folder.name}"
    spec = importlib.util.spec_from_file_location(module_name, folder / "converter.py")
    if spec is None or spec.loader is None:
        raise SourceError(f"{folder}: no converter.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a broken plugin must not take the CLI down
        sys.modules.pop(module_name, None)
        raise SourceError(f"{folder / 'converter.py'}: cannot import: {exc!r}") from None
    converter = getattr(module, "Converter", None)
    if not (isinstance(converter, type) and issubclass(converter, Source)):
        raise SourceError(f"{folder / 'converter.py'}: defines no Converter(Source) class")
    source = converter(folder)
    if source.manifest.id != folder.name:
        raise SourceError(
            f"{folder / 'manifest.toml'}: id {source.manifest.id!r} differs from folder name"
        )
    return source


def builtin_sources_dir() -> Path:
    """Where the built-in sources are: inside the installed package, or the checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "_sources"
    return installed if installed.is_dir() else package.parent / "sources"


def source_dirs() -> list[Path]:
    """Folders searched for source folders: built-in, then ``MEDSINS_SOURCE_PATH`` entries.

    ``MEDSINS_SOURCE_PATH`` (``os.pathsep``-separated) lets a contributor work on
    a source outside the checkout before packaging it.
    """
    extra = [Path(p) for p in os.environ.get("MEDSINS_SOURCE_PATH", "").split(os.pathsep) if p]
    return [builtin_sources_dir(), *extra]


def _discover() -> tuple[dict[str, Source], list[str]]:
    sources: dict[str, Source] = {}
    problems: list[str] = []
    for root in source_dirs():
        if not root.is_dir():
            problems.append(f"{root}: source folder does not exist")
            continue
        for folder in sorted(p for p in root.iterdir() if (p / "manifest.toml").exists()):
            if folder.name in sources:
                problems.append(f"{folder}: source id {folder.name!r} already exists")
                continue
            try:
                sources[folder.name] = load_source_folder(folder)
            except SourceError as exc:
                problems.append(str(exc))
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            factory = ep.load()
            source = factory()
        except Exception as exc:  # third-party code: report, don't crash
            problems.append(f"entry point {ep.name} ({ep.value}): cannot load: {exc!r}")
            continue
        if not isinstance(source, Source):
            problems.append(f"entry point {ep.name} ({ep.value}): not a medsins Source")
        elif source.id in sources:
            problems.append(f"entry point {ep.name}: source id {source.id!r} already exists")
        else:
            sources[source.id] = source
    return sources, problems


class SourceCatalog:
    """The discovered sources, plus the registry extended with their tasks."""

    def __init__(self, sources: dict[str, Source], problems: list[str]) -> None:
        from medsins.registry import builtin_registry

        self.sources = sources
        self.problems = problems
        extra = [task for source in sources.values() for task in source.tasks()]
        self.registry = builtin_registry().merged(extra) if extra else builtin_registry()

    def get(self, source_id: str) -> Source:
        """The source named ``source_id``; raises with close matches when unknown."""
        try:
            return self.sources[source_id]
        except KeyError:
            raise UnknownNameError("source", source_id, list(self.sources)) from None

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources.values())


@lru_cache(maxsize=1)
def catalog() -> SourceCatalog:
    """Discover every source once per process."""
    return SourceCatalog(*_discover())
