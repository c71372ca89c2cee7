"""FrenchMedMCQA source: the real train/dev slices, the sample (with test.json), bad items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "frenchmedmcqa"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def raw_items(raw_dir) -> dict[str, list[dict]]:
    names = ("dev.json", "train.json")
    return {name: json.loads((raw_dir / name).read_text(encoding="utf-8")) for name in names}


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_slices_convert_every_item_as_train(real, raw_items):
    records, rejections = real
    assert rejections == []
    assert len(records) == len(raw_items["dev.json"]) + len(raw_items["train.json"]) == 200
    # Both dev.json and train.json are train; the slice has no test.json.
    assert {(r.task_id, r.split) for r in records} == {("task60", Split.TRAIN)}
    # Files in name order, items in file order.
    assert [r.raw_id for r in records] == [i["id"] for i in raw_items["dev.json"] + raw_items["train.json"]]


def test_every_output_is_the_gold_answer_set(real, raw_items):
    gold = {
        item["id"]: [f"{k.upper()}. {item['answers'][k].strip()}" for k in sorted(item["correct_answers"])]
        for items in raw_items.values()
        for item in items
    }
    multi = 0
    for record in real[0]:
        assert record.output.split("\n") == gold[record.raw_id]
        assert all(line in record.options for line in record.output.split("\n"))
        assert len(record.options) == 5 and record.input.endswith("\n".join(record.options))
        if len(gold[record.raw_id]) > 1:
            multi += 1
            assert f"of which {len(gold[record.raw_id])} are correct" in record.instruction
    assert multi == 35  # the 'multiple' items of train.json; dev.json's slice is all 'simple'


def test_real_records_by_content(catalog, real):
    by_id = {r.raw_id: r for r in real[0]}
    alpha = by_id["230bac49b0fe863b772410bc8d01a025f63c3c999065480131d6334abd2efeff"]
    assert alpha.input.splitlines()[0] == (
        "Parmi les affirmations suivantes, une seule est fausse, indiquer laquelle: les particules alpha"
    )
    assert alpha.options[0] == "A. Sont formées de noyaux d'hélium"
    assert alpha.output == "E. Sont peu ionisantes"
    assert alpha.origin == "train.json, record 1"
    assert alpha.instruction == catalog.registry.get("task60").definition  # one answer: the card's own
    adrenaline = by_id["d0f974df4406bf2f933962bf0d0c0447a80d66719031e3b4a35c2ff3b3ccc594"]
    assert adrenaline.output == "E. Cétogénèse"
    assert adrenaline.origin == "dev.json, record 1"


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_splits_by_file_name(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert [(r.origin.split(",")[0], r.split) for r in records] == [
        ("dev.json", Split.TRAIN),
        ("test.json", Split.TEST),
        ("test.json", Split.TEST),
        ("train.json", Split.TRAIN),
        ("train.json", Split.TRAIN),
    ]
    betalactams = records[1]
    assert betalactams.output == "A. Amoxicilline\nC. Ceftriaxone\nE. Imipénème"


def test_bad_items_are_reported(catalog, tmp_path):
    good = {"id": "1", "question": "Q?", "answers": dict(zip("abcde", "vwxyz", strict=True)),
            "correct_answers": ["b"], "nbr_correct_answers": 1}
    items = [
        good,
        {**good, "id": "2", "correct_answers": ["f"]},
        {**good, "id": "3", "correct_answers": ["a", "b"], "nbr_correct_answers": 3},
        {**good, "id": "4", "answers": {"a": "x", "c": "y"}},
        {**good, "id": "5", "question": ""},
    ]
    (tmp_path / "test.json").write_text(json.dumps(items), encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.split, r.output) for r in records] == [("1", Split.TEST, "B. w")]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("test.json, record 2", "correct answer(s) ['f'] not among the options ['a', 'b', 'c', 'd', 'e']"),
        ("test.json, record 3", "nbr_correct_answers is 3 but correct_answers lists ['a', 'b']"),
        ("test.json, record 4", "option letters ['a', 'c'] are not a, b, c, ... in order"),
        ("test.json, record 5", "missing or empty 'question'"),
    ]


def test_no_known_file_is_an_error(catalog, tmp_path):
    (tmp_path / "validation.json").write_text("[]", encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert records == [] and len(rejections) == 1
    assert "no FrenchMedMCQA file" in rejections[0].reason
