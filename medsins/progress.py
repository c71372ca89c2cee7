"""Feedback while a long command runs: progress bars on a terminal, log lines elsewhere.

Off a terminal (CI, ``nohup``, a scheduler) nobody sees a progress bar, and a
12-minute build that prints nothing until it ends looks hung. There, each stage
logs on the ``medsins.progress`` logger: one line when it starts, one every
:data:`INTERVAL` seconds while it runs (units and records so far, rate, ETA when
the total is known), and one when it ends. On a terminal the stages show rich
progress bars on stderr instead. ``quiet`` silences both.

Stage code reports records with :func:`records`, wherever it runs: in the
command's process (:func:`counting`) or in a worker process of a pool whose
initializer called :func:`count_into` with a shared counter.

The library only logs; :func:`log_lines` (used by the command line) shows the
lines on stderr. A program calling :func:`medsins.build.build` sees them when it
configures logging at INFO level.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: The logger of the progress lines.
LOGGER = logging.getLogger("medsins.progress")
#: Seconds between two progress lines of one stage (the start and end lines come at once).
INTERVAL = 10.0

#: Where :func:`records` counts go in this process (None: nobody listens).
_sink: Callable[[int], None] | None = None


def records(n: int) -> None:
    """Count ``n`` more records done by the running stage (nothing when nobody listens)."""
    if _sink is not None and n:
        _sink(n)


@contextmanager
def counting(into: Callable[[int], None]) -> Iterator[None]:
    """Send the :func:`records` counts of this process to ``into`` while the block runs."""
    global _sink
    saved, _sink = _sink, into
    try:
        yield
    finally:
        _sink = saved


def count_into(counter: Any) -> None:
    """Send this process's :func:`records` counts to a shared ``multiprocessing.Value`` (a worker initializer)."""
    global _sink

    def add(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    _sink = add


def _number(n: float) -> str:
    return f"{round(n):,}"


def _units(n: int, unit: str) -> str:
    """``1 source``, ``17 sources``."""
    return f"{n} {unit[:-1] if n == 1 and unit.endswith('s') else unit}"


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``1 h 2 min``: how long, for people."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class Stage:
    """One stage of a command: units done (sources), records done, and what to say about them.

    ``total`` units and ``records_total`` records are what the stage will do when
    known. ``eta_from_units``: estimate the time left from the units (right when
    they are of similar size, e.g. check-source's sources; wrong for a build's
    sources, whose sizes differ by orders of magnitude).
    """

    def __init__(
        self, label: str, total: int | None = None, unit: str = "sources", *,
        records_total: int | None = None, eta_from_units: bool = False,
        log: bool = True, on_advance: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.records_total = records_total
        self.eta_from_units = eta_from_units
        self.done = 0
        self._records = 0
        self._shared: Any = None
        self._log = log
        self._on_advance = on_advance
        self._clock = clock
        self.start = clock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- counting ------------------------------------------------------------------------

    def advance(self, units: int = 1) -> None:
        """``units`` more units done."""
        self.done += units
        if self._on_advance is not None:
            self._on_advance(units)

    def add_records(self, n: int) -> None:
        """``n`` more records done (in this process)."""
        self._records += n

    def shared_counter(self) -> Any:
        """A counter worker processes add their records to (see :func:`count_into`)."""
        if self._shared is None:
            import multiprocessing

            self._shared = multiprocessing.get_context("spawn").Value("q", 0)
        return self._shared

    @property
    def records(self) -> int:
        """Records done so far, in this process and in workers."""
        return self._records + (int(self._shared.value) if self._shared is not None else 0)

    # -- what is said ----------------------------------------------------------------------

    def started_line(self) -> str:
        """``build convert: started (17 sources)``."""
        what = [_units(self.total, self.unit)] if self.total is not None else []
        if self.records_total is not None:
            what.append(f"{_number(self.records_total)} records")
        return f"{self.label}: started" + (f" ({', '.join(what)})" if what else "")

    def progress_line(self) -> str:
        """Units and records so far, rate and, when the total is known, the time left."""
        elapsed = max(self._clock() - self.start, 1e-9)
        parts = []
        if self.total is not None and self.unit != "records":
            parts.append(f"{self.done}/{self.total} {self.unit}")
        count = self.records
        if self.records_total:
            parts.append(f"{_number(count)}/{_number(self.records_total)} records "
                         f"({100 * count / self.records_total:.0f}%)")
        elif count or self.unit == "records":
            parts.append(f"{_number(count)} records")
        if count:
            parts.append(f"{_number(count / elapsed)} records/s")
        left = self._time_left(elapsed, count)
        parts.append(f"{duration(elapsed)} elapsed" + (f", ETA {duration(left)}" if left is not None else ""))
        return f"{self.label}: " + ", ".join(parts)

    def _time_left(self, elapsed: float, count: int) -> float | None:
        if self.records_total and count:
            return max(0.0, (self.records_total - count) * elapsed / count)
        if self.eta_from_units and self.total and self.done:
            return max(0.0, (self.total - self.done) * elapsed / self.done)
        return None

    def finished_line(self) -> str:
        """``build convert: done in 14 s (17 sources, 160,000 records, 11,400 records/s)``."""
        elapsed = self._clock() - self.start
        what = [_units(self.done, self.unit)] if self.total is not None and self.unit != "records" else []
        if self.records or self.unit == "records":
            what.append(f"{_number(self.records)} records")
            if elapsed >= 1:
                what.append(f"{_number(self.records / elapsed)} records/s")
        return f"{self.label}: done in {duration(elapsed)}" + (f" ({', '.join(what)})" if what else "")

    # -- life ------------------------------------------------------------------------------

    def open(self, interval: float | None = None) -> None:
        """Say the stage started and, while it runs, how far it got every ``interval`` seconds."""
        if not self._log:
            return
        interval = INTERVAL if interval is None else interval
        LOGGER.info(self.started_line())
        # A thread, not a check in advance(): a stage whose units take minutes each
        # (one big source) must still say it is alive.
        self._ticker = threading.Thread(target=self._tick, args=(interval,), name=f"progress {self.label}",
                                        daemon=True)
        self._ticker.start()

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            LOGGER.info(self.progress_line())

    def close(self, ok: bool = True) -> None:
        """Stop the periodic lines; say the stage ended (when it ended well)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
            if ok:
                LOGGER.info(self.finished_line())


class Feedback:
    """The stages of one command, shown as bars (terminal), log lines (elsewhere) or not at all."""

    def __init__(self, command: str, mode: str, bars: Any = None, interval: float | None = None) -> None:
        self.command = command
        self.mode = mode  # "bars", "log" or "off"
        self._bars = bars
        self.interval = INTERVAL if interval is None else interval

    @contextmanager
    def stage(
        self, name: str, total: int | None = None, unit: str = "sources", *,
        records_total: int | None = None, eta_from_units: bool = False,
    ) -> Iterator[Stage]:
        """A stage that runs while the block runs; its end is said only when the block ends well."""
        on_advance = None
        if self.mode == "bars":
            task = self._bars.add_task(name, total=1 if total is None else total)
            on_advance = lambda units: self._bars.advance(task, units)  # noqa: E731
        label = f"{self.command} {name}" if name != self.command else name
        stage = Stage(label, total, unit, records_total=records_total, eta_from_units=eta_from_units,
                      log=self.mode == "log", on_advance=on_advance)
        stage.open(self.interval)
        ok = False
        try:
            yield stage
            ok = True
        finally:
            stage.close(ok)

    def note(self, message: str) -> None:
        """One line about the whole command (off a terminal only: the bars say it otherwise)."""
        if self.mode == "log":
            LOGGER.info(f"{self.command}: {message}")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


@contextmanager
def feedback(command: str, quiet: bool = False, *, transient: bool = False, bars: bool = True,
             interval: float | None = None) -> Iterator[Feedback]:
    """The feedback of one command: bars on a terminal, log lines elsewhere, nothing when ``quiet``.

    ``bars=False``: nothing on a terminal either (the command writes its results there).
    """
    if quiet:
        yield Feedback(command, "off")
        return
    if not _is_terminal(sys.stderr):
        yield Feedback(command, "log", interval=interval)
        return
    if not bars:
        yield Feedback(command, "off")
        return
    from rich.console import Console
    from rich.progress import Progress

    # stderr, and stdout left alone: stdout is for results (--json, records), which must
    # never pass through (or mix with) the bars.
    with Progress(console=Console(stderr=True), transient=transient, redirect_stdout=False) as live:
        yield Feedback(command, "bars", live, interval=interval)


class _StderrLines(logging.Handler):
    """Progress lines on the stderr of the moment (pytest swaps it), control characters escaped."""

    def emit(self, record: logging.LogRecord) -> None:
        from medsins.commands.output import printable

        try:
            stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
            sys.stderr.write(f"{stamp} medsins: {printable(record.getMessage())}\n")
            sys.stderr.flush()  # a log file read while the build runs must be current
        except Exception:  # a handler must never raise
            self.handleError(record)


@contextmanager
def log_lines(quiet: bool = False) -> Iterator[None]:
    """Show the progress lines on stderr while the block runs (the command line's choice)."""
    if quiet:
        yield
        return
    handler = _StderrLines(logging.INFO)
    saved_level, saved_propagate = LOGGER.level, LOGGER.propagate
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False  # shown here once, not again by a root handler
    try:
        yield
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(saved_level)
        LOGGER.propagate = saved_propagate
