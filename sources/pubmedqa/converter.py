"""PubMedQA: ori_pqal.json (+ test_ground_truth.json for the benchmark split).

Feeds the Super-NaturalInstructions-derived tasks 11-15, the closed yes/no/maybe
QA task124 (train) and the MedS-Bench test task123. Items whose PMID is in
test_ground_truth.json are test items: they feed task123 and the test split of
task12 only, so no train task carries a benchmark abstract.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medsins.errors import InputError
from medsins.formats import read_json
from medsins.plugins import Reporter, Source
from medsins.records import Example, Split

_OBJECTIVE_LABELS = {"OBJECTIVE", "OBJECTIVES", "AIM", "AIMS", "PURPOSE", "GOAL", "GOALS"}
_DECISIONS = {"yes", "no", "maybe"}


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
            pmids = list(items)
            for index, pmid in enumerate(pmids):
                item = items[pmid]
                where = self.origin(path, f"record {index + 1} (PMID {pmid})")
                try:
                    question = item["QUESTION"].strip()
                    contexts = [c.strip() for c in item["CONTEXTS"]]
                    labels = [str(label).upper() for label in item.get("LABELS", [])]
                    long_answer = item["LONG_ANSWER"].strip()
                    decision = item["final_decision"].strip().lower()
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
                # task12: does the answer answer the question? A matched pair says
                # "yes"; pairing with the next item's conclusion (deterministic) "no".
                split = Split.TEST if is_test else Split.TRAIN
                yield Example(task_id="task12", split=split,
                              input=f"Question: {question}\nAnswer: {long_answer}", output="yes",
                              raw_id=f"{pmid}:match", origin=where)
                other = items[pmids[(index + 1) % len(pmids)]]
                other_answer = other.get("LONG_ANSWER", "") if isinstance(other, dict) else ""
                if len(pmids) > 1 and isinstance(other_answer, str) and other_answer.strip():
                    yield Example(task_id="task12", split=split,
                                  input=f"Question: {question}\nAnswer: {other_answer.strip()}", output="no",
                                  raw_id=f"{pmid}:mismatch", origin=where)
