"""Reading model predictions: the upstream CSV, JSONL, a ``datasets.Dataset`` or rows.

Accepted shapes (column names are case-insensitive):

* **CSV** (the upstream MedS-Bench format) with a header ``task_id,input,GT,output``;
  ``prediction`` may replace ``output``, an ``id`` column may replace
  ``task_id`` + ``input``, and an optional ``model`` column names the model of
  each row. A ``.tsv`` file is tab-separated. Unknown columns (such as a pandas
  index) are ignored.
* **JSONL** (``.jsonl``; ``.json`` may also hold one array of objects): objects
  with ``id`` or ``task_id`` + ``input``, and ``prediction`` (or ``output``);
  optional ``gt`` and ``model``.
* a ``datasets.Dataset`` or a list of dicts with the same keys.

Bad input never stops the reading: a file that cannot be used at all (missing
columns, not a file) becomes one problem, a bad row becomes a problem naming
the file and row, and every usable row is kept. Text is decoded line by line:
a file that is mostly UTF-8 with some lines in Windows-1252 (or Latin-1) is
read, and each such row is reported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsins.errors import InputError, InputNote
from medsins.formats.jsonfile import TOO_DEEP
from medsins.formats.text import read_at_most
from medsins.limits import beyond, current

#: Column aliases → canonical key.
COLUMNS = {
    "id": "id",
    "record_id": "id",
    "task_id": "task_id",
    "task": "task_id",
    "input": "input",
    "gt": "gt",
    "reference": "gt",
    "output": "prediction",
    "prediction": "prediction",
    "model": "model",
}


@dataclass(frozen=True)
class Prediction:
    """One model answer, with where it came from (for problem messages)."""

    model: str
    source: str
    where: str
    prediction: str  # "" when the row's prediction is empty
    id: str | None = None
    task_id: str | None = None
    input: str | None = None
    gt: str | None = None

    @property
    def empty(self) -> bool:
        """True when the model gave no answer text."""
        return not self.prediction.strip()

    def locate(self) -> str:
        """``"file.csv, row 3 (line 5)"``: where to look."""
        return f"{self.source}, {self.where}"


@dataclass
class PredictionSet:
    """The usable predictions of one source and the problems found reading it."""

    source: str
    predictions: list[Prediction] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)


# ----------------------------------------------------------------- decoding

#: Encodings tried, in order, for a line that is not UTF-8. Latin-1 never fails.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")


def decode_lines(data: bytes) -> tuple[list[str], dict[int, str]]:
    """Decode ``data`` line by line; return the lines (ends kept) and the fallbacks used.

    The second value maps 1-based line numbers that were not valid UTF-8 to the
    encoding that decoded them. A UTF-8 byte-order mark is dropped; a UTF-16
    file (with its BOM) is decoded as a whole.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").splitlines(keepends=True), {}
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines: list[str] = []
    fallbacks: dict[int, str] = {}
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            lines.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        for encoding in FALLBACK_ENCODINGS:
            try:
                lines.append(raw.decode(encoding))
            except UnicodeDecodeError:
                continue
            fallbacks[number] = encoding
            break
    return lines, fallbacks


def utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``data`` reads as UTF-16 without a byte-order mark, else None.

    Text in the Latin range saved as UTF-16 has a NUL in every other byte: at
    odd offsets for little-endian, at even ones for big-endian.
    """
    head = data[:4096]
    half = len(head) // 2
    if half < 2:
        return None
    odd = head[1::2].count(0) / half
    even = head[0::2].count(0) / half
    if odd >= 0.9 and even < 0.1:
        return "utf-16-le"
    if even >= 0.9 and odd < 0.1:
        return "utf-16-be"
    return None


@contextmanager
def _large_csv_fields() -> Iterator[None]:
    # Upstream inputs are whole few-shot prompts, longer than csv's 128 KiB field default.
    previous = csv.field_size_limit()
    csv.field_size_limit(current().max_item_bytes)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


# ------------------------------------------------------------------ readers


def read_predictions(source: Any, *, model: str | None = None) -> PredictionSet:
    """Read one prediction source (path, ``datasets.Dataset`` or list of dicts).

    ``model`` names the model of rows without a ``model`` value (default: the
    file stem, or ``"model"`` for in-memory data).
    """
    if isinstance(source, str | Path):
        return read_prediction_file(Path(source), model=model)
    name = model or "model"
    if hasattr(source, "column_names") and hasattr(source, "num_rows"):  # datasets.Dataset
        label = f"<dataset {name}>"
        return _from_rows(label, name, (("row", i + 1, row) for i, row in enumerate(source)), source.column_names)
    if isinstance(source, Iterable) and not isinstance(source, Mapping):
        rows = list(source)
        label = f"<rows {name}>"
        keys = sorted({str(k) for row in rows if isinstance(row, Mapping) for k in row})
        return _from_rows(label, name, (("row", i + 1, row) for i, row in enumerate(rows)), keys)
    raise InputError(None, None, f"cannot read predictions from a {type(source).__name__}")


def read_prediction_file(path: Path, *, model: str | None = None) -> PredictionSet:
    """Read a CSV/TSV, JSONL or JSON predictions file (by extension; CSV by default)."""
    name = model or path.stem
    result = PredictionSet(str(path))
    limit = current().max_file_bytes
    try:
        with path.open("rb") as handle:
            data = read_at_most(handle, limit)
    except OSError as exc:
        result.problems.append(InputError(path, None, f"cannot read: {exc.strerror or exc}"))
        return result
    if data is None:
        result.problems.append(InputError(path, None, beyond("a predictions file", "max_file_bytes", limit)))
        return result
    if not data.strip():
        result.problems.append(InputError(path, None, "file is empty"))
        return result
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = utf16_without_bom(data)
        if codec is None:
            result.problems.append(InputError(path, None, "holds NUL bytes: not a text file (save it as UTF-8 CSV)"))
            return result
        try:
            data = data.decode(codec).encode("utf-8")
        except UnicodeDecodeError as exc:
            result.problems.append(InputError(path, None, f"looks like {codec.upper()} text without a byte-order "
                                              f"mark but is not ({exc.reason}); save it as UTF-8"))
            return result
        result.problems.append(InputNote(path, None, f"{codec.upper()} text without a byte-order mark; "
                                          f"read as {codec.upper()} (UTF-8 is expected)"))
    lines, fallbacks = decode_lines(data)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        read = _read_jsonl(path, name, lines, fallbacks)
    elif suffix == ".json":
        read = _read_json(path, name, "".join(lines), fallbacks)
    else:
        read = _read_csv(path, name, lines, fallbacks, "\t" if suffix == ".tsv" else ",")
    read.problems[:0] = result.problems  # what was said of the whole file comes first
    return read


def _read_csv(path: Path, model: str, lines: list[str], fallbacks: dict[int, str], delimiter: str) -> PredictionSet:
    result = PredictionSet(str(path))
    with _large_csv_fields():
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as exc:
            result.problems.append(InputError(path, "line 1", f"cannot read the header: {exc}"))
            return result
        columns = [COLUMNS.get(h.strip().lstrip("\ufeff").casefold()) for h in header]
        missing = _missing_columns({c for c in columns if c})
        if missing:
            result.problems.append(InputError(
                path, "line 1",
                f"missing column(s) {missing}; found {', '.join(h.strip() for h in header) or 'nothing'} "
                "(expected task_id,input,GT,output or id,prediction)",
            ))
            return result
        row_number, first_line = 0, 2
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                where = f"row {row_number + 1} (line {first_line})"
                result.problems.append(InputError(path, where, f"malformed CSV: {exc}; rest of file skipped"))
                break
            last_line = reader.line_num
            row_number += 1
            where = f"row {row_number} (line {first_line})"
            span = range(first_line, last_line + 1)
            first_line = last_line + 1
            if not any(cell.strip() for cell in cells):
                row_number -= 1  # blank line, not a row
                continue
            for line in span:
                if line in fallbacks:
                    result.problems.append(InputError(
                        path, where, f"line {line} is not valid UTF-8; decoded as {fallbacks[line]}"
                    ))
                    break
            if len(cells) != len(header):
                result.problems.append(InputError(
                    path, where, f"expected {len(header)} fields, found {len(cells)}; row skipped"
                ))
                continue
            row = {col: cell for col, cell in zip(columns, cells, strict=True) if col}
            _add(result, path, model, where, row)
    return result


def _read_jsonl(path: Path, model: str, lines: list[str], fallbacks: dict[int, str]) -> PredictionSet:
    result = PredictionSet(str(path))
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        if number in fallbacks:
            result.problems.append(InputNote(path, where, f"not valid UTF-8; decoded as {fallbacks[number]}"))
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            result.problems.append(InputError(path, where, f"not valid JSON ({exc.msg}); line skipped"))
            continue
        except RecursionError:
            result.problems.append(InputError(path, where, f"{TOO_DEEP}; line skipped"))
            continue
        if not isinstance(obj, dict):
            result.problems.append(InputError(path, where, f"expected a JSON object, found {type(obj).__name__}"))
            continue
        _add(result, path, model, where, _canonical(obj))
    return result


def _read_json(path: Path, model: str, text: str, fallbacks: dict[int, str]) -> PredictionSet:
    result = PredictionSet(str(path))
    for line, encoding in sorted(fallbacks.items()):
        result.problems.append(InputNote(path, f"line {line}", f"not valid UTF-8; decoded as {encoding}"))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        result.problems.append(InputError(path, f"line {exc.lineno}", f"not valid JSON ({exc.msg})"))
        return result
    except RecursionError:
        result.problems.append(InputError(path, None, TOO_DEEP))
        return result
    if not isinstance(data, list):
        result.problems.append(InputError(path, None, "expected a JSON array of prediction objects"))
        return result
    for index, obj in enumerate(data, start=1):
        where = f"record {index}"
        if not isinstance(obj, dict):
            result.problems.append(InputError(path, where, f"expected a JSON object, found {type(obj).__name__}"))
            continue
        _add(result, path, model, where, _canonical(obj))
    return result


def _from_rows(
    label: str, model: str, rows: Iterable[tuple[str, int, Any]], keys: Iterable[str]
) -> PredictionSet:
    result = PredictionSet(label)
    missing = _missing_columns({COLUMNS[k.casefold()] for k in keys if k.casefold() in COLUMNS})
    if missing:
        result.problems.append(InputError(label, None, f"missing column(s) {missing}"))
        return result
    for kind, number, row in rows:
        where = f"{kind} {number}"
        if not isinstance(row, Mapping):
            result.problems.append(InputError(label, where, f"expected a mapping, found {type(row).__name__}"))
            continue
        _add(result, label, model, where, _canonical(row))
    return result


def _canonical(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {COLUMNS[str(k).casefold()]: v for k, v in obj.items() if str(k).casefold() in COLUMNS}


def _missing_columns(present: set[str]) -> str | None:
    if "prediction" not in present:
        return "output (or prediction)"
    if "id" not in present and not {"task_id", "input"} <= present:
        return "task_id and input (or id)"
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    return value if isinstance(value, str) else str(value)


def _add(result: PredictionSet, source: str | Path, model: str, where: str, row: Mapping[str, Any]) -> None:
    """Validate one row and keep it (an empty prediction is kept, and reported)."""
    record_id = (_text(row.get("id")) or "").strip() or None
    task_id = (_text(row.get("task_id")) or "").strip() or None
    text_input = _text(row.get("input"))
    if record_id is None and (task_id is None or text_input is None or not text_input.strip()):
        lacking = "task_id" if task_id is None else "input"
        result.problems.append(InputError(source, where, f"no id and no {lacking}: cannot be matched; row skipped"))
        return
    prediction = _text(row.get("prediction")) or ""
    gt = _text(row.get("gt"))
    limit = current().max_prediction_chars
    if len(prediction) > limit:  # metrics such as ROUGE-L are quadratic in it
        what = f"a prediction of {len(prediction):,} characters"
        result.problems.append(InputError(source, where, beyond(what, "max_prediction_chars", limit, unit="characters")
                                          + "; scored as wrong"))
        prediction = ""
    elif not prediction.strip():
        result.problems.append(InputNote(source, where, "empty prediction (scored as wrong)"))
    if gt is not None and len(gt) > limit:
        what = f"a GT of {len(gt):,} characters"
        result.problems.append(InputError(source, where, beyond(what, "max_prediction_chars", limit, unit="characters")
                                          + "; GT ignored"))
        gt = None
    result.predictions.append(Prediction(
        model=(_text(row.get("model")) or "").strip() or model,
        source=str(source),
        where=where,
        prediction=prediction,
        id=record_id,
        task_id=task_id,
        input=text_input,
        gt=gt,
    ))


def parse_prediction_argument(argument: str) -> tuple[str | None, Path]:
    """``"NAME=PATH"`` → (NAME, PATH); a plain (or existing) path → (None, PATH)."""
    path = Path(argument)
    if "=" in argument and not path.exists():
        name, _, rest = argument.partition("=")
        if name.strip() and rest:
            return name.strip(), Path(rest)
    return None, path
