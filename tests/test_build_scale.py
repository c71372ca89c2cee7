"""The build at scale: bounded-memory assemble, the fast records table, the dedup resume key."""

from __future__ import annotations

from pathlib import Path

import medsins.build as build_module
import medsins.pipeline.assemble as assemble_module
import medsins.pipeline.convert as convert_module
import medsins.pipeline.dedup as dedup_module
from medsins.convert import convert_source
from medsins.plugins import catalog
from medsins.records import Record
from medsins.release.schema import records_to_table
from medsins.stages import shingles


def test_dedup_resume_key_covers_every_setting(monkeypatch) -> None:
    options = build_module.BuildOptions()
    base = dedup_module._dedup_key(["k1"], options)
    assert dedup_module._dedup_key(["k1"], options) == base
    assert dedup_module._dedup_key(["k2"], options) != base
    assert dedup_module._dedup_key(["k1"], build_module.BuildOptions(dedup_threshold=0.7)) != base
    assert dedup_module._dedup_key(["k1"], build_module.BuildOptions(num_perm=64)) != base
    for name, value in (("DEDUP_SEED", 2), ("DEDUP_VERIFY", "estimate"), ("DEDUP_SCHEME", "legacy")):
        with monkeypatch.context() as patch:
            patch.setattr(dedup_module, name, value)
            assert dedup_module._dedup_key(["k1"], options) != base, name
    for name in ("WORD_N", "CHAR_N"):
        with monkeypatch.context() as patch:
            patch.setattr(shingles, name, getattr(shingles, name) + 1)
            assert dedup_module._dedup_key(["k1"], options) != base, name
    with monkeypatch.context() as patch:
        patch.setattr(shingles, "DEFAULT_HASH", "another hash", raising=False)
        assert dedup_module._dedup_key(["k1"], options) != base


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_large_tasks_sorted_by_id_range_give_the_same_release(tmp_path, monkeypatch) -> None:
    sources = ("pubmedqa", "cmeee", "medqa")
    whole = tmp_path / "whole"
    build_module.build(build_module.BuildOptions(sources=sources, out=whole, quiet=True))
    monkeypatch.setattr(assemble_module, "SORT_BYTES", 2_000)  # every task is cut into id ranges
    pieces: list[int] = []
    sorted_task = assemble_module._sorted_task

    def counting(*args):
        for piece in sorted_task(*args):
            pieces.append(piece.num_rows)
            yield piece

    monkeypatch.setattr(assemble_module, "_sorted_task", counting)
    ranged = tmp_path / "ranged"
    build_module.build(build_module.BuildOptions(sources=sources, out=ranged, quiet=True))
    tasks = {p.parent.name for p in (ranged / "data").glob("*/*/*.parquet")}
    assert len(pieces) > 2 * len(tasks)  # several id ranges per task
    assert tree_bytes(whole) == tree_bytes(ranged)
    assert not list((tmp_path / "ranged.work" / "assemble").rglob("*.parquet"))  # scratch removed


def test_records_table_equals_records_to_table() -> None:
    found = catalog()
    records = [
        item
        for name in ("medqa", "pubmedqa", "cmeee", "frenchmedmcqa")
        for item in convert_source(found.get(name), None, found.registry)
        if isinstance(item, Record)
    ]
    assert any(r.options for r in records) and any(r.domains for r in records)
    assert convert_module._records_table(records).equals(records_to_table(records))
    assert convert_module._records_table([]).equals(records_to_table([]))
