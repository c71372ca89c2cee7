"""Shared fixtures: the real corpora beside the checkout, the source catalog."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
UPSTREAM = REPO.parent / "shared" / "upstream"
FULLCORPORA = REPO.parent / "shared" / "fullcorpora"


def _shared_dir(path: Path) -> Path:
    """The folder, or a skip locally / a failure in CI when it is absent."""
    if not path.is_dir():
        message = f"{path} is missing (../shared must sit beside the checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def realdata() -> Path:
    """``../shared/realdata``: slices of real corpora in their native formats."""
    return _shared_dir(REALDATA)


@pytest.fixture(scope="session")
def fullcorpora() -> Path:
    """``../shared/fullcorpora``: the complete real files of some corpora (PROVENANCE.txt in each)."""
    return _shared_dir(FULLCORPORA)


@pytest.fixture(scope="session")
def upstream() -> Path:
    """``../shared/upstream``: real upstream MedS-Ins files (RewriteDefinitions.json)."""
    return _shared_dir(UPSTREAM)


@pytest.fixture(scope="session")
def catalog():
    """The discovered sources and the merged task registry."""
    from medsins.plugins import catalog as discover

    return discover()
