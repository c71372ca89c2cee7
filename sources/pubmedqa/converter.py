"""PubMedQA: ori_pqal.json (+ test_ground_truth.json for the benchmark split).

Feeds the Super-NaturalInstructions-derived tasks 11-15, the closed yes/no/maybe
QA task124 (train) and the MedS-Bench test task123. Items whose PMID is in
test_ground_truth.json are test items: they feed task123 and the test split of
task12 only, so no train task carries a benchmark abstract.

task12 (does this answer answer the question?) has a matched pair ("yes") and a
negative ("no") per item. The negative pairs the question with the long answer
of the next usable item *of the same split* in file order (wrapping round), so
no train record carries a test item's conclusion and vice versa; it is
deterministic and never the item itself (a split with one item, or whose next
item has the same answer text, gives no negative).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsins.errors import InputError
from medsins.formats import read_json
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_OBJECTIVE_LABELS = {"OBJECTIVE", "OBJECTIVES", "AIM", "AIMS", "PURPOSE", "GOAL", "GOALS"}
_DECISIONS = {"yes", "no", "maybe"}


def _fields(item: Any) -> tuple[str, list[str], list[str], str, str]:
    """(question, contexts, labels, long answer, decision); KeyError/TypeError/AttributeError if malformed."""
    question = item["QUESTION"].strip()
    contexts = [c.strip() for c in item["CONTEXTS"]]
    labels = [str(label).upper() for label in item.get("LABELS", [])]
    long_answer = item["LONG_ANSWER"].strip()
    decision = item["final_decision"].strip().lower()
    return question, contexts, labels, long_answer, decision


def _negative_partners(items: dict[str, Any], test_ids: set[str]) -> dict[str, str]:
    """PMID -> the long answer of the next usable item of the same split (task12's "no" pair)."""
    usable: dict[bool, list[tuple[str, str]]] = {True: [], False: []}
    for pmid, item in items.items():
        try:
            _, _, _, long_answer, decision = _fields(item)
        except (KeyError, TypeError, AttributeError):
            continue
        if decision in _DECISIONS:
            usable[pmid in test_ids].append((pmid, long_answer))
    partners: dict[str, str] = {}
    for group in usable.values():
        for index, (pmid, long_answer) in enumerate(group):
            other_pmid, other_answer = group[(index + 1) % len(group)]
            if other_pmid != pmid and other_answer and other_answer != long_answer:
                partners[pmid] = other_answer
    return partners


class Converter(Source):
    """PubMedQA PQA-L converter."""

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        test_ids: set[str] = set()
        for path in self.files(raw_dir, "test_ground_truth.json", required=False):
            truth = read_json(path)
            if not isinstance(truth, dict):
                raise InputError(path, None, "expected a JSON object of PMID -> decision")
            test_ids |= set(truth)
        for path in self.files(raw_dir, "ori_pqal.json"):
            items = read_json(path)
            if not isinstance(items, dict):
                raise InputError(path, None, "expected a JSON object keyed by PMID")
            partners = _negative_partners(items, test_ids)
            for index, (pmid, item) in enumerate(items.items()):
                where = self.origin(path, f"record {index + 1} (PMID {pmid})")
                try:
                    question, contexts, labels, long_answer, decision = _fields(item)
                except (KeyError, TypeError, AttributeError) as exc:
                    report(InputError(path, f"record {index + 1} (PMID {pmid})", f"missing or bad field {exc}"))
                    continue
                if decision not in _DECISIONS:
                    report(InputError(path, f"record {index + 1} (PMID {pmid})", f"final_decision {decision!r}"))
                    continue
                context = " ".join(contexts)
                is_test = pmid in test_ids
                qa_input = f"Question: {question}\nContext: {context}"
                if is_test:
                    yield Example(task_id="task123", split=Split.TEST, input=qa_input, output=decision,
                                  raw_id=pmid, origin=where)
                else:
                    yield Example(task_id="task124", split=Split.TRAIN, input=qa_input, output=decision,
                                  raw_id=pmid, origin=where)
                    yield Example(task_id="task11", split=Split.TRAIN,
                                  input=f"Context: {context}\nAnswer: {long_answer}", output=question,
                                  raw_id=pmid, origin=where)
                    yield Example(task_id="task13", split=Split.TRAIN, input=f"Passage: {context}",
                                  output=question, raw_id=pmid, origin=where)
                    objective = "1" if _OBJECTIVE_LABELS & set(labels) else "0"
                    yield Example(task_id="task14", split=Split.TRAIN, input=f"Passage: {context}",
                                  output=objective, raw_id=pmid, origin=where)
                    yield Example(task_id="task15", split=Split.TRAIN, input=qa_input, output=long_answer,
                                  raw_id=pmid, origin=where)
                # task12: does the answer answer the question? A matched pair says "yes";
                # pairing with the next same-split item's conclusion (see the docstring) "no".
                split = Split.TEST if is_test else Split.TRAIN
                yield Example(task_id="task12", split=split,
                              input=f"Question: {question}\nAnswer: {long_answer}", output="yes",
                              raw_id=f"{pmid}:match", origin=where)
                other_answer = partners.get(pmid)
                if other_answer:
                    yield Example(task_id="task12", split=split,
                                  input=f"Question: {question}\nAnswer: {other_answer}", output="no",
                                  raw_id=f"{pmid}:mismatch", origin=where)
