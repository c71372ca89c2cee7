"""Safe operation of a build: one build per work folder, paths checked first, no orphans.

* :class:`WorkLock` — ``<work>/lock`` names the build that holds the work
  folder (pid, host, start time) and is held with ``flock`` for as long as the
  build runs. A second build on the same folder stops at once; a lock whose
  holder is gone (the kernel dropped its ``flock`` when it died) is taken over;
  a lock written on another host is never broken silently.
* :func:`check_paths` — ``--out``, ``--work``, ``--raw-root`` and
  ``--instructions`` are checked before any work, so a bad path is one line in
  under a second, not a traceback after the whole pipeline.
* :func:`remove_leftovers` — the ``.<name>.partial-<pid>`` and
  ``.<name>.old-<pid>`` folders a killed build leaves beside its release.
* :func:`bind_to_parent` — the initializer of the build's worker processes:
  they die with the build, even on ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from medsins.errors import MedsinsError, ReleaseError
from medsins.release.manifest import MANIFEST_NAME

#: The lock file's name inside the work folder.
LOCK_NAME = "lock"
#: How often a worker checks that the build that started it is still alive (seconds).
PARENT_POLL = 0.5


class WorkFolderError(MedsinsError):
    """A path of the build is unusable, or the work folder is held by another build."""


class WorkFolderBusy(WorkFolderError):
    """The work folder is locked by another build."""


# -- processes -------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    try:  # Linux: a killed process not yet reaped by its parent is a zombie ("Z")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def bind_to_parent(parent_pid: int) -> None:
    """Make this (worker) process die when ``parent_pid``, the build, dies.

    Meant as a process pool ``initializer`` (with ``initargs=(os.getpid(),)``
    in the build). On Linux the kernel sends SIGKILL at once
    (``PR_SET_PDEATHSIG``); everywhere a daemon thread also checks every
    :data:`PARENT_POLL` seconds that the parent is unchanged and exits if not.
    """
    if sys.platform.startswith("linux"):
        _set_parent_death_signal()
    if os.getppid() != parent_pid:  # the build died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL)
            if os.getppid() != parent_pid:  # re-parented: the build is gone
                os._exit(1)

    threading.Thread(target=watch, name="medsins-parent-watch", daemon=True).start()


def _set_parent_death_signal() -> None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)`` through libc; best effort."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the symbols already loaded: libc's among them
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: the watcher thread still works
        pass


# -- the lock ------------------------------------------------------------------------


@dataclass(frozen=True)
class LockHolder:
    """Who holds a work folder: what ``<work>/lock`` says."""

    pid: int | None
    host: str | None
    since: str | None

    @classmethod
    def mine(cls) -> LockHolder:
        """This process, now."""
        return cls(os.getpid(), socket.gethostname(), datetime.now().astimezone().isoformat(timespec="seconds"))

    @classmethod
    def parse(cls, data: bytes) -> LockHolder:
        """The holder a lock file names (fields it lacks are ``None``)."""
        try:
            fields = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            fields = None
        if not isinstance(fields, dict):
            return cls(None, None, None)
        pid = fields.get("pid")
        return cls(pid if isinstance(pid, int) else None, _str_or_none(fields.get("host")),
                   _str_or_none(fields.get("since")))

    def to_bytes(self) -> bytes:
        """The lock file's content."""
        return (json.dumps({"pid": self.pid, "host": self.host, "since": self.since}) + "\n").encode()

    def describe(self) -> str:
        """``build pid N on host H since T`` (``?`` for what is unknown)."""
        return f"build pid {self.pid or '?'} on host {self.host or '?'} since {self.since or '?'}"


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class WorkLock:
    """The exclusive lock of one work folder, held while a build runs.

    Use as a context manager (released on return, exception and Ctrl-C; the
    kernel drops the ``flock`` when the process dies any other way)::

        with WorkLock(work):
            ...

    The lock file is made complete (content written, ``flock`` held) under a
    temporary name and linked into place with ``link(2)``, which fails if a
    lock exists: a build never sees a half-written lock of a live holder.
    """

    def __init__(self, work: Path) -> None:
        self.work = Path(work)
        self.path = self.work / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> WorkLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, or raise :class:`WorkFolderBusy` naming its holder."""
        if self._fd is not None:
            raise WorkFolderError(f"internal: the lock of {self.work} is already held by this build")
        self._remove_stale_temporaries()
        for _attempt in range(50):  # retried only when another build changed the file meanwhile
            if self._create():
                return
            try:
                fd = os.open(self.path, os.O_RDWR)
            except FileNotFoundError:  # released between our link and open: try again
                continue
            try:
                taken = self._take_over(fd)
            except BaseException:
                os.close(fd)
                raise
            if taken:
                self._fd = fd
                return
            os.close(fd)
        raise WorkFolderBusy(f"work folder {self.work}: could not take {self.path} (other builds keep changing it)")

    def _take_over(self, fd: int) -> bool:
        """Take the existing lock file ``fd`` if its holder is gone; False when it was replaced meanwhile."""
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkFolderBusy(f"work folder {self.work} is in use by {_live_holder(fd).describe()}") from None
        if not self._same_file(fd):  # its holder removed it before we locked it
            return False
        holder = LockHolder.parse(_read_fd(fd))
        if holder.host is not None and holder.host != socket.gethostname():
            raise WorkFolderBusy(
                f"work folder {self.work} is locked by {holder.describe()}, another host, where this "
                f"host cannot tell whether that build still runs; not breaking the lock: if it does not "
                f"run, delete {self.path}"
            )
        # Nobody holds the flock: its holder is dead (the kernel released it). Take it over.
        os.ftruncate(fd, 0)
        os.pwrite(fd, LockHolder.mine().to_bytes(), 0)
        return True

    def release(self) -> None:
        """Remove the lock file and drop the lock (nothing when not held)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self._same_file(fd):  # removed while still locked: a waiter sees a fresh file
                self.path.unlink()
        except OSError:
            pass  # the work folder went away or turned read-only; the flock goes anyway
        finally:
            os.close(fd)

    def _create(self) -> bool:
        """Link a complete, locked lock file into place; False when one exists."""
        import fcntl

        fd, temporary = _temporary_file(self.work, f"{LOCK_NAME}.{os.getpid()}.")
        linked = False
        try:
            os.fchmod(fd, 0o644)  # readable by others: a refused build can name the holder
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, LockHolder.mine().to_bytes())
            try:
                os.link(temporary, self.path)
                linked = True
            except FileExistsError:
                return False
            except OSError:  # a file system without hard links: exclusive create instead
                return self._create_exclusive()
            self._fd = fd
            return True
        finally:
            if not linked:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _create_exclusive(self) -> bool:
        """Fallback of :meth:`_create`: ``O_CREAT | O_EXCL`` on the lock file itself."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, LockHolder.mine().to_bytes())
        except BlockingIOError:  # another build took the still empty file as stale: it is its now
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def _same_file(self, fd: int) -> bool:
        """Whether ``fd`` is still the file at :attr:`path`."""
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)

    def _remove_stale_temporaries(self) -> None:
        """Temporary lock files of builds that died while creating theirs."""
        for path in self.work.glob(f"{LOCK_NAME}.*.tmp"):
            match = re.fullmatch(rf"{LOCK_NAME}\.(\d+)\..*\.tmp", path.name)
            if match and not pid_alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    path.unlink()


def _temporary_file(folder: Path, prefix: str) -> tuple[int, str]:
    """A new file ``folder/<prefix>…tmp``, opened read-write (``O_CREAT | O_EXCL``)."""
    return tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)


def _read_fd(fd: int) -> bytes:
    return os.pread(fd, 4096, 0)


def _live_holder(fd: int, patience: float = 1.0) -> LockHolder:
    """The holder named by a locked lock file.

    A build creating the lock (without hard links) or taking over a stale one
    holds the flock a moment before it writes its own name: until then the file
    is empty or still names the dead holder, so wait (briefly) for a complete
    name that is not a dead process of this host.
    """
    deadline = time.monotonic() + patience
    while True:
        holder = LockHolder.parse(_read_fd(fd))
        incomplete = holder.pid is None or holder.host is None
        dead = holder.host == socket.gethostname() and holder.pid is not None and not pid_alive(holder.pid)
        if not (incomplete or dead) or time.monotonic() > deadline:
            return holder
        time.sleep(0.02)


# -- path checks ------------------------------------------------------------------------


def check_paths(out: Path, work: Path, raw_root: Path | None = None, instructions: Path | None = None) -> None:
    """Check every path of a build before it starts; :class:`WorkFolderError` names the bad one.

    Nothing is created: the release folder's and the work folder's nearest
    existing ancestors must be folders in which this process can create files.
    """
    check_out_name(out)
    try:
        check_release_target(out, flag="--out ")
        _check_creatable(out, "--out")
        _check_work(work, out)
        if raw_root is not None:
            check_raw_folder(raw_root, flag="--raw-root ", deep=False)
        if instructions is not None:
            _check_readable_file(instructions, "--instructions")
    except OSError as exc:  # e.g. a folder on the way that cannot be searched
        raise WorkFolderError(f"{exc.filename or out}: {exc.strerror or exc}") from None


def check_out_name(out: Path) -> None:
    """Refuse ``.``, ``..`` and ``/`` as the release folder: name it (``./release``).

    A release folder is replaced as a whole, and its work folder is named after it.
    """
    if Path(out).name in ("", ".", ".."):
        raise WorkFolderError(f"--out {out}: name the release folder itself, such as {Path(out) / 'release'}")


def check_release_target(out: Path, flag: str = "") -> None:
    """Refuse an ``out`` that is a file, or a non-empty folder that is not a release.

    Raises :class:`~medsins.errors.ReleaseError`: a release is only ever
    written where nothing is, or where a release (with ``manifest.json``) is.
    """
    out = Path(out)
    try:
        if out.exists() and not out.is_dir():
            raise ReleaseError(f"{flag}{out}: is a file, not a release folder")
        if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
            raise ReleaseError(
                f"{flag}{out}: exists and is not a release folder (no {MANIFEST_NAME}); not replacing it"
            )
    except OSError as exc:
        raise ReleaseError(f"{flag}{out}: {exc.strerror or exc}") from None


def check_raw_folder(folder: Path, flag: str = "", *, deep: bool = True) -> None:
    """Require ``folder`` (and with ``deep`` every folder below it) to be listable.

    Listing is what finds the raw files: a folder that cannot be listed would
    otherwise look like one without files (``Path.rglob`` skips it silently).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkFolderError(f"{flag}{folder}: not a folder")

    def fail(exc: OSError) -> None:
        where = "" if exc.filename in (None, str(folder)) else f" {exc.filename}"
        raise WorkFolderError(f"{flag}{folder}: cannot list{where}: {exc.strerror or exc}")

    if not deep:
        try:
            with os.scandir(folder) as entries:
                next(entries, None)
        except OSError as exc:
            fail(exc)
        return
    for _ in os.walk(folder, onerror=fail):
        pass


