"""LCT clinical-trial criteria source: per-trial regrouping, folded types, gold entities/relations."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "clinical_trials"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def words(tokens: list[str], start: int, end: int) -> str:
    return " ".join(t.strip() for t in tokens[start:end] if t.strip())


def fold(kind: str) -> str:
    return kind.split("___")[0].removesuffix("-Name")


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def raw_items(raw_dir) -> list[dict]:
    return json.loads((raw_dir / "dev.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def test_real_slice_one_record_per_trial(real, raw_items):
    records, rejections = real
    trials = {item["orig_id"].split("_")[1] for item in raw_items}
    assert rejections == []
    assert len(raw_items) == 100
    assert len(records) == len(trials) == 94
    assert {(r.task_id, r.split) for r in records} == {("task77", Split.TRAIN)}
    assert sorted(r.raw_id for r in records) == sorted(f"dev-{t}" for t in trials)


def test_every_line_keeps_its_gold_entities_and_relations(real, raw_items):
    by_trial = {r.raw_id.removeprefix("dev-"): r for r in real[0]}
    seen_lines: dict[str, list[int]] = defaultdict(list)
    for item in raw_items:
        number, trial = item["orig_id"].split("_")
        record = by_trial[trial]
        seen_lines[trial].append(int(number))
        tokens = item["tokens"]
        assert f"Line{number}: {words(tokens, 0, len(tokens))}" in record.input.splitlines()
        line = json.loads(record.output)[f"Line{number}"]
        gold_entities = {(words(tokens, e["start"], e["end"]), fold(e["type"])) for e in item["entities"]}
        assert {tuple(e) for e in line["Entities"]} == gold_entities
        # Folded duplicates (same span, same type) are listed once; equal text at two places twice.
        assert len(line["Entities"]) == len({(e["start"], e["end"], fold(e["type"])) for e in item["entities"]})
        ents = item["entities"]
        gold_relations = {
            (words(tokens, ents[r["head"]]["start"], ents[r["head"]]["end"]),
             words(tokens, ents[r["tail"]]["start"], ents[r["tail"]]["end"]), r["type"])
            for r in item["relations"]
        }
        assert {tuple(r) for r in line["Relations"]} == gold_relations
    for trial, numbers in seen_lines.items():
        assert list(json.loads(by_trial[trial].output)) == [f"Line{n}" for n in sorted(numbers)]


def test_real_records_by_content(real):
    by_trial = {r.raw_id: r for r in real[0]}
    pain = by_trial["dev-NCT03869710"]
    assert pain.input == "Line1: - Chronic neck pain"
    assert json.loads(pain.output) == {"Line1": {
        "Entities": [["Chronic", "Acuteness"], ["neck", "Modifier"], ["pain", "Observation"]],
        "Relations": [["neck", "pain", "Modifies"], ["pain", "Chronic", "Acuteness"]],
    }}
    assert pain.origin == "dev.json, NCT03869710, records 1"
    hepatitis = by_trial["dev-NCT03929510"]  # lines 5 and 9, records 2 and 60 of the file
    assert hepatitis.input.splitlines()[0] == "Line5: - Infection with hepatitis B or hepatitis C viruses ."
    assert hepatitis.input.splitlines()[1].startswith("Line9: - Use of tobacco / nicotine containing products")
    assert json.loads(hepatitis.output)["Line5"]["Relations"] == [
        ["Infection with hepatitis B", "hepatitis C viruses", "Or"],
    ]
    assert hepatitis.origin == "dev.json, NCT03929510, records 2, 60"


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_converts(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert [r.raw_id for r in records] == ["train-NCT09990001", "train-NCT09990002"]
    first = records[0]
    assert first.input.splitlines() == [
        "Line0: Inclusion Criteria :",
        "Line1: - Diagnosis of type 2 diabetes treated with metformin",
        "Line2: - Age 18 - 65 years",
    ]
    line1 = json.loads(first.output)["Line1"]
    # Condition-Name / Drug-Name fold into Condition / Drug: each entity and relation once.
    assert line1 == {"Entities": [["type 2 diabetes", "Condition"], ["metformin", "Drug"]],
                     "Relations": [["metformin", "type 2 diabetes", "Treatment-For"]]}


def test_bad_lines_are_reported(catalog, tmp_path):
    items = [
        {"orig_id": "0_NCT1", "tokens": ["Fever"], "entities": [{"type": "Condition", "start": 0, "end": 1}],
         "relations": []},
        {"orig_id": "0_NCT1", "tokens": ["Again"], "entities": [], "relations": []},
        {"orig_id": "NCT2", "tokens": ["x"], "entities": [], "relations": []},
        {"orig_id": "1_NCT1", "tokens": ["a", "b"], "entities": [{"type": "Drug", "start": 1, "end": 5}],
         "relations": []},
        {"orig_id": "2_NCT1", "tokens": ["a"], "entities": [{"type": "Drug", "start": 0, "end": 1}],
         "relations": [{"type": "Or", "head": 0, "tail": 3}]},
    ]
    (tmp_path / "test.json").write_text(json.dumps(items), encoding="utf-8")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [
        ("Line0: Fever", '{"Line0": {"Entities": [["Fever", "Condition"]], "Relations": []}}'),
    ]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("test.json, record 2", "line 0 of NCT1 is given twice"),
        ("test.json, record 3", "orig_id 'NCT2' is not '<line number>_<trial id>'"),
        ("test.json, record 4", "entity 0: tokens 1-5 hold no text (line has 2 tokens)"),
        ("test.json, record 5", "relation 0: head and tail must index the line's entities"),
    ]
