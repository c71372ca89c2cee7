"""Deduplication and test-set decontamination across all tasks and splits.

:func:`find_duplicates` decides, without any I/O, which records leave the
release and which record each one is a copy of.

How records are matched
    Inputs are compared in their :func:`~medsins.stages.shingles.normalise`-d
    form. Records with equal normalised inputs are grouped first (exact
    dedup, a dictionary lookup); one MinHash signature per distinct input then
    finds near-duplicate inputs: LSH candidates (bands chosen for recall,
    :func:`~medsins.stages.minhash.recall_params`) whose Jaccard of shingle
    sets is ≥ ``threshold`` — by default the exact Jaccard of the candidates'
    shingle-hash sets: on a 200k-record synthetic corpus that measured F1
    0.996 against exact truth, where deciding by the MinHash estimate gave
    0.910 (benchmarks/README.md).
    *Components* are the connected components of that near-duplicate graph.

The rule, per component
    1. **Contamination.** If the component holds a test record, every train
       record in it is dropped as ``"contaminates"``, pointing to the kept test
       record whose input is most similar (estimated Jaccard; ties → smallest
       id). A test record is never dropped because of a train twin.
    2. **Duplicates.** Among the remaining records of one split, records whose
       normalised outputs are equal or near-equal (Jaccard ≥ ``threshold``,
       chained within the component) are copies: the record with the smallest
       id is kept, the others are dropped as ``"duplicate"`` pointing to it.
    3. **Different tasks over one passage are kept.** Records with the same
       (or near-same) input but different outputs — question generation and
       classification over one abstract, two NER entity types of one
       sentence — are all kept.

Which record is kept depends only on the ids and splits (test first, then the
smallest id), never on input order: distinct inputs are processed in sorted
order, so shuffling the records gives the same result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

from medsins.stages.minhash import components, near_duplicate_pairs, sketch_texts
from medsins.stages.shingles import normalise

DropKind = Literal["duplicate", "contaminates"]
Verify = Literal["exact", "estimate"]


class Drop(NamedTuple):
    """Why a record leaves the release: a copy of ``kept_id``."""

    kept_id: str
    kind: DropKind


def find_duplicates(
    ids: Sequence[str],
    inputs: Sequence[str],
    outputs: Sequence[str],
    is_test: Sequence[bool],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    seed: int = 1,
    verify: Verify = "exact",
    workers: int = 1,
) -> dict[str, Drop]:
    """The records to drop, by id, each with the id it duplicates and the kind of drop.

    See the module docstring for the rule. Records not in the result are kept.
    ``verify`` decides LSH candidates by the ``"exact"`` Jaccard of their
    shingle-hash sets (default) or by the MinHash ``"estimate"``. ``workers``
    processes compute the input signatures (same result for any number).

    >>> find_duplicates(
    ...     ["a", "b", "c"],
    ...     ["Is aspirin safe?", "is aspirin safe", "Is aspirin safe?"],
    ...     ["yes", "Yes.", "no"],
    ...     [False, False, True],
    ... )
    {'a': Drop(kept_id='c', kind='contaminates'), 'b': Drop(kept_id='c', kind='contaminates')}
    """
    n = len(ids)
    if not (len(inputs) == len(outputs) == len(is_test) == n):
        raise ValueError("ids, inputs, outputs and is_test must have the same length")
    if len(set(ids)) != n:
        raise ValueError("record ids must be unique")
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    if n == 0:
        return {}

    # Exact stage: one entry per distinct normalised input, in sorted (canonical) order.
    input_keys = [normalise(text) for text in inputs]
    distinct_inputs = sorted(set(input_keys))
    position = {key: i for i, key in enumerate(distinct_inputs)}
    record_input = np.array([position[key] for key in input_keys], dtype=np.int64)

    # Near-duplicate stage over distinct inputs.
    input_sigs, input_pairs = _near_pairs(distinct_inputs, threshold, num_perm, seed, verify, workers)
    input_component = components(len(distinct_inputs), input_pairs)
    record_component = input_component[record_input]

    members: dict[int, list[int]] = defaultdict(list)
    for record, component in enumerate(record_component.tolist()):
        members[component].append(record)
    shared = [group for group in members.values() if len(group) > 1]
    if not shared:
        return {}

    same_output = _OutputMatcher([outputs[i] for group in shared for i in group], threshold, num_perm, seed, verify)
    drops: dict[str, Drop] = {}
    for group in shared:
        group.sort(key=lambda i: ids[i])  # smallest id first
        tests = [i for i in group if is_test[i]]
        trains = [i for i in group if not is_test[i]]
        kept_tests = _dedup_split(tests, ids, outputs, same_output, drops)
        if kept_tests:
            _contaminated(trains, kept_tests, ids, record_input, input_sigs, drops)
        else:
            _dedup_split(trains, ids, outputs, same_output, drops)
    return dict(sorted(drops.items()))


def _near_pairs(
    texts: list[str], threshold: float, num_perm: int, seed: int, verify: Verify, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Signatures of normalised texts and their verified near-duplicate pairs."""
    if verify not in ("exact", "estimate"):
        raise ValueError(f"verify must be 'exact' or 'estimate', not {verify!r}")
    sketches = sketch_texts(
        texts, num_perm=num_perm, seed=seed, normalised=True, keep_hashes=verify == "exact", workers=workers
    )
    hashes = (sketches.hashes, sketches.offsets) if verify == "exact" else None
    return sketches.signatures, near_duplicate_pairs(sketches.signatures, threshold, hashes=hashes)


