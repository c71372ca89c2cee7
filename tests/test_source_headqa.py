"""HEAD-QA converter: the real dev files (es + en), the bundled sample, edge cases."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record


def _convert(source, raw: Path | None, registry) -> tuple[list[Record], list[Rejection]]:
    records, rejections = [], []
    for item in convert_source(source, raw, registry):
        (records if isinstance(item, Record) else rejections).append(item)
    return records, rejections


def _by_task(records: list[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.task_id, []).append(record)
    return grouped


@pytest.fixture(scope="module")
def headqa(catalog):
    return catalog.get("headqa")


@pytest.fixture(scope="module")
def real(realdata, headqa, catalog):
    return _convert(headqa, realdata / "headqa", catalog.registry)


@pytest.fixture(scope="module")
def real_as_train(realdata, headqa, catalog, tmp_path_factory):
    """The real dev files presented under train_* names (copies: links out of the raw folder are refused)."""
    folder = tmp_path_factory.mktemp("headqa_train")
    shutil.copy(realdata / "headqa" / "dev_HEAD.json", folder / "train_HEAD.json")
    shutil.copy(realdata / "headqa" / "dev_HEAD_EN.json", folder / "train_HEAD_EN.json")
    return _convert(headqa, folder, catalog.registry)


def _gold(path: Path) -> dict[str, tuple[str, list[str], str, str]]:
    """exam/qid -> (question, option texts, right option text, category), read with plain json."""
    data = json.loads(path.read_text("utf-8"))
    gold = {}
    for name, exam in data["exams"].items():
        for q in exam["data"]:
            texts = [a["atext"] for a in q["answers"]]
            right = next(a["atext"] for a in q["answers"] if str(a["aid"]) == q["ra"])
            gold[f"{name}/{q['qid']}"] = (q["qtext"], texts, right, exam["category"])
    return gold


def test_real_dev_feeds_task129_test_only(real, realdata):
    records, rejections = real
    assert rejections == []
    raw_text = (realdata / "headqa" / "dev_HEAD.json").read_text("utf-8")
    assert len(records) == raw_text.count('"qid":') == 40
    assert {(r.task_id, r.split.value, r.input_language) for r in records} == {("task129", "test", "es")}
    # The English dev translations are benchmark questions: no train task may carry them.
    assert not any(r.origin.startswith("dev_HEAD_EN.json") for r in records)


def test_real_answers_equal_gold(real, realdata):
    gold = _gold(realdata / "headqa" / "dev_HEAD.json")
    records, _ = real
    assert len(gold) == len(records)
    for record in records:
        question, texts, right, _ = gold[record.raw_id.removeprefix("dev/")]
        assert record.input.splitlines()[0] == question
        assert [o.split(". ", 1)[1] for o in record.options] == texts
        assert record.output.split(". ", 1)[1] == right
        assert record.output in record.options


def test_real_first_record_exact(real):
    first = real[0][0]
    assert first.raw_id == "dev/Cuaderno_2015_1_B/1"
    assert first.input == (
        "El potencial de equilibrio para un ión permeante a través de una membrana se calcula mediante:\n"
        "A. El equilibrio de Gibbs-Donnan.\n"
        "B. La ecuación de Goldman-Hodgkin-Katz.\n"
        "C. La ecuación de Ohm.\n"
        "D. La ecuación de Nernst."
    )
    assert first.output == "D. La ecuación de Nernst."
    assert first.origin == "dev_HEAD.json, exam Cuaderno_2015_1_B, qid 1"


def test_real_content_as_train_feeds_every_train_task(real_as_train, realdata):
    records, rejections = real_as_train
    assert rejections == []
    tasks = _by_task(records)
    assert {t: len(v) for t, v in tasks.items()} == {
        "task129": 40, "task22": 40, "task25": 40, "task23": 40, "task24": 40
    }
    assert all(r.split.value == "train" for r in records)
    assert {r.output for r in tasks["task25"]} == {"biology"}
    en_gold = _gold(realdata / "headqa" / "dev_HEAD_EN.json")
    for record in tasks["task22"]:
        _, _, right, _ = en_gold[record.raw_id.removeprefix("train/")]
        assert record.output.split(". ", 1)[1] == right
    en1 = next(r for r in tasks["task23"] if r.raw_id == "train/Cuaderno_2015_1_B/1")
    assert en1.input == "The equilibrium potential for a permeant ion through a membrane is calculated by:"
    assert en1.output == (
        "El potencial de equilibrio para un ión permeante a través de una membrana se calcula mediante:"
    )
    assert (en1.input_language, en1.output_language) == ("en", "es")
    es2 = next(r for r in tasks["task24"] if r.raw_id == "train/Cuaderno_2015_1_B/2")
    assert es2.input == "Tras la recepción de la luz, la permeabilidad de los fotorreceptores al:"
    assert es2.output == "After reception of light, the permeability of the photoreceptors to:"
    assert next(r for r in tasks["task22"] if r.raw_id.endswith("/1")).output == "D. The Nernst equation."


def test_ids_unique_and_deterministic(real, real_as_train, headqa, realdata, catalog):
    for records, _ in (real, real_as_train):
        ids = [r.id for r in records]
        assert len(set(ids)) == len(ids)
    again, _ = _convert(headqa, realdata / "headqa", catalog.registry)
    assert [r.id for r in again] == [r.id for r in real[0]]


def test_sample_converts(headqa, catalog):
    records, rejections = _convert(headqa, None, catalog.registry)
    assert rejections == []
    counts = Counter((r.task_id, r.split.value) for r in records)
    assert counts == {
        ("task129", "test"): 2, ("task129", "train"): 4, ("task22", "train"): 4,
        ("task25", "train"): 4, ("task23", "train"): 4, ("task24", "train"): 4,
    }
    assert {r.output for r in records if r.task_id == "task25"} == {"nursery", "pharmacology"}
    image_question = next(r for r in records if r.raw_id == "test/Cuaderno_2014_1_M/1")
    assert image_question.output == "C. Fibrosis pulmonar idiopática."


def _write(path: Path, language: str, questions: list[dict], category: str = "medicine") -> None:
    exam = {"name": "Cuaderno_2016_1_M", "category": category, "year": "2016", "data": questions}
    document = {"version": "1.0", "language": language, "exams": {exam["name"]: exam}}
    path.write_text(json.dumps(document), "utf-8")


def _q(qid: str, text: str, ra: str = "1") -> dict:
    return {"qid": qid, "qtext": text, "ra": ra, "image": "",
            "answers": [{"aid": 1, "atext": "uno"}, {"aid": 2, "atext": "dos"}]}


def test_bad_questions_are_reported(tmp_path, headqa, catalog):
    spanish = [_q("1", "¿Uno?"), _q("2", "¿Dos?", ra="7"), _q("3", "¿Tres?")]
    _write(tmp_path / "train_HEAD.json", "es", spanish)
    english = [_q("1", "One?"), _q("2", "Two?", ra="7")]
    _write(tmp_path / "train_HEAD_EN.json", "en", english, category="surgery")
    records, rejections = _convert(headqa, tmp_path, catalog.registry)
    reasons = sorted((r.origin, r.reason.split(" ")[0]) for r in rejections)
    assert reasons == [
        ("train_HEAD.json, exam Cuaderno_2016_1_M, qid 3", "no"),
        ("train_HEAD.json, exam Cuaderno_2016_1_M, question #2", "right"),
        ("train_HEAD_EN.json, exam Cuaderno_2016_1_M, qid 1", "task25:"),
        ("train_HEAD_EN.json, exam Cuaderno_2016_1_M, question #2", "right"),
    ]
    assert sorted(r.task_id for r in records) == ["task129", "task129", "task22", "task23", "task24"]


def test_no_headqa_file_is_one_rejection(tmp_path, headqa, catalog):
    (tmp_path / "HEAD.json").write_text("{}", "utf-8")
    records, rejections = _convert(headqa, tmp_path, catalog.registry)
    assert records == [] and len(rejections) == 1
