"""Helpers of the engine tests: a build on both engines, compared byte for byte."""

from __future__ import annotations

from pathlib import Path

from medsins.build import BuildOptions, build
from medsins.ledger import LEDGER_NAME


def release_bytes(out: Path, work: Path) -> dict[str, bytes]:
    """Every file of a release, and the work folder's ledger, by relative path."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    files["<work>/" + LEDGER_NAME] = (work / LEDGER_NAME).read_bytes()
    return files


def build_both(tmp: Path, **options) -> tuple[dict[str, bytes], dict[str, bytes]]:
    local = BuildOptions(out=tmp / "local", quiet=True, workers=2, **options)
    build(local)
    on_ray = BuildOptions(out=tmp / "ray", quiet=True, engine="ray", **options)
    result = build(on_ray)
    assert result.manifest.counts["total"].kept > 0
    return release_bytes(local.out, local.work_dir), release_bytes(on_ray.out, on_ray.work_dir)
