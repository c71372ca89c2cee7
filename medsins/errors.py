"""The library's own exceptions.

Every error a user can cause (a bad raw file, a bad task file, an unknown name)
raises a :class:`MedsinsError` subclass whose message names the file, the line
or record, and what was expected. The CLI prints that message on one line and
exits non-zero; a build records it in the ledger and goes on.
"""

from __future__ import annotations

from pathlib import Path


class MedsinsError(Exception):
    """Base class of every error medsins raises on purpose."""


class InputError(MedsinsError):
    """A raw or contributed file is malformed.

    ``where`` is a human location such as ``"line 12"`` or ``"record 3"``.
    """

    def __init__(self, path: str | Path | None, where: str | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.where = where
        self.problem = problem
        super().__init__(self._compose())

    def _compose(self) -> str:
        head = self.path or "<input>"
        if self.where:
            head = f"{head}, {self.where}"
        return f"{head}: {self.problem}"


class InputNote(InputError):
    """Something to tell about an input that was still read and used whole.

    An empty answer (scored as wrong), a file read in another encoding than the
    one expected: reported like any :class:`InputError`, but nothing was
    rejected, so it does not make a command fail.
    """


class UnreadableError(InputError):
    """Part of a raw file could not be read at all: bad bytes, broken syntax, a truncated end.

    Unlike a plain :class:`InputError` (an item that was read but cannot become a
    record), the raw items in an unreadable spot were never seen, so a build
    counts these spots apart and is incomplete until they are fixed or accepted.
    """

    @classmethod
    def of(cls, error: InputError, suffix: str = "") -> UnreadableError:
        """``error`` as an unreadable spot (itself when it already is one)."""
        if isinstance(error, UnreadableError) and not suffix:
            return error
        return cls(error.path, error.where, error.problem + suffix)


class UnknownNameError(MedsinsError, KeyError):
    """A task, config or source name that does not exist; suggests close matches."""

    def __init__(self, kind: str, name: str, candidates: list[str]) -> None:
        import difflib

        self.kind = kind
        self.name = name
        self.matches = difflib.get_close_matches(name, candidates, n=5, cutoff=0.5)
        hint = f"; did you mean: {', '.join(self.matches)}?" if self.matches else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class SourceError(MedsinsError):
    """A source plugin is broken (bad manifest, converter that cannot load)."""


class ReleaseError(MedsinsError):
    """A release folder is incomplete or inconsistent."""
