"""stream_csv: plain, gzip and zip CSV files read row by row."""

from __future__ import annotations

import gzip
import zipfile

import pytest

from medsins.errors import InputError
from medsins.formats import stream_csv

TEXT = 'id,text\n1,"first line\nsecond line"\n2,plain\n\n3,"a ""quoted"" word"\n'
ROWS = [
    ("line 2", {"id": "1", "text": "first line\nsecond line"}),
    ("line 4", {"id": "2", "text": "plain"}),
    ("line 6", {"id": "3", "text": 'a "quoted" word'}),
]


def test_plain_file_keeps_physical_line_numbers(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(TEXT, "utf-8")
    assert list(stream_csv(path, required=["id", "text"])) == ROWS


def test_gzip_file(tmp_path):
    path = tmp_path / "notes.csv.gz"
    path.write_bytes(gzip.compress(TEXT.encode()))
    assert list(stream_csv(path)) == ROWS


def test_zip_with_one_member_and_with_several(tmp_path):
    path = tmp_path / "patients.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("release_test_patients", TEXT)
    assert list(stream_csv(path)) == ROWS
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("other.csv", "a\n1\n")
    with pytest.raises(InputError, match="which member"):
        list(stream_csv(path))
    assert list(stream_csv(path, member="other.csv")) == [("line 2", {"a": "1"})]


def test_missing_column_names_the_file(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(TEXT, "utf-8")
    with pytest.raises(InputError, match=r"notes\.csv, line 1: missing column\(s\) note_id"):
        list(stream_csv(path, required=["note_id"]))


def test_bad_row_goes_to_callback_and_the_rest_is_read(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("id,text\n1,a,extra\n2,b\n", "utf-8")
    problems: list[InputError] = []
    rows = list(stream_csv(path, on_error=problems.append))
    assert rows == [("line 3", {"id": "2", "text": "b"})]
    assert [(p.where, p.problem) for p in problems] == [("line 2", "expected 2 fields, found 3")]


def test_empty_truncated_and_undecodable_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="file is empty"):
        list(stream_csv(empty))
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(gzip.compress(TEXT.encode() * 50)[:60])
    with pytest.raises(InputError, match="truncated or corrupt"):
        list(stream_csv(truncated))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,text\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        list(stream_csv(latin))


@pytest.fixture
def small_field_limit(monkeypatch):
    """A csv field limit of 50 characters, so one long field is a csv.Error; restored afterwards."""
    import csv

    import medsins.formats.csvfile as csvfile

    before = csv.field_size_limit()
    monkeypatch.setattr(csvfile, "_allow_large_fields", lambda: csv.field_size_limit(50))
    yield
    csv.field_size_limit(before)


@pytest.mark.parametrize("reader", ["read_csv", "stream_csv"])
def test_a_malformed_row_costs_only_that_row(tmp_path, small_field_limit, reader):
    from medsins import formats

    path = tmp_path / "notes.csv"
    path.write_text("id,text\n1,short\n2," + "x" * 80 + "\n3,also short\n", encoding="utf-8")
    errors: list[InputError] = []
    rows = list(getattr(formats, reader)(path, on_error=errors.append))
    assert rows == [("line 2", {"id": "1", "text": "short"}), ("line 4", {"id": "3", "text": "also short"})]
    assert [str(e) for e in errors] == [f"{path}, line 3: malformed CSV: field larger than field limit (50)"]
    with pytest.raises(InputError, match=r"notes\.csv, line 3: malformed CSV"):
        list(getattr(formats, reader)(path))  # without a callback the first bad row raises


def test_fields_beyond_the_csv_default_limit_are_read(tmp_path):
    import csv

    from medsins.formats import read_csv

    before = csv.field_size_limit(128 * 1024)  # the default, whatever earlier tests raised it to
    path = tmp_path / "long.csv"
    path.write_text("id,text\n1," + "word " * 40_000 + "\n", encoding="utf-8")  # 200 kB > 128 KiB default
    try:
        [(where, row)] = list(read_csv(path))
    finally:
        csv.field_size_limit(before)
    assert where == "line 2" and len(row["text"]) == 200_000
