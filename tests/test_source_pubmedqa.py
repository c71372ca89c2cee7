"""PubMedQA converter on the real PQA-L slice and its test ground truth."""

from __future__ import annotations

import json
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


@pytest.fixture(scope="module")
def pubmedqa(catalog):
    return catalog.get("pubmedqa")


@pytest.fixture(scope="module")
def real(realdata, pubmedqa, catalog):
    return _convert(pubmedqa, realdata / "pubmedqa", catalog.registry)


@pytest.fixture(scope="module")
def raw(realdata) -> tuple[dict, dict]:
    folder = realdata / "pubmedqa"
    items = json.loads((folder / "ori_pqal.json").read_text("utf-8"))
    truth = json.loads((folder / "test_ground_truth.json").read_text("utf-8"))
    return items, truth


def test_real_counts(real, raw):
    records, rejections = real
    assert rejections == []
    items, truth = raw
    test_ids = set(truth) & set(items)
    n_test, n_train = len(test_ids), len(items) - len(test_ids)
    assert (len(items), n_test) == (100, 49)
    counts = Counter((r.task_id, r.split.value) for r in records)
    assert counts == {
        ("task123", "test"): n_test,
        ("task12", "test"): 2 * n_test,
        ("task12", "train"): 2 * n_train,
        **{(t, "train"): n_train for t in ("task11", "task13", "task14", "task15", "task124")},
    }


def test_real_decisions_equal_gold(real, raw):
    records, _ = real
    items, truth = raw
    for record in records:
        pmid = record.raw_id.split(":")[0]
        if record.task_id == "task123":
            assert record.output == truth[pmid] == items[pmid]["final_decision"]
        elif record.task_id == "task124":
            assert pmid not in truth
            assert record.output == items[pmid]["final_decision"]
        elif record.task_id == "task15":
            assert record.output == items[pmid]["LONG_ANSWER"]
        elif record.task_id in ("task11", "task13"):
            assert record.output == items[pmid]["QUESTION"]


def test_real_no_train_record_carries_a_test_abstract(real, raw):
    records, _ = real
    _, truth = raw
    assert all(r.raw_id.split(":")[0] not in truth for r in records if r.split.value == "train")
    assert all(r.raw_id.split(":")[0] in truth for r in records if r.split.value == "test")


def test_real_first_item_exact(real, raw):
    records, _ = real
    items, _ = raw
    first = next(r for r in records if r.raw_id == "21645374")
    assert first.task_id == "task123"
    assert first.input.startswith(
        "Question: Do mitochondria play a role in remodelling lace plant leaves during programmed cell "
        "death?\n"
        "Context: Programmed cell death (PCD) is the regulated death of cells within an organism."
    )
    assert first.input.endswith(" ".join(items["21645374"]["CONTEXTS"]))
    assert first.output == "yes"
    match = next(r for r in records if r.raw_id == "21645374:match")
    assert match.output == "yes" and match.split.value == "test"
    assert match.input.endswith(items["21645374"]["LONG_ANSWER"])


def test_real_objective_labels_and_mismatch_pairs(real, raw):
    records, _ = real
    items, _ = raw
    pmids = list(items)
    objective = {"OBJECTIVE", "OBJECTIVES", "AIM", "AIMS", "PURPOSE", "GOAL", "GOALS"}
    task14 = [r for r in records if r.task_id == "task14"]
    for record in task14:
        expected = "1" if objective & {label.upper() for label in items[record.raw_id]["LABELS"]} else "0"
        assert record.output == expected
    assert {r.output for r in task14} == {"0", "1"}
    # The negative pairs an item with the next item of the same split (wrapping round), never itself.
    _, truth = raw
    same_split = {pmid: [p for p in pmids if (p in truth) == (pmid in truth)] for pmid in pmids}
    for record in (r for r in records if r.raw_id.endswith(":mismatch")):
        pmid = record.raw_id.split(":")[0]
        group = same_split[pmid]
        nxt = group[(group.index(pmid) + 1) % len(group)]
        assert nxt != pmid and record.output == "no"
        assert record.input.endswith(items[nxt]["LONG_ANSWER"].strip())


def test_ids_unique_and_deterministic(real, pubmedqa, realdata, catalog):
    records, _ = real
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)
    again, _ = _convert(pubmedqa, realdata / "pubmedqa", catalog.registry)
    assert [r.id for r in again] == ids


def test_sample_converts(pubmedqa, catalog):
    records, rejections = _convert(pubmedqa, None, catalog.registry)
    assert rejections == []
    assert {r.task_id for r in records} == set(pubmedqa.manifest.tasks)


def _long_answers(items: dict, pmids) -> set[str]:
    return {items[p]["LONG_ANSWER"].strip() for p in pmids}


def test_full_corpus_task12_negatives_stay_in_their_split(fullcorpora, pubmedqa, catalog):
    """No train record carries a test item's long answer (task12 once paired each item with the next one's)."""
    folder = fullcorpora / "pubmedqa"
    items = json.loads((folder / "ori_pqal.json").read_text("utf-8"))
    truth = json.loads((folder / "test_ground_truth.json").read_text("utf-8"))
    records, rejections = _convert(pubmedqa, folder, catalog.registry)
    assert rejections == []
    test_ids = set(truth) & set(items)
    assert (len(items), len(test_ids)) == (1000, 500)
    test_answers = _long_answers(items, test_ids)
    train_answers = _long_answers(items, set(items) - test_ids)
    train = [r for r in records if r.split.value == "train"]
    test = [r for r in records if r.split.value == "test"]
    assert sum(r.task_id == "task12" for r in train) == 2 * 500
    assert sum(r.task_id == "task12" for r in test) == 2 * 500
    for record in train:
        assert not any(answer in record.input or answer in record.output for answer in test_answers), record.raw_id
    # ... and the test split's negatives use test answers only.
    for record in (r for r in test if r.raw_id.endswith(":mismatch")):
        answer = record.input.split("\nAnswer: ", 1)[1]
        assert answer in test_answers and answer not in train_answers
        assert answer != items[record.raw_id.split(":")[0]]["LONG_ANSWER"].strip()
