"""Property-based fuzzing of every reader on mutated real files.

Each case takes the start of a real file of ../shared/realdata (or a bundled
sample where no real slice has the format), damages it once — truncation, a
byte flip, an inserted NUL, a byte-order mark, deep nesting, a huge line — at a
place hypothesis chooses, and reads it with ``on_error``. Whatever the damage:

* nothing escapes the reader (every problem is reported, none raised);
* each case finishes within the hypothesis deadline;
* Python memory stays a small multiple of the item limit (tracemalloc peak);
* every item wholly before the damage is still read, unchanged; in line-based
  formats every item but the damaged one is (a byte-order mark damages nothing).

Deterministic in CI (``derandomize``, fixed example counts). Run it longer with
``MEDSINS_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`` (see docs/testing.md).
"""

from __future__ import annotations

import os
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medsins.errors import InputError
from medsins.formats import iter_json_array, iter_xml, read_jsonl, read_obo, read_pubtator, read_xlsx
from medsins.formats.csvfile import read_csv, stream_csv
from medsins.formats.iob import read_iob
from medsins.formats.squad import read_squad
from medsins.limits import KiB, Limits, applied

EXAMPLES = int(os.environ.get("MEDSINS_FUZZ_EXAMPLES", "40"))
#: Lowered so that "huge" items stay cheap to build; memory is checked against it.
LIMITS = Limits(max_item_bytes=64 * KiB, max_file_bytes=4 << 20, max_depth=100)
REPO = Path(__file__).resolve().parents[1]

