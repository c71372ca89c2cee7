"""``medsins.load``: a config, alias, benchmark group or task of a release as ``datasets``.

A local release folder (``path=`` or the ``MEDSINS_RELEASE`` environment
variable) is read through its own dataset card with
``datasets.load_dataset(folder, config)``: the same code path a user of the Hub
takes, with ``datasets``' default verification of the card's split sizes.

Memory: ``datasets`` cannot memory-map Parquet, so on first load it converts
the config's shards into Arrow files in its cache (``HF_DATASETS_CACHE``,
default ``~/.cache/huggingface/datasets``, or ``cache_dir=``) and memory-maps
those; later loads of the same shards reuse the cache. Loading through the
folder's card, through ``load_dataset("parquet", data_files=…)`` or
``Dataset.from_parquet`` all make that one Arrow copy; none of them keeps the
data in RAM. The cache is not put inside the release folder (a release holds
only what its manifest lists) nor beside it (it may be read-only).

This module imports nothing heavy at import time, so ``medsins/__init__.py``
can import :func:`load` eagerly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from medsins.errors import MedsinsError, UnknownNameError
from medsins.release.manifest import INSTRUCTIONS_NAME

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

    from medsins.registry import Registry

#: The Hub dataset repository ``load`` reads when no local release is given.
DEFAULT_REPO_ID = "medsins/meds-ins"

#: Environment variable naming a local release folder.
RELEASE_ENV = "MEDSINS_RELEASE"


def load(
    name: str = "all",
    split: str | None = None,
    *,
    path: str | Path | None = None,
    repo_id: str | None = None,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    registry: Registry | None = None,
    instruction: str | None = None,
    seed: int = 0,
) -> Dataset | DatasetDict:
    """Load a config of a MedS-Ins release.

    Args:
        name: a category config (``ner``) or alias (``named_entity_recognition``),
            ``all``, ``bench``, a MedS-Bench group (``mcqa``) or a task id (``task125``).
        split: ``train`` or ``test`` for one :class:`datasets.Dataset`; ``None``
            for a :class:`datasets.DatasetDict` of every split the config has.
        path: a local release folder (default: ``$MEDSINS_RELEASE``).
        repo_id: a Hub dataset repository, used when no local folder is given
            (default :data:`DEFAULT_REPO_ID`).
        revision: Hub branch, tag or commit.
        cache_dir: where ``datasets`` keeps its Arrow copy (default: its cache).
        registry: task registry used to tell unknown names from valid names the
            release has no data for (default: built-in plus plugin tasks).
        instruction: ``None`` keeps each record's instruction; ``"random"``
            replaces a record's task definition with one of the task's
            instruction variants (``instructions.json`` of the release), picked
            deterministically from the record id and ``seed``. A record that
            carries its own instruction (not the task definition) keeps it.
        seed: seed of ``instruction="random"``.

    Raises:
        UnknownNameError: ``name`` is not a config, alias, group or task (lists close matches).
        MedsinsError: ``name`` is valid but the release has no records for it, or
            ``split`` is not one of the config's splits.

    Example:
        >>> import medsins
        >>> ds = medsins.load("ner", path="release")              # doctest: +SKIP
        >>> test = medsins.load("task125", split="test")          # doctest: +SKIP
    """
    import datasets

    if path is None and repo_id is None and os.environ.get(RELEASE_ENV):
        path = os.environ[RELEASE_ENV]
    if path is not None and repo_id is not None:
        raise MedsinsError("give either path= (a local release) or repo_id= (the Hub), not both")
    cache = str(cache_dir) if cache_dir is not None else None
    if path is not None:
        from medsins.release.manifest import read_manifest

        folder = Path(path)
        manifest = read_manifest(folder)
        config = resolve_release_name(name, manifest.configs, str(folder), registry)
        _check_split(split, config, sorted(manifest.configs[config]))
        data = datasets.load_dataset(str(folder), config, split=split, cache_dir=cache)
        return _with_instructions(data, instruction, seed, lambda: folder / INSTRUCTIONS_NAME)
    repo = repo_id or DEFAULT_REPO_ID
    available = datasets.get_dataset_config_names(repo, revision=revision)
    config = resolve_release_name(name, available, repo, registry)
    if split is not None:
        splits = datasets.get_dataset_split_names(repo, config, revision=revision)
        _check_split(split, config, sorted(splits))
    data = datasets.load_dataset(repo, config, split=split, revision=revision, cache_dir=cache)

    def fetch() -> Path:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(repo, INSTRUCTIONS_NAME, repo_type="dataset", revision=revision))

    return _with_instructions(data, instruction, seed, fetch)


def _with_instructions(
    data: Dataset | DatasetDict, instruction: str | None, seed: int, locate: Callable[[], Path]
) -> Dataset | DatasetDict:
    """Apply ``instruction="random"`` sampling (see :func:`load`)."""
    if instruction is None:
        return data
    if instruction != "random":
        raise MedsinsError(f"instruction={instruction!r}: use None (keep) or 'random'")
    import json

    from medsins.upstream_instructions import pick_instruction

    path = locate()
    if not Path(path).is_file():
        raise MedsinsError(f"{path}: this release has no instruction variants ({INSTRUCTIONS_NAME})")
    table = json.loads(Path(path).read_text(encoding="utf-8"))

    def sample(batch: dict[str, list]) -> dict[str, list]:
        out = []
        for rid, task_id, current in zip(batch["id"], batch["task_id"], batch["instruction"], strict=True):
            entry = table.get(task_id)
            if entry and current == entry["definition"] and entry["variants"]:
                current = pick_instruction(rid, entry["variants"], seed)
            out.append(current)
        return {"instruction": out}

    return data.map(sample, batched=True, desc=None)


def canonical_name(name: str, registry: Registry) -> str | None:
    """The config name ``name`` stands for (resolving aliases), or ``None`` if unknown."""
    from medsins.registry import BENCH_CONFIG
    from medsins.taxonomy import resolve_config

    if name in registry:
        return name
    config = resolve_config(name)
    if config is not None:
        return config
    if name == BENCH_CONFIG or name in registry.benchmark_configs():
        return name
    return None


def resolve_release_name(
    name: str, available: Iterable[str], where: str, registry: Registry | None = None
) -> str:
    """Map ``name`` to one of the release's configs (``available``), or explain why not."""
    from medsins.taxonomy import resolve_config

    configs = list(available)
    if name in configs:
        return name
    alias = resolve_config(name)
    if alias is not None and alias in configs:
        return alias
    if registry is None:
        from medsins.plugins import catalog

        registry = catalog().registry
    canonical = canonical_name(name, registry)
    if canonical is None:
        candidates = list(dict.fromkeys([*registry.names(), *configs]))
        raise UnknownNameError("config or task", name, candidates)
    shown = name if canonical == name else f"{name!r} ({canonical})"
    raise MedsinsError(
        f"{shown} is a valid name but the release at {where} has no records for it "
        "(its source was not built, or its records were filtered out: see the release's "
        "manifest.json counts)"
    )


def _check_split(split: str | None, config: str, splits: list[str]) -> None:
    if split is not None and split not in splits:
        raise MedsinsError(f"config {config!r} has no {split!r} split; it has: {', '.join(splits)}")
