"""Source plugins: the base class converters subclass, and their discovery.

A source is a folder holding ``manifest.toml`` (a :class:`SourceManifest`),
``converter.py`` (a :class:`Source` subclass named ``Converter``), an optional
``tasks.toml`` (task cards for tasks the source introduces) and ``sample/``
(a few raw items in the corpus's native format and file names).

Built-in sources ship inside the package; third-party packages register a
``Source`` subclass under the ``medsins.sources`` entry-point group.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from medsins.errors import InputError, MedsinsError, SourceError, UnknownNameError
from medsins.formats.text import find_files
from medsins.records import UNKNOWN_LICENSE, Example, RawFile, Snapshot, SourceManifest, Task

ENTRY_POINT_GROUP = "medsins.sources"

#: Receives a problem with one raw item; the item is skipped and accounted for.
Reporter = Callable[[InputError], None]


# -- validation errors in plain words ---------------------------------------------------

#: SPDX ids offered as "did you mean" for a license written the way people write it
#: ("CC BY 4.0", "Apache 2.0"): the common data and code licenses, not the whole SPDX list.
COMMON_LICENSES = (
    "CC0-1.0", "CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-3.0", "CC-BY-4.0",
    "CC-BY-SA-2.0", "CC-BY-SA-2.5", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
    "CC-BY-NC-2.0", "CC-BY-NC-2.5", "CC-BY-NC-3.0", "CC-BY-NC-4.0",
    "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-2.5", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0",
    "CC-BY-ND-3.0", "CC-BY-ND-4.0", "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-4.0", "CC-PDDC",
    "ODbL-1.0", "ODC-By-1.0", "PDDL-1.0", "CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "CDLA-Sharing-1.0",
    "MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Unlicense", "Zlib",
    "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
    "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
    "AGPL-3.0-only", "AGPL-3.0-or-later", "MPL-2.0", "EPL-2.0", "Artistic-2.0",
    "OpenRAIL", "AFL-3.0", "ECL-2.0", "OFL-1.1", "WTFPL",
)

#: What a value of these fields looks like, for pattern mismatches (pydantic would show a regex).
_EXPECTED = {
    "id": "lower-case letters, digits and underscores, starting with a letter (e.g. bc5cdr)",
    "source": "a source id: lower-case letters, digits and underscores, starting with a letter (e.g. bc5cdr)",
    "name": "lower-case letters, digits and underscores (e.g. bc5cdr_chemical_ner)",
    "languages": "a two-letter lower-case ISO 639-1 code (e.g. en)",
    "input_languages": "a two-letter lower-case ISO 639-1 code (e.g. en)",
    "output_languages": "a two-letter lower-case ISO 639-1 code (e.g. en)",
    "instruction_language": "a two-letter lower-case ISO 639-1 code (e.g. en)",
    "tasks": "a task id: task followed by its number (e.g. task125)",
    "repository": "a GitHub repository as owner/name",
    "commit": "a full 40-character lower-case hexadecimal commit id",
}


def _license_key(text: str) -> str:
    """How people write a license, folded: "The MIT License" and "mit" compare equal."""
    words = re.sub(r"\b(the|licen[cs]e)\b", " ", text.casefold())
    return re.sub(r"[\s_\-]+", "-", words).strip("-")


def suggest_license(value: str) -> str | None:
    """The SPDX id (or ``LicenseRef-…`` spelling) ``value`` most likely means, if any.

    Example:
        >>> suggest_license("CC BY 4.0")
        'CC-BY-4.0'
    """
    key = _license_key(value)
    known = {_license_key(spdx): spdx for spdx in COMMON_LICENSES}
    if key in known:
        return known[key]
    if key.startswith("licenseref-"):
        return "LicenseRef-" + re.sub(r"[^A-Za-z0-9.\-]+", "-", value.strip()[len("LicenseRef-"):]).strip("-")
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.85)
    return known[close[0]] if close else None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _field(loc: tuple[int | str, ...]) -> str:
    """``("raw_files", 0, "pattern")`` → ``raw_files item 1: pattern`` (people count from 1)."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            parts[-1] = f"{parts[-1]} item {part + 1}"
        elif isinstance(part, int):
            parts.append(f"item {part + 1}")
        else:
            parts.append(str(part))
    return ": ".join(parts)


def _known_fields(*models: type[BaseModel]) -> list[str]:
    return sorted({name for model in models for name in model.model_fields})


