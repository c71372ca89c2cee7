"""Executors: what runs a stage's per-source jobs.

A per-source stage (convert, filter) is a list of jobs ``func(*job)``, each
writing its own folder of the work folder and returning its ``done.json``
payload. An executor runs the jobs and returns the payloads in job order, so
the build's output does not depend on which executor ran them, nor on how many
workers it had:

* :class:`LocalExecutor` (``--engine local``, the default): in the build's
  process, or in a pool of ``--workers`` spawned processes that die with it.
  Never imports Ray.
* :class:`RayExecutor` (``--engine ray``): a pool of Ray actors a stage (one a CPU), on the cluster at
  ``--ray-address`` (or a local Ray started for the build). The work folder must
  be visible to every node at the same path (a shared or local file system).
  It also runs the dedup stage's index (:meth:`RayExecutor.dedup_index`:
  sketching, the band-key shuffle and verification as Ray tasks) and plain
  Ray tasks for the assemble stage's per-task sort (:meth:`RayExecutor.tasks`).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from medsins import progress
from medsins.errors import MedsinsError
from medsins.release.shard import ShardWriter

#: Engines :func:`executor` knows, the default first.
ENGINES = ("local", "ray")
#: The one line a user without Ray reads.
RAY_HINT = "--engine ray needs Ray: pip install 'medsins[ray]'"

Job = tuple[Any, ...]
StageFunc = Callable[..., dict[str, Any]]


class Executor(Protocol):
    """Runs a stage's jobs; results in job order."""

    name: str

    def map(self, stage_name: str, stage: progress.Stage, func: StageFunc, jobs: list[Job]) -> list[dict[str, Any]]:
        """``[func(*job) for job in jobs]``, advancing ``stage`` by one a finished job."""
        ...

    def shard_writer(self) -> ShardWriter | None:
        """What writes the release's shards (None: ``write_release``'s own, in the build's process)."""
        ...

    def close(self) -> None:
        """Release what the executor started (a local Ray instance)."""
        ...


def executor(engine: str, workers: int = 1, ray_address: str | None = None) -> Executor:
    """The executor of ``engine`` ('local' or 'ray')."""
    if engine == "local":
        return LocalExecutor(workers)
    if engine == "ray":
        return RayExecutor(workers, ray_address)
    raise MedsinsError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


class LocalExecutor:
    """This machine: in process (one worker) or a pool of spawned processes bound to the build."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def map(self, stage_name: str, stage: progress.Stage, func: StageFunc, jobs: list[Job]) -> list[dict[str, Any]]:
        return run_parallel(stage_name, stage, self.workers, func, jobs)

    def shard_writer(self) -> ShardWriter | None:
        """The release's shards are written in this process (``write_release``'s default)."""
        return None

    def close(self) -> None:
        pass


class RayExecutor:
    """A Ray cluster: a pool of actors a stage. Ray is imported here, only when this engine is asked for."""

    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise MedsinsError(RAY_HINT) from exc
        self._ray = ray
        self.workers = max(1, workers)
        # Connect to a running cluster when asked, or when the caller already did (tests, notebooks);
        # otherwise start a local Ray for this build and stop it afterwards.
        self._owned = not ray.is_initialized()
        self._local = self._owned and not address  # a Ray of --workers CPUs started for this build
        if self._owned:
            # "local": a new Ray for this build, never another one that happens to run on the machine.
            ray.init(address=address or "local", include_dashboard=False, log_to_driver=False,
                     configure_logging=False, **({} if address else {"num_cpus": self.workers}))

    def map(self, stage_name: str, stage: progress.Stage, func: StageFunc, jobs: list[Job]) -> list[dict[str, Any]]:
        # One actor a CPU slot, for this stage only (as the local engine's pool): a worker does not
        # carry one stage's memory (converters, language models) into the next.
        ray = self._ray
        from ray.util import ActorPool

        actors = [ray.remote(num_cpus=1, max_restarts=0)(_StageWorker).remote()
                  for _ in range(max(1, min(self.slots(), len(jobs))))]
        pool = ActorPool(actors)
        for index, job in enumerate(jobs):
            pool.submit(lambda actor, item: actor.run.remote(func, *item), (index, job))
        results: dict[int, dict[str, Any]] = {}
        try:
            while pool.has_next():
                index, result, records = pool.get_next_unordered()
                results[index] = result
                stage.add_records(records)
                stage.advance()
        finally:
            for actor in actors:
                ray.kill(actor)  # fail now, not after every queued source; and free the worker
        return [_job_result(stage_name, job, lambda i=i: results[i]) for i, job in enumerate(jobs)]

    def slots(self) -> int:
        """CPU slots the stages spread over: ``--workers`` on a Ray started for the build, else the cluster's CPUs."""
        return self.workers if self._local else max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def dedup_index(self, files: list[Path], folder: Path, **settings: Any) -> Any:
        """The dedup stage's index over the filtered ``files``, as Ray tasks (:mod:`medsins.pipeline.ray_dedup`)."""
        from medsins.pipeline.ray_dedup import RayIndex

        return RayIndex(self._ray, files, folder, slots=self.slots(), **settings)

    def shard_writer(self) -> ShardWriter:
        """Each task's release shards written by its own Ray task (:mod:`medsins.pipeline.shards`)."""
        from medsins.pipeline.shards import write_task_shards

        return functools.partial(write_task_shards, self._ray)

    def tasks(self, func: Callable[..., Any], jobs: list[Job]) -> list[Any]:
        """``[func(*job) for job in jobs]`` as Ray tasks of one CPU each; results in job order."""
        remote = self._ray.remote(num_cpus=1, max_retries=0)(func)
        return self._ray.get([remote.remote(*job) for job in jobs])

    def close(self) -> None:
        if self._owned:
            self._ray.shutdown()


