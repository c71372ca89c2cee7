"""Additions to shared readers: plain-text sentence spans, CSV without quoting."""

from __future__ import annotations

from pathlib import Path

from medsins.formats import read_csv


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_text_sentence_spans_respect_abbreviations_and_mentions():
    from medsins.formats import text_sentence_spans

    text = "Cells grew (Fig. 2). Serum was taken vs. plasma. E. coli grew. Done."
    spans = text_sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Cells grew (Fig. 2).", "Serum was taken vs. plasma.", "E. coli grew.", "Done.",
    ]
    # A protected span (an annotated mention) is never cut.
    start = text.index("plasma. E")
    merged = text_sentence_spans(text, [(start, start + len("plasma. E"))])
    assert [text[s:e] for s, e in merged][1] == "Serum was taken vs. plasma. E. coli grew."


def test_read_csv_quote_none_keeps_literal_quotes(tmp_path):
    import csv

    path = write(tmp_path, "train.tsv", 'claim_id\tclaim\n1\t"Vitamin C" cures colds\n2\tplain\n')
    rows = [row["claim"] for _, row in read_csv(path, delimiter="\t", quoting=csv.QUOTE_NONE)]
    assert rows == ['"Vitamin C" cures colds', "plain"]


def test_line_sentence_spans_cut_at_line_breaks():
    from medsins.formats import line_sentence_spans

    text = "Methods\nCells grew. Mice died.\nTitle without stop\n"
    assert [text[s:e] for s, e in line_sentence_spans(text)] == [
        "Methods", "Cells grew.", "Mice died.", "Title without stop",
    ]
    start = text.index("grew.")
    assert [text[s:e] for s, e in line_sentence_spans(text, [(start, start + 8)])][1] == "Cells grew. Mice died."
