"""The build as a pipeline of stages run by an executor: layout, the local executor, the missing-Ray hint."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import medsins.build as build_module
from medsins.cli import main
from medsins.errors import MedsinsError
from medsins.pipeline import assemble, convert, dedup, executors
from medsins.pipeline import filter as filter_module
from medsins.pipeline.executors import RAY_HINT, LocalExecutor, executor


def test_each_stage_lives_in_its_own_module_and_build_reexports_it() -> None:
    assert build_module.convert_stage is convert.convert_stage
    assert build_module.filter_stage is filter_module.filter_stage
    assert build_module.dedup_stage is dedup.dedup_stage
    assert build_module.assemble_stage is assemble.assemble_stage
    assert build_module.Drops is dedup.Drops


def test_the_pipeline_fits_on_one_screen() -> None:
    source = Path(build_module.__file__).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(source) if line.startswith("def _build_locked("))
    end = next(i for i in range(start + 1, len(source)) if source[i].startswith(("def ", "class ")))
    assert end - start <= 50


class _Stage:
    def __init__(self) -> None:
        self.done = 0
        self.records = 0

    def advance(self, units: int = 1) -> None:
        self.done += units

    def add_records(self, n: int) -> None:
        self.records += n

    def shared_counter(self):  # pragma: no cover - only the pool path asks
        raise AssertionError


def _square(n: int) -> dict[str, int]:
    return {"n": n * n}


def test_local_executor_returns_results_in_job_order() -> None:
    stage = _Stage()
    assert LocalExecutor(1).map("square", stage, _square, [(3,), (1,), (2,)]) == [{"n": 9}, {"n": 1}, {"n": 4}]
    assert stage.done == 3


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(MedsinsError, match="unknown engine 'spark'; choose one of local, ray"):
        executor("spark")


def test_without_ray_the_ray_engine_is_a_one_line_install_hint(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError, as when not installed
    with pytest.raises(MedsinsError, match=r"pip install 'medsins\[ray\]'"):
        executors.RayExecutor()
    argv = ["build", "--engine", "ray", "--sources", "pubmedqa", "--quiet", "--out", str(tmp_path / "out")]
    assert main(argv) == 1
    assert capsys.readouterr().err.splitlines() == [f"medsins: error: {RAY_HINT}"]
    assert not (tmp_path / "out").exists()


def test_the_local_engine_never_imports_ray(tmp_path) -> None:
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from medsins.build import BuildOptions, build
        build(BuildOptions(sources=("pubmedqa",), out=Path({str(tmp_path / "out")!r}), quiet=True))
        assert "ray" not in sys.modules, "ray was imported"
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
