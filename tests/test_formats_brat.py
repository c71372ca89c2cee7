"""BRAT standoff reader: entities, discontinuous spans, stale offsets, pairing."""

from __future__ import annotations

import pytest

from medsins.errors import InputError
from medsins.formats import iter_brat, read_brat

TEXT = "Blood samples from B cells and\nliver tissue were taken.\n"


def write_doc(folder, name, text, ann):
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / f"{name}.ann").write_text(ann, encoding="utf-8")
    return folder / f"{name}.txt"


def test_text_bound_entities_and_other_lines_skipped(tmp_path):
    path = write_doc(tmp_path, "PMID-1", TEXT,
                     "T1\tOrganism_substance 0 5\tBlood\nT2\tCell 19 26\tB cells\n"
                     "*\tEquiv T1 T2\nR1\tPart-of Arg1:T2 Arg2:T1\nA1\tNegation T2\n#1\tAnnotatorNotes T1\tnote\n")
    doc = read_brat(path)
    assert doc.id == "PMID-1"
    assert [(e.id, e.type, e.spans, e.text) for e in doc.entities] == [
        ("T1", "Organism_substance", ((0, 5),), "Blood"),
        ("T2", "Cell", ((19, 26),), "B cells"),
    ]
    assert doc.text[doc.entities[1].start:doc.entities[1].end] == "B cells"


def test_discontinuous_entity_and_newline_offsets(tmp_path):
    path = write_doc(tmp_path, "d", TEXT, "T1\tTissue 27 30;31 43\tand liver tissue\n")
    (entity,) = read_brat(path).entities
    assert entity.spans == ((27, 30), (31, 43))
    assert (entity.start, entity.end) == (27, 43)


def test_stale_offsets_reported_with_line(tmp_path):
    path = write_doc(tmp_path, "d", TEXT, "T1\tCell 19 26\tB cells\nT2\tCell 0 5\tserum\nT3\tCell x y\tz\n")
    problems: list[InputError] = []
    doc = read_brat(path, on_error=problems.append)
    assert [e.id for e in doc.entities] == ["T1"]
    assert [p.where for p in problems] == ["line 2", "line 3"]
    assert "serum" in problems[0].problem and str(path.with_suffix(".ann")) == problems[0].path


def test_offsets_past_the_end_raise_without_callback(tmp_path):
    path = write_doc(tmp_path, "d", "short", "T1\tCell 0 50\tshort\n")
    with pytest.raises(InputError, match="outside the text"):
        read_brat(path)


def test_missing_ann_and_empty_ann(tmp_path):
    (tmp_path / "alone.txt").write_text("text", encoding="utf-8")
    with pytest.raises(InputError, match="no annotation file"):
        read_brat(tmp_path / "alone.txt")
    path = write_doc(tmp_path, "empty", "No entity here.", "")
    assert read_brat(path).entities == []


def test_iter_brat_pairs_from_ann_files(tmp_path):
    write_doc(tmp_path, "b", "Serum.", "T1\tOrganism_substance 0 5\tSerum\n")
    write_doc(tmp_path, "a", "Cells.", "T1\tCell 0 5\tCells\n")
    (tmp_path / "README.txt").write_text("not a document", encoding="utf-8")
    (tmp_path / "orphan.ann").write_text("T1\tCell 0 1\tx\n", encoding="utf-8")
    problems: list[InputError] = []
    docs = list(iter_brat(tmp_path, on_error=problems.append))
    assert [name for name, _ in docs] == ["a.txt", "b.txt"]
    assert [p.path for p in problems] == [str(tmp_path / "orphan.ann")]
