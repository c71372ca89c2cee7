"""medsins: reproducible builds of the MedS-Ins medical instruction dataset.

Public API::

    import medsins
    ds = medsins.load("ner")             # datasets.DatasetDict of every NER task
    medsins.tasks().get("task125")          # a task card
    [s.id for s in medsins.sources()]    # the corpus manifests
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

from medsins.errors import InputError, MedsinsError, ReleaseError, SourceError, UnknownNameError

# Imported eagerly so the function, not the submodule, is bound to ``medsins.load``
# (load.py imports datasets lazily, so this stays cheap).
from medsins.load import DEFAULT_REPO_ID, load
from medsins.records import AccessLevel, Example, Record, SourceManifest, Split, Task
from medsins.taxonomy import Category, TextSource

if TYPE_CHECKING:
    from medsins.registry import Registry


def tasks() -> Registry:
    """The task registry (built-in cards plus those of installed source plugins)."""
    from medsins.plugins import catalog

    return catalog().registry


def sources() -> list[SourceManifest]:
    """The manifests of every discovered source, sorted by id."""
    from medsins.plugins import catalog

    return sorted((s.manifest for s in catalog()), key=lambda m: m.id)


__all__ = [
    "DEFAULT_REPO_ID",
    "AccessLevel",
    "Category",
    "Example",
    "InputError",
    "MedsinsError",
    "Record",
    "ReleaseError",
    "SourceError",
    "SourceManifest",
    "Split",
    "Task",
    "TextSource",
    "UnknownNameError",
    "__version__",
    "load",
    "sources",
    "tasks",
]