FUZZ = settings(
    max_examples=EXAMPLES, derandomize=True, deadline=timedelta(seconds=10), database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Reader:
    """A format's reader, the real bytes it is fuzzed on, and what it promises."""

    name: str
    read: Callable[[Path, Callable[[InputError], None]], list[Any]]
    file_name: str
    #: Every item wholly before the damaged line survives.
    streaming: bool = True
    #: Items are one per line: every item but the damaged line's survives.
    per_line: bool = False
    #: Bytes that open one nesting level of the format.
    nest: bytes = b"["


def _values(items: Any) -> list[Any]:
    return [value for _, value in items]


def _xml_values(path: Path, tag: str, on_error: Callable[[InputError], None]) -> list[bytes]:
    return [ET.tostring(element) for _, element in iter_xml(path, tag, on_error=on_error)]  # before it is cleared


READERS = {
    "jsonl": Reader("jsonl", lambda p, e: _values(read_jsonl(p, on_error=e)), "test.jsonl", per_line=True),
    "json-array": Reader("json-array", lambda p, e: _values(iter_json_array(p, on_error=e)), "items.json"),
    "csv": Reader("csv", lambda p, e: _values(read_csv(p, fieldnames=("code", "title"), on_error=e)),
                  "categories.csv", nest=b'"'),
    "csv-stream": Reader("csv-stream", lambda p, e: _values(stream_csv(p, on_error=e)), "categories.csv",
                         nest=b'"'),
    "pubtator": Reader("pubtator", lambda p, e: _values(read_pubtator(p, on_error=e)), "corpus.txt", nest=b"|"),
    "iob": Reader("iob", lambda p, e: _values(read_iob(p, columns=2, markers=("###MEDLINE:",), on_error=e)),
                  "eval.iob2", nest=b"\t"),
    "xml": Reader("xml", lambda p, e: _xml_values(p, "NLM-QUESTION", e), "questions.xml", nest=b"<a>"),
    "obo": Reader("obo", lambda p, e: [s.tags for _, s in read_obo(p, on_error=e)], "doid.obo", nest=b"["),
    "squad": Reader("squad", lambda p, e: _values(read_squad(p, on_error=e)), "COVID-QA.json", streaming=False),
    "xlsx": Reader("xlsx", lambda p, e: _values(read_xlsx(p, on_error=e)), "sheet.xlsx", streaming=False),
}


def _head(data: bytes, lines: int) -> bytes:
    return b"".join(data.splitlines(keepends=True)[:lines])


@pytest.fixture(scope="module")
def originals(realdata: Path) -> dict[str, bytes]:
    """The real bytes each reader is fuzzed on (small heads of real files)."""
    import json

    chatdoctor = json.loads((realdata / "chatdoctor" / "chatdoctor5k.json").read_bytes())[:30]
    covid = json.loads((REPO / "sources" / "covid_qa" / "sample" / "COVID-QA.json").read_bytes())
    covid["data"] = covid["data"][:2]
    pubtator = (realdata / "ncbi_disease" / "NCBIdevelopset_corpus.txt").read_bytes()
    return {
        "jsonl": _head((realdata / "medqa" / "test.jsonl").read_bytes(), 30),
        # one item per line, so that "the line" and "the item" coincide
        "json-array": ("[\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in chatdoctor) + "\n]\n").encode(),
        "csv": _head((realdata / "icd10cm" / "categories.csv").read_bytes(), 60),
        "csv-stream": b"code,title\n" + _head((realdata / "icd10cm" / "categories.csv").read_bytes(), 60),
        "pubtator": b"\n\n".join(pubtator.split(b"\n\n")[:6]) + b"\n",
        "iob": _head((realdata / "jnlpba" / "Genia4EReval1.iob2").read_bytes(), 400),
        "xml": (realdata / "liveqa" / "TREC-2017-LiveQA-Medical-Test.xml").read_bytes()[:60_000],
        "obo": _head((REPO / "sources" / "disease_ontology" / "sample" / "doid.obo").read_bytes(), 300),
        "squad": json.dumps(covid).encode(),
        "xlsx": (realdata / "medicationqa" / "MedInfo2019-QA-Medications.xlsx").read_bytes(),
    }


@st.composite
def damages(draw: st.DrawFn, size: int) -> tuple[str, int, bytes]:
    """(kind, byte offset, bytes): what to do where."""
    kind = draw(st.sampled_from(["truncate", "flip", "nul", "bom", "deep", "huge"]))
    at = draw(st.integers(min_value=0, max_value=max(0, size - 1)))
    value = bytes([draw(st.integers(min_value=0, max_value=255))])
    return kind, at, value


def damage(data: bytes, kind: str, at: int, value: bytes, nest: bytes) -> tuple[bytes, int]:
    """The damaged bytes and the offset of the start of the damaged line (len(data) when none)."""
    start = data.rfind(b"\n", 0, at) + 1
    if kind == "bom":
        return b"\xef\xbb\xbf" + data, len(data) + 3
    if kind == "truncate":
        return data[:at], start
    if kind == "flip":
        return data[:at] + value + data[at + 1:], start
    if kind == "nul":
        return data[:at] + b"\x00" + data[at:], start
    if kind == "deep":
        return data[:start] + nest * 3000 + data[start:], start
    return data[:start] + b"A" * (LIMITS.max_item_bytes * 3) + b"\n" + data[start:], start  # huge line


def read_guarded(reader: Reader, path: Path) -> tuple[list[Any], list[InputError], int]:
    """Read ``path`` under :data:`LIMITS`; the items, the problems and the tracemalloc peak."""
    problems: list[InputError] = []
    tracemalloc.start()
    try:
        with applied(LIMITS):
            items = reader.read(path, problems.append)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return items, problems, peak


def _clean(reader: Reader, originals: dict[str, bytes], folder: Path) -> tuple[bytes, list[Any]]:
    data = originals[reader.name]
    path = folder / ("clean-" + reader.file_name)
    path.write_bytes(data)
    items, problems, _ = read_guarded(reader, path)
    assert items and not problems, (reader.name, problems[:3])
    return data, items


def _items_before(reader: Reader, data: bytes, items: list[Any], offset: int, folder: Path) -> list[Any]:
    """The clean items wholly inside ``data[:offset]`` (read from that prefix, cut at a line end)."""
    path = folder / ("prefix-" + reader.file_name)
    path.write_bytes(data[:offset])
    before, _, _ = read_guarded(reader, path)
    # The prefix ends mid-structure: its last item may be incomplete or differ; keep the sure ones.
    sure = before[:-1] if before else []
    assert sure == items[: len(sure)], reader.name
    return sure


@pytest.mark.parametrize("name", sorted(READERS))
def test_reader_survives_damage(name, originals, tmp_path_factory, record_property):
    reader = READERS[name]
    folder = tmp_path_factory.mktemp(f"fuzz-{name}")
    data, clean = _clean(reader, originals, folder)
    cases = {"n": 0}

    @FUZZ
    @given(damages(len(data)))
    def check(case: tuple[str, int, bytes]) -> None:
        kind, at, value = case
        cases["n"] += 1
        damaged, start = damage(data, kind, at, value, reader.nest)
        path = folder / reader.file_name
        path.write_bytes(damaged)
        items, problems, peak = read_guarded(reader, path)  # raising anything fails the property
        assert peak < 40 * LIMITS.max_item_bytes + 8 * len(data), (kind, peak)
        if kind == "bom":
            if name != "xlsx":  # a zip with a prefix is another file
                assert items == clean, (kind, problems[:2])
            return
        if reader.per_line and kind != "truncate":
            lost = [item for item in clean if item not in items]
            assert len(lost) <= 1, (kind, at, len(lost))
        if reader.streaming and start > 0:
            before = _items_before(reader, data, clean, start, folder)
            assert items[: len(before)] == before, (kind, at, problems[:2])

    check()
    record_property("fuzz_cases", cases["n"])  # in --junitxml: the cases a run really tried
    assert cases["n"] >= min(EXAMPLES, 10)
