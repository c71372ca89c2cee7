"""CMeEE-V2 source: the real dev slice, the synthetic sample, inconsistent items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split, split_entities

SOURCE = "cmeee"
DEV = "CMeEE-V2_dev.json"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def gold(item: dict) -> list[str]:
    """Annotated strings by start offset (longer first on ties), each once."""
    ordered = sorted(item["entities"], key=lambda e: (e["start_idx"], -e["end_idx"]))
    return list(dict.fromkeys(e["entity"] for e in ordered))


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_dev_slice_is_the_test_split(real, raw_dir):
    records, rejections = real
    items = json.loads((raw_dir / DEV).read_text(encoding="utf-8"))
    assert rejections == []
    assert len(records) == len(items) == 200
    # The test file has no entities, so the labelled dev file is the test split.
    assert {(r.task_id, r.split) for r in records} == {("task1004", Split.TEST)}
    for record, item in zip(records, items, strict=True):
        assert record.input == item["text"]
        assert split_entities(record.output) == gold(item)
    assert sum(r.output == "None" for r in records) == sum(not i["entities"] for i in items) == 7


def test_real_records_by_content(real):
    first = real[0][0]
    assert first.input == (
        "对儿童SARST细胞亚群的研究表明，与成人SARS相比，儿童细胞下降不明显，证明上述推测成立。"
    )
    # Nested 细胞 (30-31) inside 细胞下降 (30-33): same start, the longer first.
    assert first.output == "SARST细胞亚群\n成人SARS\n细胞下降\n细胞"
    assert first.origin == f"{DEV}, record 1" and first.raw_id == "CMeEE-V2_dev-1"
    assert first.input_language == "zh" and first.license == "NOASSERTION"


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_is_synthetic_and_converts(catalog):
    assert catalog.get(SOURCE).manifest.synthetic_sample
    records, rejections = convert(catalog, None)
    assert rejections == []
    # CMeEE-V2_test.json (no entities) is not read.
    assert [(r.origin.split(",")[0], r.split) for r in records] == [
        (DEV, Split.TEST)] * 3 + [("CMeEE-V2_train.json", Split.TRAIN)] * 3
    assert records[4].output == "轮状病毒感染\n轮状病毒\n婴幼儿腹泻\n口服补液盐\n脱水"


def test_inconsistent_items_are_reported(catalog, tmp_path):
    text = "患儿发热三天。"
    items = [
        {"text": text, "entities": [{"start_idx": 2, "end_idx": 3, "type": "sym", "entity": "发热"}]},
        {"text": text, "entities": [{"start_idx": 2, "end_idx": 4, "type": "sym", "entity": "发热"}]},
        {"text": text, "entities": [{"start_idx": 2, "end_idx": 3, "type": "symptom", "entity": "发热"}]},
        {"text": text},
    ]
    (tmp_path / "CMeEE-V2_train.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [(text, "发热")]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("CMeEE-V2_train.json, record 2",
         "entity 1: '发热' does not match the text at 2-4 ('发热三'; end_idx is inclusive)"),
        ("CMeEE-V2_train.json, record 3", "entity 1: type 'symptom' is not a CMeEE type"),
        ("CMeEE-V2_train.json, record 4",
         "'entities' must be a list (a file without annotations cannot be used)"),
    ]
