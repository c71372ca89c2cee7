"""Human Disease Ontology source: sample per task, relation directions, obsolete terms, bad stanzas."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("disease_ontology"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter(r.task_id for r in records) == {"task45": 4, "task46": 6, "task47": 18}
    assert {r.split.value for r in records} == {"train"}
    synonyms = {r.input: r.output for r in records if r.task_id == "task45"}
    # EXACT synonyms only (not RELATED), trailing {modifiers} dropped.
    assert synonyms["type 2 diabetes mellitus"] == "T2DM; non-insulin-dependent diabetes"
    assert synonyms["diabetes mellitus"] == "diabetes"
    definitions = {r.input: r.output for r in records if r.task_id == "task46"}
    assert definitions["hypertension"] == ("A cardiovascular system disease in which the pressure of the blood "
                                           'against the artery walls stays "too high" over time.')
    assert "retired example disease" not in definitions  # obsolete
    relations = {r.input: r.output for r in records if r.task_id == "task47"}
    assert relations["Word1: type 2 diabetes mellitus\nWord2: diabetes mellitus"] == "child"
    assert relations["Word1: diabetes mellitus\nWord2: type 2 diabetes mellitus"] == "parent"
    assert relations["Word1: hypertension\nWord2: high blood pressure"] == "synonym"
    assert relations["Word1: hypertension\nWord2: diabetes mellitus"] == "unrelated"
    assert Counter(relations.values()) == {"child": 5, "parent": 5, "synonym": 4, "unrelated": 4}
    # No pair of an ancestor and its descendant is called unrelated.
    assert "Word1: disease\nWord2: diabetes mellitus" not in relations
    hypertension = next(r for r in records if r.task_id == "task46" and r.input == "hypertension")
    assert (hypertension.raw_id, hypertension.origin) == ("doid-DOID:10763", "doid.obo, line 43 (DOID:10763)")
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_bad_stanzas_reported_with_line(catalog, tmp_path):
    (tmp_path / "doid.obo").write_text(
        "format-version: 1.2\n\n"
        "[Term]\nid: DOID:1\nname: good disease\ndef: \"A good definition.\" []\n\n"
        "[Term]\nid: DOID:2\nname: broken definition\ndef: \"never closed\n\n"
        "[Term]\nid: DOID:3\ndef: \"No name.\" []\n\n"
        "[Term]\nid: DOID:5\nname: bad line\nthis is not a tag line\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.input) for r in records] == [("task46", "good disease")]
    assert [r.origin for r in rejections] == ["doid.obo, line 8", "doid.obo, line 13", "doid.obo, line 20"]
    assert "unterminated" in rejections[0].reason and "no name" in rejections[1].reason
    assert "expected 'tag: value'" in rejections[2].reason
