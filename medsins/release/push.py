"""Publish a release folder to the Hugging Face Hub as a dataset repository.

:func:`push_release` is what ``medsins push`` runs. It trusts nothing it has
not checked: the folder must agree with its ``manifest.json`` byte for byte
(:func:`~medsins.release.manifest.verify_release`) and the card's
``dataset_info`` counts must match the manifest; a release whose profile admits
restricted records is never sent to a public repository.

How a push runs:

1. Read the remote state (the file listing of the target revision, with the
   sha256 of every LFS/Xet file) and diff it with the release. Files that are
   already there with the same content are not uploaded again, so a re-run
   after an interruption uploads only what is missing, and re-pushing an
   unchanged release makes no commit at all.
2. Upload the shards in commits of bounded size (files and bytes), then make
   one last commit with ``README.md``, ``croissant.json`` and ``manifest.json``
   and the deletion of stale shards: until that commit lands, the repository
   does not present the new release (no card, no configs), so a half-finished
   push is never visible as a release.
3. A step that fails on a transient error (429, 5xx, a timeout, a dropped
   connection) or a conflict (409/412: the branch moved) is retried with
   exponential backoff, re-reading the remote state first so that a commit
   which landed but whose answer was lost is not made twice. Anything else
   (404, 401/403, offline mode, an unknown host, a refused connection) fails at
   once: waiting would not change the answer.

The transfer itself is ``huggingface_hub``'s (:meth:`HfApi.create_commit`): it
uploads through Xet storage when ``hf_xet`` is installed (the default) and
through git-LFS otherwise; medsins works the same with either.

A release's card and ``croissant.json`` name the repository they were built
for; pushed to another one, they are rewritten for it
(:func:`~medsins.release.card.retarget_card`) and the published
``manifest.json`` carries their new checksums, so the repository is itself a
release that verifies.

The token comes from ``token=``, else ``HF_TOKEN`` or the saved login
(``huggingface_hub.get_token()``). It is passed to ``huggingface_hub`` only:
no message, log line or result of this module contains it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import yaml

from medsins.errors import MedsinsError, ReleaseError
from medsins.release.manifest import (
    CARD_NAME,
    MANIFEST_NAME,
    ReleaseFile,
    ReleaseManifest,
    sha256_file,
    verify_release,
    write_manifest,
)

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger("medsins.push")

#: Default commit bounds: small enough that a failed commit loses little work,
#: large enough that a few hundred shards take a handful of commits.
COMMIT_MAX_FILES = 50
COMMIT_MAX_BYTES = 1 << 30

#: The release's Croissant description (``medsins.release.card.CROISSANT_FILE``).
CROISSANT_NAME = "croissant.json"
#: Files that describe the release rather than hold its data: they go in the last commit,
#: so a repository shows them only once every file they describe is there.
LAST_FILES = (CARD_NAME, CROISSANT_NAME, MANIFEST_NAME)

#: Files that belong to the repository, not to the release: never deleted.
_KEEP = {".gitattributes"}
#: HTTP statuses worth retrying: timeouts, rate limits and server errors (the list
#: huggingface_hub's ``http_backoff`` retries) ...
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: ... and conflicts (409, 412 "a commit happened since"): the retry re-reads the branch first.
CONFLICT_STATUSES = frozenset({409, 412})
RETRY_STATUSES = TRANSIENT_STATUSES | CONFLICT_STATUSES

T = TypeVar("T")


class PushError(MedsinsError):
    """A push that cannot be done; ``kind`` says why.

    Kinds: ``usage``, ``auth``, ``not-found``, ``card``, ``unsafe``, ``conflict``,
    ``hub`` (the Hub refused), ``unreachable`` (offline mode, unknown host, refused
    connection: ``reason`` says which) and ``interrupted`` (transient errors
    outlasted the retries).
    """

    def __init__(self, message: str, kind: str = "hub", reason: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a step is retried (``attempts`` counts the first try)."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


@dataclass(frozen=True)
class FileChange:
    """One file of a planned commit (``bytes`` is 0 for a deletion)."""

    path: str
    bytes: int
    delete: bool = False


@dataclass(frozen=True)
class PlannedCommit:
    """A commit the push makes: its message and the files it adds or deletes."""

    message: str
    changes: tuple[FileChange, ...]

    @property
    def additions(self) -> list[str]:
        return [c.path for c in self.changes if not c.delete]

    @property
    def deletions(self) -> list[str]:
        return [c.path for c in self.changes if c.delete]

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.changes)


@dataclass
class PushResult:
    """What a push did (or, with ``dry_run``, would do)."""

    repo_id: str
    endpoint: str
    revision: str
    dry_run: bool
    private: bool
    create_repo: bool
    create_branch: bool = False
    plan: list[PlannedCommit] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    commit_oids: list[str] = field(default_factory=list)
    pull_request: bool = False
    pr_url: str | None = None
    retries: int = 0
    #: Why the remote state could not be read (a dry run then plans against an empty repo).
    unreachable: str | None = None
    #: Files rewritten to name ``repo_id`` (the release was built for another repository).
    retargeted: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """True when the Hub already held this release (no commit needed)."""
        return not self.plan

    @property
    def url(self) -> str:
        return f"{self.endpoint}/datasets/{self.repo_id}"

    def summary(self) -> dict[str, Any]:
        """Machine-readable account (``push --json``): the same facts as :meth:`describe`."""
        return {
            "repo_id": self.repo_id,
            "endpoint": self.endpoint,
            "url": self.url,
            "revision": self.revision,
            "dry_run": self.dry_run,
            "private": self.private,
            "create_repo": self.create_repo,
            "create_branch": self.create_branch,
            "unreachable": self.unreachable,
            "retargeted": list(self.retargeted),
            "up_to_date": self.up_to_date,
            "pull_request": self.pull_request,
            "pr_url": self.pr_url,
            "retries": self.retries,
            "commits": [
                {
                    "message": commit.message,
                    "oid": self.commit_oids[i] if i < len(self.commit_oids) else None,
                    "bytes": commit.bytes,
                    "add": commit.additions,
                    "delete": commit.deletions,
                }
                for i, commit in enumerate(self.plan)
            ],
            "unchanged": len(self.unchanged),
        }

    def describe(self) -> str:
        """Human-readable account: the exact commits and files, one per line."""
        verb = "would" if self.dry_run else "did"
        lines = []
        visibility = "private" if self.private else "public"
        if self.unreachable:
            lines.append(f"remote unreachable ({self.unreachable}): planned against an empty repository")
            lines.append(f"dataset repo {self.repo_id} at {self.endpoint} ({visibility} if it is created)")
        elif self.create_repo:
            lines.append(f"{verb} create {visibility} dataset repo {self.repo_id} at {self.endpoint}")
        else:
            lines.append(f"dataset repo {self.repo_id} ({visibility}) at {self.endpoint}")
        if self.create_branch:
            lines.append(f"{verb} create branch {self.revision} from main")
        if self.retargeted:
            lines.append(
                f"{' and '.join(self.retargeted)} rewritten to name {self.repo_id} (the release names another "
                f"repo); the published {MANIFEST_NAME} lists their new checksums"
            )
        if self.up_to_date:
            lines.append(f"{self.revision} is up to date: {len(self.unchanged)} files unchanged, no commit needed")
            return "\n".join(lines)
        target = f"a new pull request against {self.revision}" if self.pull_request else self.revision
        lines.append(f"{verb} make {len(self.plan)} commit(s) on {target}:")
        for i, commit in enumerate(self.plan, 1):
            oid = f" {self.commit_oids[i - 1][:12]}" if i <= len(self.commit_oids) else ""
            lines.append(
                f"  commit {i}/{len(self.plan)}{oid}: {commit.message!r} "
                f"({len(commit.changes)} files, {_size(commit.bytes)})"
            )
            for change in commit.changes:
                sign = "-" if change.delete else "+"
                size = "" if change.delete else f" ({_size(change.bytes)})"
                lines.append(f"    {sign} {change.path}{size}")
        if self.unchanged:
            lines.append(f"  {len(self.unchanged)} files already on the Hub, not uploaded")
        if self.pr_url:
            lines.append(f"pull request: {self.pr_url}")
        elif not self.dry_run:
            lines.append(f"published: {self.url}")
        return "\n".join(lines)


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    raise AssertionError  # pragma: no cover


# --------------------------------------------------------------------------- local checks


def card_counts(card_text: str, where: str = CARD_NAME) -> dict[str, dict[str, int]]:
    """``config -> split -> num_examples`` from a card's YAML ``dataset_info``."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", card_text, re.DOTALL)
    if match is None:
        raise ReleaseError(f"{where}: no YAML metadata block (--- ... ---) at the top of the card")
    try:
        metadata = yaml.safe_load(match[1]) or {}
    except yaml.YAMLError as exc:
        raise ReleaseError(f"{where}: the card's YAML metadata does not parse: {exc}".splitlines()[0]) from None
    infos = metadata.get("dataset_info", []) if isinstance(metadata, dict) else []
    out: dict[str, dict[str, int]] = {}
    for info in infos if isinstance(infos, list) else [infos]:
        if not isinstance(info, dict):
            raise ReleaseError(f"{where}: dataset_info entries must be mappings")
        name = info.get("config_name", "default")
        out[name] = {s["name"]: int(s["num_examples"]) for s in info.get("splits", []) if isinstance(s, dict)}
    return out


