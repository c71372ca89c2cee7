"""RaTE-NER (Radiopaedia) source: the span-file sample, skipped folders and files, bad lines."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split

SOURCE = "radiology_ner"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


@pytest.fixture(scope="module")
def sample(catalog):
    return convert(catalog, None)


def test_sample_reads_radiopaedia_train_and_dev_only(sample):
    records, rejections = sample
    assert rejections == []
    # 4 train + 1 dev lines; test_span.json and the MIMIC_IV folder are not read.
    assert [r.raw_id for r in records] == ["dev_span:1"] + [f"train_span:{n}" for n in (1, 2, 3, 4)]
    assert {(r.task_id, r.split) for r in records} == {("task72", Split.TRAIN)}
    assert not any("cardiomegaly" in r.input or "bile duct" in r.input for r in records)


def test_sample_exact_records(sample):
    by_id = {r.raw_id: r for r in sample[0]}
    first = by_id["train_span:1"]
    assert first.input == "There is a well-defined lytic lesion in the proximal tibial metaphysis."
    assert first.output == "[['well-defined lytic lesion', 'Abnormality'], ['proximal tibial metaphysis', 'Anatomy']]"
    assert first.origin == "train_span.json, line 1"
    # subtext wins over the tokens; all five corpus types are kept.
    negated = by_id["train_span:4"]
    assert negated.input == "The heart size is normal and there is no pneumothorax."
    assert ast.literal_eval(negated.output) == [
        ["heart size", "Anatomy"], ["normal", "Non-Abnormality"], ["pneumothorax", "Non-Disease"],
    ]
    # Spans are put in sentence order whatever their order in the file.
    assert ast.literal_eval(by_id["dev_span:1"].output) == [
        ["Small", "Abnormality"], ["left pleural", "Anatomy"], ["effusion", "Abnormality"],
    ]


def test_ids_deterministic(sample, catalog):
    again, _ = convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in sample[0]]


def test_bad_lines_reported(tmp_path, catalog):
    folder = tmp_path / "Radiopaedia"
    folder.mkdir()
    lines = [
        {"note_id": "a", "sentences": [["Normal", "study", "."]], "ner": [[]]},
        {"note_id": "b", "sentences": [["Mass", "."]], "ner": [[[0, 5, "Abnormality"]]]},
        {"note_id": "c", "ner": [[]]},
        {"note_id": "d", "sentences": [["Mass", "."]], "ner": [[[0, 0, 7]]]},
    ]
    (folder / "train_span.json").write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n")
    records, rejections = convert(catalog, tmp_path)
    assert [(r.raw_id, r.output) for r in records] == [("train_span:1", "[]")]
    assert [(r.origin, r.reason) for r in rejections] == [
        ("Radiopaedia/train_span.json, line 2", "span [0, 5, 'Abnormality'] is outside the sentence's 2 tokens"),
        ("Radiopaedia/train_span.json, line 3", "missing 'sentences'"),
        ("Radiopaedia/train_span.json, line 4", "span [0, 0, 7] has no type"),
        ("Radiopaedia/train_span.json, line 5",
         "not a JSON object: Expecting property name enclosed in double quotes (column 2)"),
    ]


def test_only_mimic_folder_is_an_error(tmp_path, catalog):
    (tmp_path / "MIMIC_IV").mkdir()
    (tmp_path / "MIMIC_IV" / "train_span.json").write_text('{"sentences": [["x"]], "ner": [[]]}\n')
    records, rejections = convert(catalog, tmp_path)
    assert records == [] and "no Radiopaedia/train_span.json" in rejections[0].reason
