"""PUBHEALTH source: sample, splits per task, literal quotes, test index column, bad rows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from medsins.convert import Rejection, convert_source
from medsins.records import Record

HEADER = "claim_id\tclaim\tdate_published\texplanation\tfact_checkers\tmain_text\tsources\tlabel\tsubjects\n"


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("pubhealth"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert Counter((r.task_id, r.split.value) for r in records) == {
        ("task16", "train"): 5, ("task16", "test"): 2,
        ("task17", "train"): 2,
        ("task18", "train"): 2, ("task18", "test"): 1,
    }
    verdicts = {r.raw_id: r.output for r in records if r.task_id == "task16"}
    assert verdicts == {"train-90001": "true", "train-90002": "false", "train-90003": "mixture",
                        "dev-90004": "true", "dev-90005": "unproven", "test-90006": "true", "test-90007": "false"}
    water = next(r for r in records if r.task_id == "task17" and r.raw_id == "train-90001")
    assert water.output == "Drinking water before meals helps adults eat less."
    assert 'The "water first" group ate' in water.input  # unquoted TSV keeps literal quotes
    explanation = next(r for r in records if r.task_id == "task18" and r.split.value == "test")
    assert explanation.input.startswith("Claim: Hand washing reduces the spread of stomach bugs.\nParagraph: In a")
    assert explanation.output.startswith("The invented school study shows")
    assert explanation.origin == "test.tsv, line 2 (claim 90006)"
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_bad_rows_reported_with_line(catalog, tmp_path):
    (tmp_path / "train.tsv").write_text(
        HEADER
        + "1\tClaim one.\td\tExpl.\tf\tText one.\ts\ttrue\tx\n"
        + "2\tClaim two.\td\tExpl.\tf\tText two.\ts\tsnopes\tx\n"
        + "3\tClaim three broken\tby a tab\td\tExpl.\tf\tText.\ts\tfalse\tx\n"
        + "4\tClaim four.\td\tExpl.\tf\t\ts\tfalse\tx\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.raw_id) for r in records] == [("task16", "train-1"), ("task17", "train-1"),
                                                       ("task18", "train-1")]
    assert [r.origin for r in rejections] == ["train.tsv, line 3", "train.tsv, line 4", "train.tsv, line 5"]
    assert "'snopes'" in rejections[0].reason and "expected 9 fields" in rejections[1].reason


def test_missing_column_names_the_file(catalog, tmp_path):
    (tmp_path / "dev.tsv").write_text("claim_id\tclaim\tlabel\n1\tC\ttrue\n", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert records == [] and [r.origin for r in rejections] == ["dev.tsv, line 1"]
    assert "missing column(s) explanation, main_text" in rejections[0].reason
