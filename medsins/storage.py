"""Build locations in object storage: ``--raw-root``, ``--work`` and ``--out`` as ``s3://…``/``file://…`` URLs.

The stages read and write local files (converters open paths; the work folder
is locked, resumed and renamed into place). A URL is therefore mapped to a
local cache folder (``$MEDSINS_CACHE``, default ``~/.cache/medsins``) through
pyarrow's file systems (``pyarrow.fs.FileSystem.from_uri``: S3 and any
S3-compatible server, GCS, local ``file://``):

* ``--raw-root URL``: each source's folder is copied down before the build
  (only the sources built; a source already cached with the same file sizes is
  not copied again).
* ``--work URL``: the work folder is copied down before the build (so a rerun on
  another machine resumes) and copied up after it, also when it fails.
* ``--out URL``: the release is written locally, then uploaded file by file
  with ``manifest.json`` last; the previous release's files under the URL are
  replaced (object stores have no atomic rename: readers should wait for the
  manifest).

S3 credentials and endpoint come from the usual AWS settings
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``,
``AWS_ENDPOINT_URL`` for an S3-compatible server).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsins.errors import MedsinsError

if TYPE_CHECKING:
    from medsins.build import BuildOptions, BuildResult


def is_url(location: object) -> bool:
    """Whether ``location`` is a URL (``scheme://…``) rather than a local path."""
    return isinstance(location, str) and "://" in location


def _fs(url: str) -> tuple[Any, str]:
    import pyarrow.fs as pafs

    try:
        return pafs.FileSystem.from_uri(url)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...: one line for the user
        raise MedsinsError(f"{url}: {exc}") from exc


def cache_root() -> Path:
    """The local folder URLs are cached under."""
    return Path(os.environ.get("MEDSINS_CACHE") or Path.home() / ".cache" / "medsins")


def cache_dir(url: str, kind: str) -> Path:
    """The local cache folder of ``url`` (stable: the same URL, the same folder)."""
    name = url.rstrip("/").rsplit("/", 1)[-1] or kind
    digest = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return cache_root() / kind / f"{digest}-{name}"


def _listing(fs: Any, base: str) -> dict[str, int]:
    """Relative path → size of every file under ``base`` (empty when it does not exist)."""
    import pyarrow.fs as pafs

    infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    prefix = base.rstrip("/") + "/"
    return {i.path[len(prefix):]: i.size for i in infos if i.type == pafs.FileType.File}


def download(url: str, local: Path, only: Collection[str] = ()) -> Path:
    """Copy the files under ``url`` into ``local`` (those whose size differs or that are missing).

    ``only``: copy just these top-level folders (the sources a build reads).
    """
    fs, base = _fs(url)
    remote = _listing(fs, base)
    if only:
        remote = {rel: size for rel, size in remote.items() if rel.split("/", 1)[0] in set(only)}
    local.mkdir(parents=True, exist_ok=True)
    for rel, size in sorted(remote.items()):
        target = local / rel
        if target.is_file() and target.stat().st_size == size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        with fs.open_input_stream(f"{base.rstrip('/')}/{rel}") as src, tmp.open("wb") as dst:
            while chunk := src.read(8 << 20):
                dst.write(chunk)
        os.replace(tmp, target)
    return local


def upload(local: Path, url: str, *, last: str | None = None, replace: bool = False) -> None:
    """Copy every file of ``local`` to ``url``; ``last`` (a relative path) is written after the others.

    With ``replace``, files under ``url`` that ``local`` does not have are deleted first.
    """
    fs, base = _fs(url)
    base = base.rstrip("/")
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    if replace:
        stale = set(_listing(fs, base)) - set(files)
        if last in _listing(fs, base):
            stale.add(last)  # a reader must not take the old manifest for the new release
        for rel in sorted(stale):
            fs.delete_file(f"{base}/{rel}")
    ordered = [f for f in files if f != last] + ([last] if last in files else [])
    if fs.type_name == "local":  # a local file system, unlike a bucket, needs its folders made first
        for folder in sorted({rel.rpartition("/")[0] for rel in ordered}):
            fs.create_dir(f"{base}/{folder}".rstrip("/"), recursive=True)
    for rel in ordered:
        with (local / rel).open("rb") as src, fs.open_output_stream(f"{base}/{rel}") as dst:
            while chunk := src.read(8 << 20):
                dst.write(chunk)


def build_with_urls(options: BuildOptions, run: Callable[[BuildOptions], BuildResult]) -> BuildResult:
    """``run(options)`` with every URL location mapped to a local cache folder (see the module docstring).

    A URL ``--out`` without ``--work``: the work folder stays in the local cache.
    """
    raw, work, out = options.raw_root, options.work, options.out
    changes: dict[str, Any] = {}
    if is_url(raw):
        changes["raw_root"] = download(str(raw), cache_dir(str(raw), "raw"), only=options.sources)
    if is_url(out):
        changes["out"] = cache_dir(str(out), "out") / "release"
    if is_url(work):
        changes["work"] = download(str(work), cache_dir(str(work), "work"))
    local = replace(options, **changes)
    try:
        result = run(local)
    finally:
        if is_url(work):
            upload(local.work_dir, str(work))  # also a failed build's: a rerun elsewhere resumes from it
    if is_url(out):
        upload(local.out, str(out), last="manifest.json", replace=True)
        result = replace(result, release=str(out))
    return result