class _OutputMatcher:
    """Equal-or-near-equal outputs: normalised keys plus near-duplicate pairs between them."""

    def __init__(self, outputs: list[str], threshold: float, num_perm: int, seed: int, verify: Verify) -> None:
        self.distinct = sorted({normalise(text) for text in outputs})
        self.index = {key: i for i, key in enumerate(self.distinct)}
        _, pairs = _near_pairs(self.distinct, threshold, num_perm, seed, verify)
        self.neighbours: dict[int, list[int]] = defaultdict(list)
        for first, second in pairs.tolist():
            self.neighbours[first].append(second)
            self.neighbours[second].append(first)

    def key(self, output: str) -> int:
        return self.index[normalise(output)]

    def classes(self, keys: set[int]) -> dict[int, int]:
        """Map each output key to its class within ``keys`` (near-equality chained inside the set)."""
        label: dict[int, int] = {}
        for start in sorted(keys):
            if start in label:
                continue
            label[start] = start
            stack = [start]
            while stack:
                for other in self.neighbours.get(stack.pop(), ()):
                    if other in keys and other not in label:
                        label[other] = start
                        stack.append(other)
        return label


def _dedup_split(
    records: list[int],
    ids: Sequence[str],
    outputs: Sequence[str],
    same_output: _OutputMatcher,
    drops: dict[str, Drop],
) -> list[int]:
    """Drop same-output copies among ``records`` (sorted by id); return the kept ones."""
    if len(records) < 2:
        return records
    keys = {i: same_output.key(outputs[i]) for i in records}
    label = same_output.classes(set(keys.values()))
    keeper: dict[int, int] = {}
    kept: list[int] = []
    for i in records:  # smallest id first, so the first of a class is its keeper
        cls = label[keys[i]]
        if cls in keeper:
            drops[ids[i]] = Drop(ids[keeper[cls]], "duplicate")
        else:
            keeper[cls] = i
            kept.append(i)
    return kept


def _contaminated(
    trains: list[int],
    kept_tests: list[int],
    ids: Sequence[str],
    record_input: np.ndarray,
    input_sigs: np.ndarray,
    drops: dict[str, Drop],
) -> None:
    """Drop every train record, pointing to the kept test record with the most similar input."""
    if not trains:
        return
    test_sigs = input_sigs[record_input[kept_tests]]
    step = max(1, (1 << 22) // max(1, test_sigs.size))
    for start in range(0, len(trains), step):
        chunk = trains[start : start + step]
        train_sigs = input_sigs[record_input[chunk]]
        similarity = np.count_nonzero(train_sigs[:, None, :] == test_sigs[None, :, :], axis=2)
        # kept_tests is sorted by id, and argmax takes the first maximum: ties go to the smallest id.
        best = np.argmax(similarity, axis=1)
        for record, choice in zip(chunk, best.tolist(), strict=True):
            drops[ids[record]] = Drop(ids[kept_tests[choice]], "contaminates")