class _StageWorker:
    """A Ray actor that runs stage jobs (one stage's, then it is killed)."""

    def run(self, func: StageFunc, index: int, job: Job) -> tuple[int, dict[str, Any], int]:
        """``func(*job)`` with its index and the records it reported (progress)."""
        counted = [0]

        def add(n: int) -> None:
            counted[0] += n

        with progress.counting(add):
            try:
                result = func(*job)
            except OSError as exc:
                if exc.filename is not None:
                    raise
                raise MedsinsError(f"{job[0]} ({job[1]}): {exc.strerror or exc}") from exc
        return index, result, counted[0]


def _worker_init(parent: int, counter: Any) -> None:
    """Initializer of a stage's worker processes: die with the build, count records into ``counter``."""
    from medsins.workfolder import bind_to_parent

    bind_to_parent(parent)
    progress.count_into(counter)


def run_parallel(
    name: str, stage: progress.Stage, workers: int,
    func: Callable[..., dict[str, Any]], jobs: list[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """Run per-source jobs, in parallel when asked; results in job order (determinism).

    ``stage`` advances by one a finished job and counts the records jobs report
    (:func:`medsins.progress.records`), also from worker processes.
    """
    if workers == 1 or len(jobs) == 1:
        results = []
        with progress.counting(stage.add_records):
            for job in jobs:
                results.append(_job_result(name, job, lambda job=job: func(*job)))
                stage.advance()
        return results
    # spawn, not fork: the parent may already run native thread pools (lingua, pyarrow),
    # and forking a multi-threaded process can deadlock the child. bind_to_parent: the
    # workers die with the build, even on kill -9 (they would otherwise run on for ever).
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init, initargs=(os.getpid(), stage.shared_counter()),
    ) as pool:
        futures = [pool.submit(func, *job) for job in jobs]
        for future in futures:  # counted as they finish, not in the order results are collected
            future.add_done_callback(lambda _future: stage.advance())
        results = []
        try:
            for job, future in zip(jobs, futures, strict=True):
                results.append(_job_result(name, job, future.result))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # fail now, not after every queued source
            raise
        return results


def _job_result(name: str, job: tuple[Any, ...], result: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``result()``; an OS error that names no file is given the stage, source and folder it came from."""
    try:
        return result()
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise MedsinsError(f"{name} {job[0]} ({job[1]}): {exc.strerror or exc}") from exc
