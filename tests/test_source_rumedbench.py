"""RuMedBench source: RuMedDaNet (tasks 1001 and 61), RuMedNER (1002), RuMedTop3 (1003)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.records import Record, Split, split_entities

SOURCE = "rumedbench"
DANET, NER, TOP3 = "RuMedDaNet_dev_v1.jsonl", "RuMedNER_dev_v1.jsonl", "RuMedTop3_dev_v1.jsonl"


def convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get(SOURCE), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gold_entities(tokens: list[str], tags: list[str]) -> list[str]:
    spans: list[list[str]] = []
    for token, tag in zip(tokens, tags, strict=True):
        if tag.startswith("B-") or (tag.startswith("I-") and not spans):
            spans.append([token])
        elif tag.startswith("I-"):
            spans[-1].append(token)
        else:
            spans.append([])  # an O closes the open span
    return list(dict.fromkeys(" ".join(s) for s in spans if s))


@pytest.fixture(scope="module")
def raw_dir(realdata: Path) -> Path:
    return realdata / SOURCE


@pytest.fixture(scope="module")
def real(catalog, raw_dir):
    return convert(catalog, raw_dir)


def by_task(records: list[Record], task_id: str) -> list[Record]:
    return [r for r in records if r.task_id == task_id]


def test_real_dev_files_convert_completely_as_train(real, raw_dir):
    records, rejections = real
    assert rejections == []
    sizes = {name: len(read_lines(raw_dir / name)) for name in (DANET, NER, TOP3)}
    assert sizes == {DANET: 50, NER: 50, TOP3: 50}
    # dev files are train; RuMedDaNet feeds two tasks.
    assert Counter((r.task_id, r.split) for r in records) == {
        ("task1001", Split.TRAIN): sizes[DANET], ("task61", Split.TRAIN): sizes[DANET],
        ("task1002", Split.TRAIN): sizes[NER], ("task1003", Split.TRAIN): sizes[TOP3],
    }


def test_danet_yes_no_and_mcqa_answers_equal_gold(real, raw_dir):
    items = read_lines(raw_dir / DANET)
    yes_no, mcqa = by_task(real[0], "task1001"), by_task(real[0], "task61")
    assert [r.output for r in yes_no] == [i["answer"] for i in items]
    assert [r.output for r in mcqa] == [{"да": "A. да", "нет": "B. нет"}[i["answer"]] for i in items]
    assert Counter(r.output for r in yes_no) == {"да": 25, "нет": 25}
    for record, item in zip(mcqa, items, strict=True):
        assert record.options == ["A. да", "B. нет"]
        assert record.input.endswith("\nA. да\nB. нет")
        assert f"Вопрос: {item['question']}" in record.input
    first = yes_no[0]
    assert first.input.startswith("Контекст: Апоплексия яичника — кровоизлияние в яичник")
    question = "Зачастую причиной апоплексии яичника становится разрыв желтого тела яичника?"
    assert first.input.endswith(f"\nВопрос: {question}")
    assert first.output == "да" and first.raw_id == "dev_v1-1b6019e574f3767872a97386743eacd3"
    assert first.origin == f"{DANET}, line 1"


def test_ner_entities_equal_annotations(real, raw_dir):
    items = read_lines(raw_dir / NER)
    records = by_task(real[0], "task1002")
    for record, item in zip(records, items, strict=True):
        assert record.input == " ".join(item["tokens"])
        assert split_entities(record.output) == gold_entities(item["tokens"], item["ner_tags"])
    first = records[0]
    assert first.input == "В первый же день применения выпила 5 таблеток , проснулась ночью и сон как отбило ."
    assert first.output == "таблеток\nпроснулась\nсон как отбило"
    assert first.raw_id == "dev_v1-2472239.tsv_0"


def test_top3_codes_equal_gold(real, raw_dir):
    items = read_lines(raw_dir / TOP3)
    records = by_task(real[0], "task1003")
    assert [(r.raw_id, r.output) for r in records] == [(f"dev_v1-{i['idx']}", i["code"]) for i in items]
    assert records[1].input.startswith("Головные боли , выраженные,по ВАШ 9 баллов")
    assert records[1].output == "G90"


def test_ids_unique_and_deterministic(catalog, real, raw_dir):
    ids = [r.id for r in real[0]]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in convert(catalog, raw_dir)[0]] == ids


def test_sample_repository_layout_and_splits(catalog):
    records, rejections = convert(catalog, None)
    assert rejections == []
    assert Counter((r.task_id, r.split) for r in records) == {
        ("task1001", Split.TEST): 1, ("task61", Split.TEST): 1,
        ("task1001", Split.TRAIN): 2, ("task61", Split.TRAIN): 2,
        ("task1002", Split.TRAIN): 3, ("task1003", Split.TEST): 2,
    }
    ner = by_task(records, "task1002")
    assert [r.output for r in ner] == ["Нурофена\nголовная боль", "Таблетки", "антибиотик\nсыпь\nзуд"]


def test_unread_files_and_bad_lines(catalog, raw_dir, tmp_path):
    shutil.copy(raw_dir / TOP3, tmp_path / "RuMedTop3_test_v1.jsonl")
    (tmp_path / "RuMedTest_private_test_v1.jsonl").write_text('{"idx": "x", "question": "?"}\n', encoding="utf-8")
    (tmp_path / "RuMedDaNet").mkdir()
    (tmp_path / "RuMedDaNet" / "private_test_v1.jsonl").write_text('{"pairID": "p"}\n', encoding="utf-8")
    (tmp_path / "RuMedDaNet" / "train_v1.jsonl").write_text(
        '{"pairID": "p1", "context": "Текст.", "question": "Да?", "answer": "Да"}\n'
        '{"pairID": "p2", "context": "Текст.", "question": "Нет?", "answer": "возможно"}\n',
        encoding="utf-8",
    )
    (tmp_path / "RuMedNER_train_v1.jsonl").write_text(
        '{"idx": "n1", "tokens": ["боль"], "ner_tags": ["B-Pain"]}\n'
        '{"idx": "n2", "tokens": ["боль", "."], "ner_tags": ["B-ADR"]}\n',
        encoding="utf-8",
    )
    records, rejections = convert(catalog, tmp_path)
    assert Counter((r.task_id, r.split) for r in records) == {
        ("task1001", Split.TRAIN): 1, ("task61", Split.TRAIN): 1, ("task1003", Split.TEST): 50,
    }
    assert by_task(records, "task1001")[0].output == "да"  # answers are lower-cased
    assert [(j.origin, j.reason) for j in rejections] == [
        ("RuMedDaNet/train_v1.jsonl, line 2", "answer 'возможно' is not да or нет"),
        ("RuMedNER_train_v1.jsonl, line 1", "not a RuMedNER tag: 'B-Pain'"),
        ("RuMedNER_train_v1.jsonl, line 2", "'tokens' and 'ner_tags' must be non-empty lists of the same length"),
    ]