def check_card(release_dir: Path, manifest: ReleaseManifest, text: str | None = None) -> None:
    """The card's ``dataset_info`` counts must be the manifest's ``configs``, config by config.

    ``text`` is the card to check (default: the release's ``README.md``), e.g. the
    card as it will be published to another repository.
    """
    path = Path(release_dir) / CARD_NAME
    if CARD_NAME not in manifest.files:
        raise ReleaseError(f"{release_dir}: the release has no {CARD_NAME} (dataset card)")
    counts = card_counts(path.read_text(encoding="utf-8") if text is None else text, str(path))
    for name in sorted(set(counts) | set(manifest.configs)):
        card, listed = counts.get(name), manifest.configs.get(name)
        if card != listed:
            raise ReleaseError(f"{path}: config {name!r} has counts {card} in the card but {listed} in {MANIFEST_NAME}")


def restricted_sources(manifest: ReleaseManifest) -> list[str]:
    """Sources with records in the release that may not be redistributed (not open, or unknown license).

    A restricted source whose records were all dropped by the license filter
    (``kept == 0`` in the ledger) does not count: nothing of it is published.
    """
    out = []
    for sid, src in sorted(manifest.sources.items()):
        counts = manifest.counts.get(sid)
        if (src.access != "open" or src.license == "NOASSERTION") and (counts is None or counts.kept > 0):
            out.append(sid)
    return out


