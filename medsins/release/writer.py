"""Writing a release folder: shards, card, licenses, Croissant, manifest — all or nothing.

Everything is written into a hidden sibling folder
(``.<name>.partial-<pid>``); ``manifest.json`` is written last and the folder
is verified against it before it is renamed into place. An interrupted or
failed write therefore never leaves a folder that looks like a release, and an
existing release is replaced only by a complete, verified one. The hidden
folders of a writer that was killed (its pid no longer runs) are removed by
the next write (:func:`medsins.workfolder.remove_leftovers`).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path

from medsins.ledger import LEDGER_NAME
from medsins.records import SourceManifest
from medsins.registry import Registry
from medsins.release.card import (
    CROISSANT_FILE,
    DEFAULT_PRETTY_NAME,
    LICENSE_FILE,
    plan_configs,
    render_card,
    render_license_file,
)
from medsins.release.croissant import render_croissant
from medsins.release.instructions import instruction_table, render_instructions
from medsins.release.manifest import (
    CARD_NAME,
    INSTRUCTIONS_NAME,
    ReleaseFile,
    ReleaseManifest,
    sha256_file,
    verify_release,
    write_manifest,
)
from medsins.release.shard import ShardLimits, ShardStats, ShardWriter, write_shards
from medsins.upstream_instructions import InstructionSet
from medsins.workfolder import check_release_target, remove_leftovers, remove_tree


def write_release(
    kept: Path,
    out_dir: Path,
    *,
    registry: Registry,
    sources: Mapping[str, SourceManifest],
    manifest: ReleaseManifest,
    card_extras: Mapping[str, object] | None = None,
    limits: ShardLimits | None = None,
    upstream_instructions: Mapping[str, InstructionSet] | None = None,
    ledger: Path | None = None,
    shard_writer: ShardWriter | None = None,
) -> ReleaseManifest:
    """Write the release folder ``out_dir`` from the sorted kept records and return its manifest.

    Args:
        kept: Parquet file (or folder of them) with the record schema, sorted by
            (task, split, id) as ``medsins build`` assembles it.
        out_dir: the release folder; an existing release there is replaced once
            the new one is complete. A non-empty folder that is not a release is
            never touched.
        registry: task cards (config of each task, benchmark groups, names).
        sources: manifests of the build's sources (license table, citations).
        manifest: provenance and ledger counts from the build; ``files`` and
            ``configs`` are filled here.
        card_extras: optional card settings: ``pretty_name``, ``repo_id`` (the Hub
            repository ``ORG/NAME`` the card and ``croissant.json`` name; default
            :data:`medsins.load.DEFAULT_REPO_ID`), ``tags`` (added), ``description``
            (a paragraph).
        limits: shard and row-group size bounds (default: 500 MB shards).
        upstream_instructions: upstream instruction variants per task (from
            ``RewriteDefinitions.json``) added to ``instructions.json``.
        ledger: the build's ``ledger.parquet`` (ids, fates, origins and reasons;
            no record text), copied into the release as provenance.
        shard_writer: what writes the shards, with :func:`~medsins.release.shard.write_shards`'s
            signature and result (default: that function, in this process; ``--engine ray``
            passes one that writes each task's shards in a Ray task).

    Example:
        >>> write_release(work / "kept.parquet", Path("release"), registry=reg,
        ...               sources=manifests, manifest=ReleaseManifest(...))  # doctest: +SKIP
    """
    from medsins.load import DEFAULT_REPO_ID

    out_dir = Path(out_dir)
    _check_target(out_dir)
    remove_leftovers(out_dir)
    partial = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    if partial.exists():  # left by a crashed run of a process with our pid
        remove_tree(partial)
    partial.mkdir(parents=True)
    try:
        stats = ShardStats()
        config_of = {task.id: registry.config_of(task.id) for task in registry}
        shards = (shard_writer or write_shards)(Path(kept), partial, config_of, limits=limits, stats=stats)
        configs = plan_configs(shards, registry)
        extras = dict(card_extras or {})
        repo_id = str(extras.get("repo_id") or DEFAULT_REPO_ID)
        card = render_card(
            configs, stats, registry=registry, sources=sources, manifest=manifest, repo_id=repo_id, extras=extras
        )
        croissant = render_croissant(
            configs, shards, stats, registry=registry, sources=sources, manifest=manifest, repo_id=repo_id,
            extras=extras,
        )
        licenses = render_license_file(
            stats, sources, pretty_name=str(extras.get("pretty_name", DEFAULT_PRETTY_NAME))
        )
        files = {s.path: ReleaseFile(sha256=s.sha256, bytes=s.bytes, rows=s.rows) for s in shards}
        # Every file is listed with its sha256, so verify_release (and push) vouch for them all.
        for name, text in ((CARD_NAME, card), (CROISSANT_FILE, croissant), (LICENSE_FILE, licenses)):
            path = partial / name
            path.write_text(text, encoding="utf-8")
            files[name] = ReleaseFile(sha256=sha256_file(path), bytes=path.stat().st_size)
        table = instruction_table(registry, {shard.task_id for shard in shards}, upstream_instructions)
        variants_path = partial / INSTRUCTIONS_NAME
        variants_path.write_text(render_instructions(table), encoding="utf-8")
        files[INSTRUCTIONS_NAME] = ReleaseFile(
            sha256=sha256_file(variants_path), bytes=variants_path.stat().st_size
        )
        if ledger is not None:
            copy = partial / LEDGER_NAME
            shutil.copyfile(ledger, copy)
            files[LEDGER_NAME] = ReleaseFile(sha256=sha256_file(copy), bytes=copy.stat().st_size)
        result = ReleaseManifest.model_validate(
            manifest.model_dump()
            | {
                "files": {k: v.model_dump() for k, v in sorted(files.items())},
                "configs": {c.name: c.num_examples for c in configs},
            }
        )
        write_manifest(partial, result)  # last: its presence marks a complete release
        verify_release(partial)
        _replace(partial, out_dir)
    except BaseException:
        remove_tree(partial)
        raise
    return result


def _check_target(out_dir: Path) -> None:
    """Refuse to replace anything but a release (or an empty folder)."""
    check_release_target(out_dir)


def _replace(partial: Path, out_dir: Path) -> None:
    """Move the finished release into place, then delete the one it replaces."""
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        if old.exists():
            remove_tree(old)
        out_dir.rename(old)
    try:
        partial.rename(out_dir)
    except BaseException:
        if old is not None:
            old.rename(out_dir)  # put the previous release back
        raise
    if old is not None and not remove_tree(old):
        # The new release is in place; the next write retries the removal (this pid is dead by then).
        warnings.warn(f"{old}: the release replaced by {out_dir} could not be removed", stacklevel=3)