def plain_errors(exc: ValidationError, known: list[str] | None = None) -> list[str]:
    """Pydantic's validation errors as plain sentences: field, value, what is expected.

    Never shows a regular expression: a pattern mismatch says what the value should
    look like (a misspelt license gets a "did you mean"); an unknown key is matched
    against ``known`` field names. A manifest with ``license = "CC BY 4.0"`` gives
    ``license 'CC BY 4.0' is not an SPDX id; did you mean CC-BY-4.0?``.
    """
    sentences: list[str] = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        field = _field(loc)
        names = [p for p in loc if isinstance(p, str)]
        last = names[-1] if names else ""
        kind = error.get("type", "")
        value = error.get("input")
        ctx = error.get("ctx") or {}
        message = str(error.get("msg", ""))
        if kind == "missing":
            sentences.append(f"{field} is missing (required)")
        elif kind == "extra_forbidden":
            close = difflib.get_close_matches(last, known or [], n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            sentences.append(f"unknown key {field!r}{hint}")
        elif kind == "string_pattern_mismatch" and last == "license":
            sentences.append(_license_sentence(field, str(value)))
        elif kind == "string_pattern_mismatch":
            expected = _EXPECTED.get(last, "a value of another form (see docs/contributing.md)")
            sentences.append(f"{field} {_shown(value)} is not valid: expected {expected}")
        elif kind.startswith("url_"):
            sentences.append(f"{field} {_shown(value)} is not a web address: expected https://… ({message.lower()})")
        elif kind in ("enum", "literal_error"):
            sentences.append(f"{field} {_shown(value)} is not allowed: expected {ctx.get('expected', message)}")
        elif kind == "too_short":
            sentences.append(f"{field} needs at least {ctx.get('min_length', 1)} item(s)"
                             if isinstance(value, list | tuple) else
                             f"{field} {_shown(value)} is too short (at least {ctx.get('min_length')} characters)")
        elif kind in ("value_error", "assertion_error"):
            reason = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            sentences.append(f"{field}: {reason}" if field else reason)
        else:  # pydantic's other messages are words already ("Input should be a valid string")
            reason = message.replace("Input should", "should")
            sentences.append(f"{field} {_shown(value)} {reason}" if field else reason)
    return sentences


def _license_sentence(field: str, value: str) -> str:
    suggestion = suggest_license(value)
    if suggestion:
        return f"{field} {value!r} is not an SPDX id; did you mean {suggestion}?"
    return (f"{field} {value!r} is not an SPDX id: expected one such as CC-BY-4.0 or MIT "
            f"(https://spdx.org/licenses/), LicenseRef-<name> for custom terms, or {UNKNOWN_LICENSE} when unknown")


def read_manifest(path: Path) -> SourceManifest:
    """Read and validate a source's ``manifest.toml``; problems are plain sentences naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the manifest: {exc}") from None
    try:
        return SourceManifest.model_validate(data)
    except ValidationError as exc:
        known = _known_fields(SourceManifest, RawFile, Snapshot)
        raise SourceError(f"{path}: " + "; ".join(plain_errors(exc, known))) from None


def read_task_cards(path: Path) -> list[Task]:
    """Read and validate a source's ``tasks.toml``; problems are plain sentences naming the file and task."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the task cards: {exc}") from None
    tasks: list[Task] = []
    problems: list[str] = []
    for index, raw in enumerate(data.get("task", []), start=1):
        try:
            tasks.append(Task.model_validate(raw))
        except ValidationError as exc:
            label = f"task #{index} ({raw.get('id', 'no id')})" if isinstance(raw, dict) else f"task #{index}"
            problems += [f"{label}: {p}" for p in plain_errors(exc, _known_fields(Task))]
    if problems:
        raise SourceError(f"{path}: " + "; ".join(problems))
    return tasks


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
        path = self.root / "tasks.toml"
        return read_task_cards(path) if path.exists() else []

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


def _exception_words(exc: BaseException) -> str:
    """An exception from plugin code as one plain sentence (no traceback, no repr)."""
    if isinstance(exc, MedsinsError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return f"module {exc.name!r} is not installed (or its name is misspelt)"
    if isinstance(exc, SyntaxError):
        return f"syntax error in {Path(exc.filename or '?').name}, line {exc.lineno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def load_source_folder(folder: Path) -> Source:
    """Import ``folder/converter.py`` and instantiate its ``Converter`` with the folder's manifest.

    Raises :class:`SourceError` with a plain message when anything is wrong with the folder.
    """
    module_name = f"medsins_sources.{folder.name}"
    spec = importlib.util.spec_from_file_location(module_name, folder / "converter.py")
    if spec is None or spec.loader is None or not (folder / "converter.py").is_file():
        raise SourceError(f"{folder}: no converter.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a broken plugin must not take the CLI down
        sys.modules.pop(module_name, None)
        raise SourceError(f"{folder / 'converter.py'} cannot be imported: {_exception_words(exc)}") from None
    converter = getattr(module, "Converter", None)
    if not (isinstance(converter, type) and issubclass(converter, Source)):
        raise SourceError(f"{folder / 'converter.py'}: defines no Converter(Source) class")
    try:
        source = converter(folder)
    except SourceError:
        raise
    except Exception as exc:  # the plugin's own __init__
        raise SourceError(f"{folder / 'converter.py'}: Converter() failed: {_exception_words(exc)}") from None
    if source.manifest.id != folder.name:
        raise SourceError(
            f"{folder / 'manifest.toml'}: id {source.manifest.id!r} differs from the folder name {folder.name!r}"
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


@dataclass(frozen=True)
class BrokenSource:
    """A source that could not be loaded, and why, in plain words.

    ``name`` is what a user would type for it (the folder or entry-point name);
    ``where`` is the folder or the entry point.
    """

    name: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"source {self.name!r} cannot be loaded: {self.problem}"


def _entry_point_text(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    owner = f" of {dist.name}" if dist is not None and getattr(dist, "name", None) else ""
    return f"entry point {ep.name} = {ep.value}{owner}"


def _load_entry_point(ep: EntryPoint) -> Source:
    """Import and instantiate a ``medsins.sources`` entry point; :class:`SourceError` in plain words."""
    where = _entry_point_text(ep)
    try:
        factory = ep.load()
    except Exception as exc:  # third-party code: report, don't crash
        raise SourceError(f"{where}: cannot be imported: {_exception_words(exc)}") from None
    try:
        source = factory()
    except SourceError as exc:
        raise SourceError(f"{where}: {exc}") from None
    except Exception as exc:
        raise SourceError(f"{where}: {ep.value}() failed: {_exception_words(exc)}") from None
    if not isinstance(source, Source):
        raise SourceError(f"{where}: gives a {type(source).__name__}, not a medsins Source subclass")
    return source


def _discover() -> tuple[dict[str, Source], list[BrokenSource]]:
    sources: dict[str, Source] = {}
    broken: list[BrokenSource] = []
    for root in source_dirs():
        if not root.is_dir():
            broken.append(BrokenSource(str(root), str(root), f"source folder {root} does not exist"))
            continue
        for folder in sorted(p for p in root.iterdir() if (p / "manifest.toml").exists()):
            if folder.name in sources:
                broken.append(BrokenSource(folder.name, str(folder), f"{folder}: source id {folder.name!r} "
                                           f"already exists in {sources[folder.name].root}"))
                continue
            try:
                sources[folder.name] = load_source_folder(folder)
            except Exception as exc:  # SourceError, or anything a plugin's code raised
                broken.append(BrokenSource(folder.name, str(folder), _exception_words(exc)))
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            source = _load_entry_point(ep)
        except SourceError as exc:
            broken.append(BrokenSource(ep.name, _entry_point_text(ep), str(exc)))
            continue
        if source.id in sources:
            broken.append(BrokenSource(ep.name, _entry_point_text(ep), f"{_entry_point_text(ep)}: source id "
                                       f"{source.id!r} already exists in {sources[source.id].root}"))
        else:
            sources[source.id] = source
    return sources, broken


class SourceCatalog:
    """The discovered sources, plus the registry extended with their tasks.

    A source that cannot be loaded (bad manifest or task cards, a converter that
    does not import, an entry point that fails) is in :attr:`broken`, never in
    :attr:`sources`: commands report it as an error instead of ignoring it.
    """

    def __init__(self, sources: dict[str, Source], broken: list[BrokenSource] | None = None) -> None:
        from medsins.registry import builtin_registry

        self.broken = list(broken or [])
        self.registry = builtin_registry()
        self.sources: dict[str, Source] = {}
        for source_id, source in sources.items():
            # Task cards one by one: a bad or clashing tasks.toml breaks its own source only.
            try:
                extra = source.tasks()
                registry = self.registry.merged(extra) if extra else self.registry
            except Exception as exc:
                self.broken.append(BrokenSource(source_id, str(source.root), _exception_words(exc)))
                continue
            self.sources[source_id] = source
            self.registry = registry

    @property
    def problems(self) -> list[str]:
        """Every broken source, as one plain line each."""
        return [str(b) for b in self.broken]

    def broken_named(self, name: str) -> BrokenSource | None:
        """The broken source a user means by ``name``, if any."""
        return next((b for b in self.broken if b.name == name), None)

    def get(self, source_id: str) -> Source:
        """The source named ``source_id``.

        Raises :class:`SourceError` with the reason when that source is broken,
        :class:`UnknownNameError` with close matches when there is none.
        """
        if source_id in self.sources:
            return self.sources[source_id]
        broken = self.broken_named(source_id)
        if broken is not None:
            raise SourceError(str(broken))
        raise UnknownNameError("source", source_id, [*self.sources, *(b.name for b in self.broken)])

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources.values())


@lru_cache(maxsize=1)
def catalog() -> SourceCatalog:
    """Discover every source once per process."""
    return SourceCatalog(*_discover())