def public_allowed(manifest: ReleaseManifest) -> bool:
    """May this release go to a public repository?"""
    return manifest.publishable and not restricted_sources(manifest)


def retargeted_files(release_dir: Path, manifest: ReleaseManifest, repo_id: str) -> dict[str, bytes]:
    """The files that must be rewritten to name ``repo_id``, with their new bytes.

    The card (and ``croissant.json``, when the release has one) name the
    repository the release was built for. Pushed elsewhere, they are rendered
    for ``repo_id``; then ``manifest.json`` is rewritten too, with their new
    checksums, so the published repository verifies like the folder does. An
    empty result means the release already names ``repo_id``.

    Raises:
        ReleaseError: The card does not name its repository, or rewriting it
            changed its counts (it must change the repository id and nothing else).
    """
    from medsins.release.card import retarget_card

    root = Path(release_dir)
    out: dict[str, bytes] = {}
    card = (root / CARD_NAME).read_text(encoding="utf-8")
    new_card = retarget_card(card, repo_id)
    if new_card != card:
        check_card(root, manifest, new_card)  # the published card's counts are checked, not just the folder's
        out[CARD_NAME] = new_card.encode("utf-8")
    if CROISSANT_NAME in manifest.files:
        from medsins.release.croissant import retarget_croissant

        croissant = (root / CROISSANT_NAME).read_text(encoding="utf-8")
        new_croissant = retarget_croissant(croissant, repo_id)
        if new_croissant != croissant:
            out[CROISSANT_NAME] = new_croissant.encode("utf-8")
    if out:
        published = manifest.model_copy(deep=True)
        for path, data in out.items():
            published.files[path] = ReleaseFile(
                sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), rows=manifest.files[path].rows
            )
        with tempfile.TemporaryDirectory(prefix="medsins-push-") as tmp:  # the manifest module's own format
            out[MANIFEST_NAME] = write_manifest(Path(tmp), published).read_bytes()
    return out


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class RemoteFile:
    """A file on the Hub: its sha256 when stored with LFS or Xet, else its git blob id."""

    path: str
    size: int
    sha256: str | None
    blob_id: str


@dataclass(frozen=True)
class LocalFile:
    """A file to publish: the release file ``source``, or ``data`` when it is published rewritten."""

    path: str
    source: Path
    sha256: str
    bytes: int
    data: bytes | None = None

    def content(self) -> bytes:
        return self.source.read_bytes() if self.data is None else self.data

    def git_blob_id(self) -> str:
        data = self.content()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    def same_as(self, remote: RemoteFile | None) -> bool:
        """Is the remote file byte-identical to this one?"""
        if remote is None or remote.size != self.bytes:
            return False
        if remote.sha256 is not None:
            return remote.sha256 == self.sha256
        return remote.blob_id == self.git_blob_id()


def local_files(
    release_dir: Path, manifest: ReleaseManifest, rewritten: dict[str, bytes] | None = None
) -> dict[str, LocalFile]:
    """Every file to publish: the manifest's files plus ``manifest.json`` itself.

    ``rewritten`` (from :func:`retargeted_files`) replaces the content of some of them.
    """
    root = Path(release_dir)
    files = {path: LocalFile(path, root / path, info.sha256, info.bytes) for path, info in manifest.files.items()}
    manifest_path = root / MANIFEST_NAME
    files[MANIFEST_NAME] = LocalFile(
        MANIFEST_NAME, manifest_path, sha256_file(manifest_path), manifest_path.stat().st_size
    )
    for path, data in (rewritten or {}).items():
        files[path] = LocalFile(path, root / path, hashlib.sha256(data).hexdigest(), len(data), data)
    return files