def _check_work(work: Path, out: Path) -> None:
    """The work folder: not a file, not inside the release folder, creatable and writable."""
    work_abs, out_abs = Path(os.path.abspath(work)), Path(os.path.abspath(out))
    if work_abs == out_abs or out_abs in work_abs.parents:
        raise WorkFolderError(f"--work {work}: is inside the release folder {out}, which each build replaces")
    if work.exists() and not work.is_dir():
        raise WorkFolderError(f"--work {work}: is a file, not a folder")
    if work.exists():
        _check_writable(work, f"--work {work}")
    else:
        _check_creatable(work, "--work")


def _check_creatable(path: Path, flag: str) -> None:
    """``path`` (or the folders leading to it) can be created: its nearest existing ancestor is a writable folder."""
    ancestor = Path(os.path.abspath(path)).parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise WorkFolderError(f"{flag} {path}: {ancestor} is not a folder")
    _check_writable(ancestor, f"{flag} {path}")


def _check_writable(folder: Path, what: str) -> None:
    """Create and remove a folder in ``folder``: the only test that root, ACLs and read-only mounts all answer."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".medsins-probe-", dir=folder))
    except OSError as exc:
        raise WorkFolderError(f"{what}: cannot create anything in {folder}: {exc.strerror or exc}") from None


def _check_readable_file(path: Path, flag: str) -> None:
    if not path.is_file():
        raise WorkFolderError(f"{flag} {path}: not a file")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise WorkFolderError(f"{flag} {path}: cannot read: {exc.strerror or exc}") from None


# -- leftovers of dead builds -----------------------------------------------------------


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the ``.<name>.partial-<pid>`` / ``.<name>.old-<pid>`` siblings of dead builds.

    A build writes the next release into ``.<name>.partial-<pid>`` and moves the
    one it replaces to ``.<name>.old-<pid>`` for a moment; a build killed then
    leaves them behind. Those of a live process (on this host) and of this
    process are kept. When the release folder is missing because the build died
    between its two renames, the previous release is put back instead of deleted.
    Returns the folders removed or restored.
    """
    out = Path(out)
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(partial|old)-(\d+)")
    try:
        siblings = sorted(out.parent.iterdir())
    except OSError:  # no parent yet, or unreadable: nothing of ours can be there
        return []
    handled = []
    for path in siblings:
        match = pattern.fullmatch(path.name)
        if not match or not path.is_dir():
            continue
        pid = int(match.group(2))
        if pid == os.getpid() or pid_alive(pid):
            continue
        if match.group(1) == "old" and not out.exists() and (path / MANIFEST_NAME).is_file():
            path.rename(out)  # killed between "release → old" and "partial → release"
        elif not remove_tree(path):
            continue
        handled.append(path)
    return handled


def remove_tree(path: Path) -> bool:
    """Delete ``path`` and everything in it, read-only folders too; whether it is gone."""
    path = Path(path)
    try:
        shutil.rmtree(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        pass
    _make_folders_writable(path)  # a read-only release: its folders forbid removing their entries
    shutil.rmtree(path, ignore_errors=True)
    return not path.exists()


def _make_folders_writable(top: Path) -> None:
    """``u+rwx`` on ``top`` and every folder below it (not following links), best effort."""

    def allow(folder: str) -> None:
        with contextlib.suppress(OSError):
            os.chmod(folder, stat.S_IMODE(os.lstat(folder).st_mode) | stat.S_IRWXU)

    allow(str(top))
    for root, folders, _files in os.walk(top):  # top-down: a folder is opened before its walk descends
        for name in folders:
            child = os.path.join(root, name)
            if not os.path.islink(child):
                allow(child)
