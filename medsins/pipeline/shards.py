"""The release's Parquet shards written a task at a time, in parallel Ray tasks.

The assemble stage leaves one sorted file per task in ``work/kept/``, and
:func:`medsins.release.shard.write_shards` reads a kept folder file by file, so
a task's shards depend on that task's file alone. :func:`write_task_shards`
therefore runs ``write_shards`` on each task's file as its own Ray task, into
the same release folder, and returns what one sequential ``write_shards`` over
the folder returns: the shards in write order (task order, then split) and the
merged :class:`~medsins.release.shard.ShardStats` — the same files, byte for byte.

The Ray engine hands it to :func:`medsins.release.writer.write_release` as its
``shard_writer`` (:meth:`medsins.pipeline.executors.RayExecutor.shard_writer`), so
the release folder, like the work folder, must be visible to every node at the
same path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medsins.release.shard import Shard, ShardLimits, ShardStats, kept_files, write_shards


def task_shards(kept: Path, root: Path, config_of: dict[str, str], limits: ShardLimits | None) -> tuple[
    list[Shard], ShardStats
]:
    """The shards and statistics of one task's sorted kept file (a Ray task)."""
    stats = ShardStats()
    return write_shards(kept, root, config_of, limits=limits, stats=stats), stats


def write_task_shards(
    ray: Any, kept: Path, root: Path, config_of: dict[str, str], *, limits: ShardLimits | None = None,
    stats: ShardStats | None = None,
) -> list[Shard]:
    """``write_shards(kept, root, ...)`` with each task's file written by a Ray task; the same result."""
    remote = ray.remote(num_cpus=1, max_retries=0)(task_shards)
    results = ray.get([remote.remote(path, root, config_of, limits) for path in kept_files(kept)])
    shards: list[Shard] = []
    for found, task_stats in results:
        shards += found
        if stats is not None:
            stats.languages |= task_stats.languages
            for source, licenses in task_stats.licenses.items():
                merged = stats.licenses.setdefault(source, {})
                for license_id, count in licenses.items():
                    merged[license_id] = merged.get(license_id, 0) + count
    return shards