def _chunks(files: list[LocalFile], max_files: int, max_bytes: int) -> Iterator[list[LocalFile]]:
    chunk: list[LocalFile] = []
    size = 0
    for f in files:
        if chunk and (len(chunk) >= max_files or size + f.bytes > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(f)
        size += f.bytes
    if chunk:
        yield chunk


def plan_push(
    local: dict[str, LocalFile],
    remote: dict[str, RemoteFile],
    *,
    manifest: ReleaseManifest,
    max_files: int = COMMIT_MAX_FILES,
    max_bytes: int = COMMIT_MAX_BYTES,
) -> tuple[list[PlannedCommit], list[str]]:
    """The commits that turn ``remote`` into the release, and the files already in place.

    Data files go first in bounded commits (sorted by path, so plans are
    deterministic); the card, ``croissant.json``, the manifest and the removal
    of stale files (remote files inside the release's top-level folders, e.g.
    ``data/``, that the release no longer has) go in the last commit.
    """
    changed = [f for path, f in sorted(local.items()) if not f.same_as(remote.get(path))]
    unchanged = sorted(path for path, f in local.items() if f.same_as(remote.get(path)))
    folders = {path.split("/", 1)[0] for path in local if "/" in path}
    stale = sorted(
        path
        for path in remote
        if path not in local and path not in _KEEP and "/" in path and path.split("/", 1)[0] in folders
    )
    data = [f for f in changed if f.path not in LAST_FILES]
    last = sorted((f for f in changed if f.path in LAST_FILES), key=lambda f: LAST_FILES.index(f.path))
    chunks = list(_chunks(data, max_files, max_bytes))
    commits = [
        PlannedCommit(
            f"Upload release data ({i}/{len(chunks)})" if len(chunks) > 1 else "Upload release data",
            tuple(FileChange(f.path, f.bytes) for f in chunk),
        )
        for i, chunk in enumerate(chunks, 1)
    ]
    if last or stale or commits:
        total = manifest.counts.get("total")
        kept = f", {total.kept} records" if total is not None else ""
        commits.append(
            PlannedCommit(
                f"Release {manifest.profile} build (medsins {manifest.medsins_version}{kept})",
                tuple(FileChange(f.path, f.bytes) for f in last) + tuple(FileChange(p, 0, True) for p in stale),
            )
        )
    return commits, unchanged


# --------------------------------------------------------------------------- errors: which to retry


#: How hf_xet (Rust) writes an HTTP status into the message of the ConnectionError it raises.
_XET_STATUS = re.compile(r"HTTP status (?:client|server) error \((\d{3})\b")
#: How resolvers say a host name does not resolve (glibc, macOS, reqwest/hyper).
_UNRESOLVED = re.compile(
    r"Name or service not known|nodename nor servname|Temporary failure in name resolution|"
    r"No address associated with hostname|failed to lookup address|dns error",
    re.IGNORECASE,
)


def _httpx() -> Any:
    """huggingface_hub's HTTP client module: ``httpx2`` since huggingface_hub 2, ``httpx`` before."""
    try:
        return __import__("httpx2")
    except ImportError:  # pragma: no cover
        return __import__("httpx")


def _status(exc: BaseException) -> int | None:
    """The HTTP status behind an error: its response's, or the one hf_xet wrote in its message."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is None and isinstance(exc, OSError) and (match := _XET_STATUS.search(str(exc))):
        return int(match[1])
    return status


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


def _unreachable(exc: BaseException, endpoint: str) -> str | None:
    """Why ``endpoint`` cannot be reached at all (offline mode, unknown host, refused connection), or None.

    These are not transient: the same request would fail the same way at once.
    """
    from huggingface_hub.errors import OfflineModeIsEnabled

    connect_error = _httpx().ConnectError
    url = urlsplit(endpoint)
    host, address = url.hostname or endpoint, url.netloc or endpoint
    for err in _causes(exc):
        if isinstance(err, OfflineModeIsEnabled):
            return "offline mode: HF_HUB_OFFLINE is set"
        if not isinstance(err, OSError | connect_error):
            continue
        text = str(err)
        if isinstance(err, socket.gaierror) or _UNRESOLVED.search(text):
            return f"cannot resolve host {host}"
        if isinstance(err, ConnectionRefusedError | connect_error) or "Connection refused" in text:
            return f"cannot connect to {address}: {_first_line(err)}"
    return None


def _verdict(err: BaseException) -> bool | None:
    """True when ``err`` is transient, False when it is not, None when it does not say."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    httpx = _httpx()
    if isinstance(err, OfflineModeIsEnabled):
        return False
    status = _status(err)
    if status is not None:
        return status in RETRY_STATUSES
    if isinstance(err, httpx.ConnectError | httpx.UnsupportedProtocol | httpx.ProxyError):
        return False  # an unknown host or a refused connection: retrying changes nothing
    if isinstance(err, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return True  # timeouts, resets, a connection dropped mid-answer
    if isinstance(err, socket.gaierror | ConnectionRefusedError):
        return False
    if isinstance(err, TimeoutError | ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return True
    if isinstance(err, ConnectionError):
        # hf_xet's network errors, 429s and 5xx (its statuses are read above) and nothing more
        # specific: transient unless the host is not there at all.
        text = str(err)
        return not (_UNRESOLVED.search(text) or "Connection refused" in text)
    return None


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: 429/5xx/408, a 409/412 conflict, a timeout or a dropped connection.

    The first error along the cause chain that says anything decides (an
    upload's HTTP error arrives wrapped in a ``RuntimeError``). Not transient:
    other statuses (404, 401, 403, 422, ...), offline mode, an unknown host, a
    refused connection, and errors that are not about the network at all.
    """
    for err in _causes(exc):
        verdict = _verdict(err)
        if verdict is not None:
            return verdict
    return False


def _scrub(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def _first_line(exc: BaseException) -> str:
    """The gist of an error: its first line, plus what the server said when it said something."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    server = " ".join((getattr(exc, "server_message", None) or "").split())
    return f"{first}: {server}" if server and server not in first else first


# --------------------------------------------------------------------------- the Hub side


class _Hub:
    """The Hub calls of one push, with retries and error translation."""

    def __init__(self, api: HfApi, repo_id: str, token: str | None, retry: RetryPolicy) -> None:
        self.api = api
        self.repo_id = repo_id
        self.token = token
        self.retry = retry
        self.retries = 0

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """Turn huggingface_hub, hf_xet and transport errors into one-line :class:`PushError` messages."""
        try:
            yield
        except PushError:
            raise
        except Exception as exc:
            translated = self._translate(exc, what)
            if translated is None:
                raise
            raise translated from None

    def _translate(self, exc: BaseException, what: str) -> PushError | None:
        """The :class:`PushError` for ``exc`` (looked up along its cause chain), or None if foreign."""
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

        endpoint = self.api.endpoint
        if isinstance(exc, ValueError) and "Invalid metadata in README.md" in str(exc):
            gist = _scrub(" ".join(str(exc).split()), self.token)
            return PushError(f"the Hub rejected the dataset card: {gist}", "card")
        reason = _unreachable(exc, endpoint)
        if reason is not None:
            hint = "unset HF_HUB_OFFLINE to push" if reason.startswith("offline") else "check the endpoint and network"
            return PushError(
                f"{what} failed: cannot reach {endpoint} ({_scrub(reason, self.token)}); {hint}, "
                "or use --dry-run to plan without it",
                "unreachable",
                reason,
            )
        for err in _causes(exc):  # e.g. an upload's HTTP error wrapped in a RuntimeError
            status = _status(err)
            if isinstance(err, RepositoryNotFoundError):
                if status == 401 and self.token:
                    return self._auth_error(err)
                return PushError(
                    f"dataset repo {self.repo_id} not found at {endpoint} while {what} "
                    "(or the token has no access to it)",
                    "not-found",
                )
            if isinstance(err, RevisionNotFoundError):
                return PushError(f"{what}: revision not found in {self.repo_id}", "not-found")
            if isinstance(err, HfHubHTTPError) or (isinstance(err, OSError) and status is not None):
                # OSError with a status: hf_xet's errors (ConnectionError, PermissionError, ...)
                if status == 401:
                    return self._auth_error(err)
                if status == 403:
                    return PushError(f"the token may not write to {self.repo_id} (403 Forbidden) while {what}", "auth")
                kind = "conflict" if status in CONFLICT_STATUSES else "not-found" if status == 404 else "hub"
                return PushError(f"{what} failed on {endpoint}: {_scrub(_first_line(err), self.token)}", kind)
            if isinstance(err, _httpx().TransportError | ConnectionError | TimeoutError):
                gist = _scrub(_first_line(err), self.token)
                return PushError(f"{what} failed: cannot reach {endpoint} ({gist})", "hub")
        return None

    def _auth_error(self, exc: BaseException) -> PushError:
        return PushError(
            f"the Hub at {self.api.endpoint} rejected the token (401 Unauthorized); "
            "check HF_TOKEN, `hf auth login` or --token",
            "auth",
        )

    def call(self, what: str, step: Callable[[], T], *, before_retry: Callable[[], None] | None = None) -> T:
        """Run ``step``; on transient errors wait and retry, up to ``retry.attempts`` tries in all."""
        with self.errors(what):
            for attempt in range(1, self.retry.attempts + 1):
                try:
                    return step()
                except PushError:
                    raise
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    if attempt >= self.retry.attempts:
                        raise PushError(
                            f"{what} still failing after {attempt} attempts "
                            f"({_scrub(_first_line(exc), self.token)}); the push was interrupted: "
                            "run it again to upload what is missing",
                            "interrupted",
                        ) from None
                    delay = self.retry.delay(attempt)
                    log.warning(
                        "%s: transient error (%s); retry %d/%d in %.1fs",
                        what,
                        _scrub(_first_line(exc), self.token),
                        attempt,
                        self.retry.attempts - 1,
                        delay,
                    )
                    self.retries += 1
                    self.retry.sleep(delay)
                    if before_retry is not None:
                        before_retry()
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reads
    def repo_private(self) -> bool | None:
        """The repository's visibility, or None when it does not exist."""
        from huggingface_hub.errors import RepositoryNotFoundError

        def step() -> bool | None:
            try:
                info = self.api.repo_info(self.repo_id, repo_type="dataset", token=self.token)
            except RepositoryNotFoundError as exc:
                if _status(exc) == 401 and self.token:
                    raise self._auth_error(exc) from None
                return None
            return bool(info.private) if info.private is not None else False

        return self.call(f"reading {self.repo_id}", step)

    def branch_exists(self, branch: str) -> bool:
        refs = self.call(
            "listing branches",
            lambda: self.api.list_repo_refs(self.repo_id, repo_type="dataset", token=self.token),
        )
        return any(b.name == branch for b in refs.branches)

    def head(self, revision: str) -> str:
        info = self.call(
            f"reading {revision}",
            lambda: self.api.repo_info(self.repo_id, repo_type="dataset", revision=revision, token=self.token),
        )
        assert info.sha is not None
        return info.sha

    def listing(self, revision: str) -> dict[str, RemoteFile]:
        """Every file at ``revision`` with its content digest (sha256 for LFS files)."""
        from huggingface_hub.hf_api import RepoFile

        def step() -> dict[str, RemoteFile]:
            entries = self.api.list_repo_tree(
                self.repo_id, repo_type="dataset", revision=revision, recursive=True, token=self.token
            )
            return {e.path: _remote(e) for e in entries if isinstance(e, RepoFile)}

        return self.call(f"listing {self.repo_id}@{revision}", step)

    def paths(self, revision: str, paths: list[str]) -> dict[str, RemoteFile]:
        """The given paths at ``revision`` (absent ones are left out)."""
        from huggingface_hub.hf_api import RepoFile

        def step() -> dict[str, RemoteFile]:
            entries = self.api.get_paths_info(
                self.repo_id, paths, repo_type="dataset", revision=revision, token=self.token
            )
            return {e.path: _remote(e) for e in entries if isinstance(e, RepoFile)}

        return self.call(f"reading paths of {self.repo_id}@{revision}", step)

    def validate_card(self, text: str) -> None:
        """Ask the Hub to validate the card's YAML before any upload (fail early, not after the shards).

        One idempotent request: huggingface_hub's ``http_backoff`` retries it, with
        this push's policy and its notion of transient errors.
        """
        from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_backoff

        what = "validating the dataset card"
        httpx = _httpx()
        with self.errors(what):
            try:
                response = http_backoff(
                    "POST",
                    f"{self.api.endpoint}/api/validate-yaml",
                    json={"content": text, "repoType": "dataset"},
                    headers=build_hf_headers(token=self.token or False, library_name="medsins"),
                    max_retries=self.retry.attempts - 1,
                    base_wait_time=self.retry.base_delay,
                    max_wait_time=self.retry.max_delay,
                    # Not ConnectError (an unknown host, a refused connection): see is_transient.
                    retry_on_exceptions=(
                        httpx.TimeoutException,
                        httpx.ReadError,
                        httpx.WriteError,
                        httpx.CloseError,
                        httpx.RemoteProtocolError,
                    ),
                    retry_on_status_codes=tuple(TRANSIENT_STATUSES),
                )
                if response.status_code == 400:
                    try:
                        errors = [e.get("message", "") for e in response.json().get("errors", [])]
                    except ValueError:
                        errors = [response.text]
                    raise PushError(f"the Hub rejected the dataset card {CARD_NAME}: {'; '.join(errors)}", "card")
                hf_raise_for_status(response)
            except PushError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    raise PushError(
                        f"{what} still failing after {self.retry.attempts} attempts "
                        f"({_scrub(_first_line(exc), self.token)}); nothing was pushed: run it again later",
                        "interrupted",
                    ) from None
                raise


def _remote(entry: Any) -> RemoteFile:
    lfs = entry.lfs
    return RemoteFile(entry.path, int(entry.size), lfs.sha256 if lfs else None, entry.blob_id)


def resolve_token(token: str | None) -> str | None:
    """The explicit token, else ``HF_TOKEN`` / the saved login (huggingface_hub's own lookup)."""
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


# --------------------------------------------------------------------------- the push


def push_release(
    release_dir: str | Path,
    repo_id: str,
    *,
    private: bool | None = None,
    create_pr: bool = False,
    revision: str | None = None,
    dry_run: bool = False,
    token: str | None = None,
    create: bool = True,
    endpoint: str | None = None,
    commit_max_files: int = COMMIT_MAX_FILES,
    commit_max_bytes: int = COMMIT_MAX_BYTES,
    retry: RetryPolicy | None = None,
) -> PushResult:
    """Publish the release folder ``release_dir`` as the dataset repo ``repo_id``.

    Args:
        release_dir: A folder written by ``medsins build`` (``manifest.json``, card, shards).
        repo_id: ``ORG/NAME`` of the dataset repository.
        private: Visibility of a repo this call creates; default private unless the
            release is a ``public``-profile build that may be redistributed.
        create_pr: Open a pull request with the changes instead of writing to the branch.
        revision: Branch to push to (created from ``main`` if missing); default ``main``.
        dry_run: Only compute and return the plan (the exact commits and files); change nothing.
            When the Hub cannot be reached (offline mode, unknown host, refused connection)
            the plan is made against an empty repository and ``result.unreachable`` says why.
        token: Hub token; default ``HF_TOKEN`` or the saved login. Never printed.
        create: Create the repository when it does not exist (``--no-create`` turns this off).
        endpoint: Hub URL; default ``HF_ENDPOINT`` / https://huggingface.co.
        commit_max_files, commit_max_bytes: Bounds of one data commit.
        retry: Retry policy for transient errors and conflicts.

    Returns:
        A :class:`PushResult` with the plan, the commit ids made, and the PR URL if any.

    Raises:
        ReleaseError: The folder disagrees with its manifest, the card with the manifest,
            or the card does not name its repository (so it cannot be rendered for ``repo_id``).
        PushError: Unsafe target, missing token, rejected token, missing repo with
            ``create=False``, card rejected by the Hub, Hub unreachable (not in a dry
            run), or a push interrupted after retries (``kind`` says which).

    Example::

        >>> from medsins.release.push import push_release
        >>> result = push_release("release/", "medsins/meds-ins", dry_run=True)
        >>> print(result.describe())
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    from medsins import __version__

    root = Path(release_dir)
    retry = retry or RetryPolicy()
    if commit_max_files < 1 or commit_max_bytes < 1:
        raise ValueError("commit_max_files and commit_max_bytes must be positive")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise PushError(f"invalid repo id {repo_id!r}: {_first_line(exc)}", "usage") from None
    if "/" not in repo_id:
        raise PushError(f"invalid repo id {repo_id!r}: expected ORG/NAME", "usage")

    # 1. Local checks: nothing leaves the machine unless the folder is exactly what its manifest says.
    manifest = verify_release(root)
    check_card(root, manifest)
    if private is False and not public_allowed(manifest):
        raise PushError(_unsafe_message(manifest, repo_id), "unsafe")
    wanted_private = private if private is not None else not (manifest.profile == "public" and public_allowed(manifest))
    # The card (and croissant.json) as published: naming repo_id, whatever repo the release was built for.
    rewritten = retargeted_files(root, manifest, repo_id)
    local = local_files(root, manifest, rewritten)
    card_text = local[CARD_NAME].content().decode("utf-8")

    # 2. Who and where.
    token = resolve_token(token)
    if token is None and not dry_run:
        raise PushError("no Hugging Face token: set HF_TOKEN, run `hf auth login`, or pass --token", "auth")
    api = HfApi(
        endpoint=endpoint,
        token=token or False,
        library_name="medsins",
        library_version=__version__,
    )
    hub = _Hub(api, repo_id, token, retry)
    branch = revision or "main"
    result = PushResult(repo_id, api.endpoint, branch, dry_run, wanted_private, create_repo=False)
    result.pull_request = create_pr
    result.retargeted = sorted(p for p in rewritten if p != MANIFEST_NAME)

    # 3-5. The remote state. A dry run that cannot reach the Hub at all (offline mode,
    #      unknown host, refused connection) plans against an empty repository instead.
    try:
        remote, head = _remote_state(hub, result, manifest, card_text, create=create, dry_run=dry_run, private=private)
    except PushError as exc:
        if not (dry_run and exc.kind == "unreachable"):
            raise
        log.info("%s unreachable (%s): planning against an empty repository", api.endpoint, exc.reason)
        result.unreachable = exc.reason
        remote, head = {}, None

    result.plan, result.unchanged = plan_push(
        local, remote, manifest=manifest, max_files=commit_max_files, max_bytes=commit_max_bytes
    )
    if dry_run or result.up_to_date:
        if result.up_to_date:
            log.info("%s@%s already holds this release; nothing to push", repo_id, branch)
        return result

    # 6. Commit, data first and the card last.
    assert head is not None
    target = branch
    for i, commit in enumerate(result.plan):
        head, pr_url = _commit(
            hub,
            local,
            commit,
            target=target,
            head=head,
            create_pr=create_pr and i == 0,
            what=f"commit {i + 1}/{len(result.plan)} to {repo_id}",
        )
        result.commit_oids.append(head)
        if pr_url:
            result.pr_url = pr_url
            target = f"refs/pr/{pr_url.rstrip('/').rsplit('/', 1)[-1]}"
    result.retries = hub.retries
    log.info("pushed %s to %s@%s in %d commit(s)", root, repo_id, target, len(result.commit_oids))
    return result


def _remote_state(
    hub: _Hub,
    result: PushResult,
    manifest: ReleaseManifest,
    card_text: str,
    *,
    create: bool,
    dry_run: bool,
    private: bool | None,
) -> tuple[dict[str, RemoteFile], str | None]:
    """Validate the card, make sure of the repository and branch; the remote files and the head to commit on.

    Creates the repository and the branch when needed, unless ``dry_run``
    (``result`` records what was, or would be, created).
    """
    api, repo_id, token, branch = hub.api, hub.repo_id, hub.token, result.revision
    # 3. The Hub validates the card first (also in a dry run): a card it would reject
    #    fails the push before a repository is created or a byte is uploaded.
    try:
        hub.validate_card(card_text)
    except PushError as exc:
        if not (exc.kind == "auth" and token is None):
            raise
        log.warning("dry run without a token: the Hub did not validate the card")

    # 4. The repository: exists? visible to whom?
    existing_private = hub.repo_private()
    if existing_private is None:
        if not create:
            raise PushError(
                f"dataset repo {repo_id} does not exist at {api.endpoint} (and --no-create was given)",
                "not-found",
            )
        result.create_repo = True
        if not dry_run:
            hub.call(
                f"creating {repo_id}",
                lambda: api.create_repo(
                    repo_id, repo_type="dataset", private=result.private, exist_ok=True, token=token
                ),
            )
    else:
        result.private = existing_private
        if not existing_private and not public_allowed(manifest):
            raise PushError(_unsafe_message(manifest, repo_id), "unsafe")
        if private and not existing_private:
            raise PushError(
                f"{repo_id} exists and is public; --private does not change an existing repo's visibility "
                "(make it private on the Hub first)",
                "unsafe",
            )

    # 5. The target branch and its current state.
    if result.create_repo:
        remote: dict[str, RemoteFile] = {}
        head = None if dry_run else hub.head("main")
        result.create_branch = branch != "main"
    else:
        if branch != "main" and not hub.branch_exists(branch):
            result.create_branch = True
        head = hub.head("main" if result.create_branch else branch)
        remote = hub.listing(head)
    if result.create_branch and not dry_run:
        hub.call(
            f"creating branch {branch}",
            lambda: api.create_branch(repo_id, branch=branch, repo_type="dataset", exist_ok=True, token=token),
        )
        head = hub.head(branch)
    return remote, head


def _unsafe_message(manifest: ReleaseManifest, repo_id: str) -> str:
    restricted = restricted_sources(manifest)
    why = (
        f"sources {', '.join(restricted)} are not redistributable"
        if restricted
        else (f"profile {manifest.profile!r} admits restricted records (publishable: false)")
    )
    return f"refusing to push to a public repo ({repo_id}): {why}; push to a private repo instead"


def _commit(
    hub: _Hub,
    local: dict[str, LocalFile],
    commit: PlannedCommit,
    *,
    target: str,
    head: str,
    create_pr: bool,
    what: str,
) -> tuple[str, str | None]:
    """Make one planned commit; return the new head and the PR URL if one was opened.

    On a retry the remote is read again and only what is still missing is
    committed: when a previous attempt landed but its answer was lost, the
    commit is not made twice.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    state = {"parent": head, "check": False}

    def refresh() -> None:
        state["parent"] = hub.head(target)
        state["check"] = True

    def step() -> tuple[str, str | None]:
        adds, deletes = commit.additions, commit.deletions
        if state["check"] and not create_pr:
            remote = hub.paths(str(state["parent"]), adds + deletes)
            adds = [p for p in adds if not local[p].same_as(remote.get(p))]
            deletes = [p for p in deletes if p in remote]
            if not adds and not deletes:  # it landed: the head already holds this commit's changes
                return str(state["parent"]), None
        # A path lets huggingface_hub stream the file (and hash it for Xet/LFS); bytes for a rewritten card.
        operations: list[Any] = [
            CommitOperationAdd(
                path_in_repo=p, path_or_fileobj=str(local[p].source) if local[p].data is None else local[p].data
            )
            for p in adds
        ]
        operations += [CommitOperationDelete(path_in_repo=p) for p in deletes]
        info = hub.api.create_commit(
            hub.repo_id,
            operations,
            commit_message=commit.message,
            repo_type="dataset",
            revision=target,
            create_pr=create_pr,
            parent_commit=str(state["parent"]),
            token=hub.token,
        )
        return info.oid, info.pr_url

    return hub.call(what, step, before_retry=refresh)
