"""Catalonia Independence Corpus source: sample, languages, quoting, bad labels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("catalonia_independence"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.output for r in records) == {"Against": 2, "Favor": 2, "Neutral": 2}
    assert Counter(r.input_language for r in records) == {"ca": 3, "es": 3}
    assert {(r.task_id, r.split.value, r.output_language) for r in records} == {("task39", "train", "en")}
    quoted = next(r for r in records if r.raw_id == "spanish_val-1101000000000000006")
    assert quoted.input == '"Votar es un derecho": hoy apoyamos la república catalana.'
    assert (quoted.output, quoted.origin) == ("Favor", "spanish_val.csv, line 2")
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_bad_label_and_missing_column(catalog, tmp_path):
    (tmp_path / "catalan_train.csv").write_text("id_str\tTWEET\tLABEL\n1\tVisca!\tFAVOR\n2\tHola\tUNKNOWN\n",
                                                encoding="utf-8")
    (tmp_path / "spanish_test.csv").write_text("id_str\tTEXT\tLABEL\n3\tHola\tFAVOR\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [("Visca!", "Favor")]
    assert [r.origin for r in rejections] == ["catalan_train.csv, line 3", "spanish_test.csv, line 1"]
    assert "missing column(s) TWEET" in rejections[1].reason


def test_tweet_with_two_labels_is_dropped(catalog, tmp_path):
    # The real release holds a few tweets twice (same id, train and val) with two labels.
    (tmp_path / "spanish_train.csv").write_text(
        "id_str\tTWEET\tLABEL\n7\tNo va de independencia\tAGAINST\n8\tHola\tFAVOR\n7\tNo va de independencia\tFAVOR\n",
        encoding="utf-8")
    (tmp_path / "spanish_val.csv").write_text("id_str\tTWEET\tLABEL\n8\tHola\tFAVOR\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.input, r.output) for r in records] == [("Hola", "Favor"), ("Hola", "Favor")]
    assert len({r.id for r in records}) == 2
    assert [r.origin for r in rejections] == ["spanish_train.csv, line 2", "spanish_train.csv, line 4"]
    assert "labelled Against/Favor" in rejections[0].reason
