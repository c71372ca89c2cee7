"""BC4CHEMD source: BioBERT IOB sample, the original CHEMDNER files, bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(source, raw, registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def bc4chemd(catalog):
    return catalog.get("bc4chemd")


def test_sample_converts_with_test_split(bc4chemd, catalog):
    records, rejections = _convert(bc4chemd, None, catalog.registry)
    assert rejections == []
    assert Counter(r.split.value for r in records) == {"train": 4, "test": 2}
    by_input = {r.input: (r.output, r.split.value) for r in records}
    assert by_input["Cisplatin and 5 - fluorouracil were given ."] == ("Cisplatin\n5 - fluorouracil", "test")
    assert by_input["Treatment with sodium chloride and glucose followed ."] == ("sodium chloride\nglucose", "train")
    assert by_input["The samples were analysed ."] == ("None", "train")
    again, _ = _convert(bc4chemd, None, catalog.registry)
    assert [r.id for r in again] == [r.id for r in records]


def test_original_chemdner_files(bc4chemd, catalog, tmp_path):
    title = "Effects of caffeine on sleep."
    abstract = "Caffeine (1,3,7-trimethylxanthine) was given. Sleep worsened."
    (tmp_path / "evaluation.abstracts.txt").write_text(f"123\t{title}\t{abstract}\n", encoding="utf-8")
    (tmp_path / "evaluation.annotations.txt").write_text(
        "123\tT\t11\t19\tcaffeine\tTRIVIAL\n"
        "123\tA\t0\t8\tCaffeine\tTRIVIAL\n"
        "123\tA\t10\t33\t1,3,7-trimethylxanthine\tSYSTEMATIC\n"
        "123\tA\t0\t5\tWrong\tTRIVIAL\n", encoding="utf-8")
    records, rejections = _convert(bc4chemd, tmp_path, catalog.registry)
    assert [(r.input, r.output, r.split.value) for r in records] == [
        (title, "caffeine", "test"),
        ("Caffeine (1,3,7-trimethylxanthine) was given.", "Caffeine\n1,3,7-trimethylxanthine", "test"),
        ("Sleep worsened.", "None", "test"),
    ]
    assert records[1].raw_id == "evaluation-123-s2"
    assert [r.origin for r in rejections] == ["evaluation.annotations.txt, line 4"]


def test_bad_iob_line_rejected_with_file_and_line(bc4chemd, catalog, tmp_path):
    (tmp_path / "test.tsv").write_text("Aspirin\tB\n\nbroken line without tag\n\nUrea\tB\n", encoding="utf-8")
    records, rejections = _convert(bc4chemd, tmp_path, catalog.registry)
    assert [r.output for r in records] == ["Aspirin", "Urea"]
    assert [r.origin for r in rejections] == ["test.tsv, line 3"]
