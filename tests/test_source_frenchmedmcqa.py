"""FrenchMedMCQA source: the real train/dev slices, the sample (with test.json), bad items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "frenchmedmcqa"
FILES = ("dev.json", "test.json", "train.json")


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
        {**good, "id": "6", "answers": dict(zip("abcdf", "vwxyz", strict=True))},
        {**good, "id": "7", "answers": dict(zip("edcba", "vwxyz", strict=True))},
    ]
    (tmp_path / "test.json").write_text(json.dumps(items), encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    # Item 7 lists its options e..a: they are taken in letter order, so B is still "y".
    assert [(r.raw_id, r.split, r.output) for r in records] == [("1", Split.TEST, "B. w"), ("7", Split.TEST, "B. y")]
    assert records[1].options == ["A. z", "B. y", "C. x", "D. w", "E. v"]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("test.json, record 2", "correct answer(s) ['f'] not among the options ['a', 'b', 'c', 'd', 'e']"),
        ("test.json, record 3", "nbr_correct_answers is 3 but correct_answers lists ['a', 'b']"),
        ("test.json, record 4", "option letters ['a', 'c'] are not a, b, c, ... without a gap"),
        ("test.json, record 5", "missing or empty 'question'"),
        ("test.json, record 6", "option letters ['a', 'b', 'c', 'd', 'f'] are not a, b, c, ... without a gap"),
    ]


def test_no_known_file_is_an_error(catalog, tmp_path):
    (tmp_path / "validation.json").write_text("[]", encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert records == [] and len(rejections) == 1
    assert "no FrenchMedMCQA file" in rejections[0].reason


def test_full_corpus_option_keys_in_any_order(catalog, fullcorpora):
    """train.json record 2067 lists its options a, c, d, e, b: a valid item (answers a and d)."""
    raw = fullcorpora / SOURCE
    items = json.loads((raw / "train.json").read_text(encoding="utf-8"))
    assert list(items[2066]["answers"]) == ["a", "c", "d", "e", "b"]
    records, rejections = convert(catalog, raw)
    assert rejections == []
    total = sum(len(json.loads((raw / name).read_text(encoding="utf-8"))) for name in FILES)
    assert len(records) == total == 3105
    item = items[2066]
    (record,) = [r for r in records if r.origin == "train.json, record 2067"]
    assert record.raw_id == item["id"]
    assert record.options == [f"{k.upper()}. {item['answers'][k].strip()}" for k in "abcde"]
    assert record.output == "\n".join([f"A. {item['answers']['a'].strip()}", f"D. {item['answers']['d'].strip()}"])
    assert record.options[1] == "B. Aucune de ces réponses n'est exacte"
