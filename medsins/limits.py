"""Resource limits of the raw-file and prediction readers, named in one place.

A hostile or broken input (a zip bomb, ``[[[[…`` nested twenty thousand deep, a
3 GB line, a 60 MB prediction) must cost one clear rejection naming the file
and the place, never the machine. Every reader asks :func:`current` for the
limits in force; the defaults fit every real corpus medsins knows with a wide
margin, and a user whose legal data is bigger raises one limit::

    medsins build --limit item=256MiB
    with medsins.limits.applied(Limits(max_item_bytes=256 << 20)): ...

The limits are part of a build's cache key: items a limit rejected are
converted again when it is raised.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields, replace

from medsins.errors import MedsinsError

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


@dataclass(frozen=True)
class Limits:
    """What one reader may hold or expand; an input beyond a limit is rejected.

    Attributes:
        max_item_bytes: one raw item: a JSON array element, a JSON or text line,
            a CSV field, an XML text run, a spreadsheet cell.
        max_file_bytes: a file that its format makes a reader hold whole (a JSON
            document, a CSV file, a plain text file).
        max_depth: nesting of JSON arrays/objects and XML elements.
        max_member_bytes: the decompressed size of one member of a zip-based
            file (``.xlsx``, ``.zip``) or of a ``.gz`` stream.
        max_ratio: decompressed size over compressed size of such a member,
            checked once it is past :attr:`ratio_floor_bytes` (zip bombs).
        ratio_floor_bytes: members smaller than this are never ratio-checked
            (tiny members compress arbitrarily well).
        max_shared_strings_bytes: an ``.xlsx`` workbook's shared-strings part,
            which the spreadsheet reader must hold whole.
        max_prediction_chars: one prediction or reference answer in ``bench
            score`` (metrics such as ROUGE-L are quadratic in it).
    """

    max_item_bytes: int = 64 * MiB
    max_file_bytes: int = 1 * GiB
    max_depth: int = 200
    max_member_bytes: int = 16 * GiB
    max_ratio: int = 200
    ratio_floor_bytes: int = 16 * MiB
    max_shared_strings_bytes: int = 256 * MiB
    max_prediction_chars: int = 1 * MiB

    def key(self) -> dict[str, int]:
        """The limits as plain values (for cache keys and provenance)."""
        return asdict(self)


#: Short names accepted by ``--limit NAME=VALUE`` → field.
NAMES = {
    "item": "max_item_bytes",
    "file": "max_file_bytes",
    "depth": "max_depth",
    "member": "max_member_bytes",
    "ratio": "max_ratio",
    "ratio-floor": "ratio_floor_bytes",
    "shared-strings": "max_shared_strings_bytes",
    "prediction": "max_prediction_chars",
}

_DEFAULT = Limits()
_CURRENT: ContextVar[Limits] = ContextVar("medsins_limits", default=_DEFAULT)
_SIZE = re.compile(r"^\s*(\d+)\s*(|k|kb|kib|m|mb|mib|g|gb|gib)\s*$", re.IGNORECASE)
_UNIT = {"": 1, "k": KiB, "kb": KiB, "kib": KiB, "m": MiB, "mb": MiB, "mib": MiB, "g": GiB, "gb": GiB, "gib": GiB}


def current() -> Limits:
    """The limits in force (the defaults unless :func:`applied` set others)."""
    return _CURRENT.get()


@contextmanager
def applied(limits: Limits) -> Iterator[Limits]:
    """Run the enclosed readers under ``limits``."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


def parse(settings: Sequence[str], base: Limits = _DEFAULT) -> Limits:
    """``["item=256MiB", "depth=500"]`` → :class:`Limits` (the CLI's ``--limit``).

    Sizes take an optional unit (``k``/``KiB``, ``M``/``MiB``, ``G``/``GiB``:
    powers of 1024). Unknown names and bad values raise :class:`MedsinsError`.
    """
    changes: dict[str, int] = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        field_name = NAMES.get(name.strip().lower()) or (name.strip() if name.strip() in _FIELDS else None)
        if not sep or field_name is None:
            raise MedsinsError(f"--limit {setting!r}: expected NAME=VALUE with NAME one of {', '.join(NAMES)}")
        match = _SIZE.match(value)
        if match is None or int(match.group(1)) <= 0:
            raise MedsinsError(f"--limit {setting!r}: {value!r} is not a positive number (units: k, M, G)")
        changes[field_name] = int(match.group(1)) * _UNIT[match.group(2).lower()]
    return replace(base, **changes)


_FIELDS = {f.name for f in fields(Limits)}


def add_argument(parser: argparse.ArgumentParser) -> None:
    """Give a sub-command ``--limit NAME=VALUE`` (repeatable); ``medsins.cli`` applies it."""
    parser.add_argument(
        "--limit", action="append", default=[], metavar="NAME=VALUE", dest="reader_limits",
        help=f"raise or lower a reader limit ({', '.join(NAMES)}; e.g. item=256MiB); repeatable",
    )


def size(n: int) -> str:
    """``67108864`` → ``"64 MiB"`` (for messages)."""
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def beyond(what: str, limit_name: str, limit: int, *, unit: str = "bytes") -> str:
    """The problem text of an input past a limit, with the flag that raises it."""
    shown = size(limit) if unit == "bytes" else f"{limit:,} {unit}"
    flag = next(short for short, long in NAMES.items() if long == limit_name)
    return f"{what} beyond the {shown} limit (raise it with --limit {flag}=...)"
