"""The array-level dedup API: InputIndex (inputs → groups, bounded memory) and resolve (groups → drops)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

from medsins.stages.dedup import InputIndex, find_duplicates, resolve
from medsins.stages.minhash import components, near_duplicate_pairs, sketch_texts
from medsins.stages.shingles import normalise

WORDS = [f"w{i}" for i in range(400)] + ["aspirin", "ibuprofen", "患者", "服用", "阿司匹林", "боль", "голова"]


def corpus(seed: int, n: int = 300) -> tuple[list[str], list[str], list[str], list[bool]]:
    """Random records with exact copies, light edits, shared inputs and test/train mixes."""
    rng = random.Random(seed)
    ids, inputs, outputs, tests = [], [], [], []
    for i in range(n):
        roll = rng.random()
        if inputs and roll < 0.25:  # an edited copy of an earlier input
            words = rng.choice(inputs).split()
            for _ in range(rng.randint(0, max(1, len(words) // 8))):
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            text = " ".join(words)
        elif inputs and roll < 0.35:  # the same input, case and punctuation changed
            text = rng.choice(inputs).upper() + rng.choice(["", "?", " !"])
        else:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))
        ids.append(f"task{rng.randint(1, 9)}-{i:016x}")
        inputs.append(text)
        outputs.append(rng.choice(["yes", "no", "Yes.", "A. w1", "a long answer about w3 and w4 and w5"]))
        tests.append(rng.random() < 0.2)
    return ids, inputs, outputs, tests


def reference_groups(inputs: list[str], verify: str) -> set[tuple[int, ...]]:
    """Groups computed in memory with the minhash functions (the pre-streaming algorithm)."""
    keys = [normalise(t) for t in inputs]
    distinct = sorted(set(keys), key=lambda k: hashlib.blake2b(k.encode(), digest_size=16).digest())
    position = {k: i for i, k in enumerate(distinct)}
    sketches = sketch_texts(distinct, normalised=True)
    hashes = (sketches.hashes, sketches.offsets) if verify == "exact" else None
    labels = components(len(distinct), near_duplicate_pairs(sketches.signatures, 0.8, hashes=hashes))
    by_label: dict[int, list[int]] = {}
    for record, key in enumerate(keys):
        by_label.setdefault(int(labels[position[key]]), []).append(record)
    return {tuple(g) for g in by_label.values() if len(g) > 1}


def index_groups(index: InputIndex) -> set[tuple[int, ...]]:
    groups = index.groups()
    return {
        tuple(groups.members[a:b].tolist())
        for a, b in zip(groups.starts[:-1].tolist(), groups.starts[1:].tolist(), strict=True)
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("verify", ["exact", "estimate"])
def test_groups_equal_the_in_memory_computation_whatever_the_batches(tmp_path, seed, verify) -> None:
    _, inputs, _, _ = corpus(seed)
    expected = reference_groups(inputs, verify)
    assert len(expected) > 10
    for cut in (1, 7, 64, len(inputs)):
        index = InputIndex(tmp_path / f"{verify}-{cut}", verify=verify)
        index.add_batches(inputs[i : i + cut] for i in range(0, len(inputs), cut))
        assert index_groups(index) == expected, cut


@pytest.mark.parametrize("seed", [3, 4])
def test_index_and_resolve_give_find_duplicates_result(tmp_path, seed) -> None:
    ids, inputs, outputs, tests = corpus(seed)
    expected = find_duplicates(ids, inputs, outputs, tests)
    assert {d.kind for d in expected.values()} == {"duplicate", "contaminates"}
    index = InputIndex(tmp_path / "index")
    for start in range(0, len(inputs), 50):  # as the build streams Parquet batches
        index.add(inputs[start : start + 50])
    groups = index.groups()
    members = groups.members.tolist()
    got = resolve(groups, [ids[i] for i in members], [outputs[i] for i in members], [tests[i] for i in members],
                  index.signatures)
    assert got == expected
    # Only group members can be dropped, and every kept record named is a member too.
    assert set(got) <= {ids[i] for i in members}
    assert {d.kept_id for d in got.values()} <= {ids[i] for i in members}


def test_find_duplicates_does_not_depend_on_record_order() -> None:
    ids, inputs, outputs, tests = corpus(5)
    expected = find_duplicates(ids, inputs, outputs, tests)
    order = list(range(len(ids)))
    random.Random(1).shuffle(order)
    shuffled = [[column[i] for i in order] for column in (ids, inputs, outputs, tests)]
    assert find_duplicates(*shuffled) == expected


def test_signatures_read_back_equal_the_computed_ones(tmp_path) -> None:
    _, inputs, _, _ = corpus(6, n=120)
    index = InputIndex(tmp_path / "index")
    index.add_batches([inputs[:50], inputs[50:]])
    groups = index.groups()
    keys = sorted({normalise(t) for t in inputs}, key=lambda k: hashlib.blake2b(k.encode(), digest_size=16).digest())
    wanted = np.array([0, len(keys) - 1, 3, 3])
    expected = sketch_texts([keys[i] for i in wanted], normalised=True, keep_hashes=False).signatures
    assert np.array_equal(index.signatures(wanted), expected)
    # Members' distinct-input numbers point at their own normalised inputs.
    for member, distinct in zip(groups.members.tolist(), groups.inputs.tolist(), strict=True):
        assert keys[distinct] == normalise(inputs[member])


def test_memory_per_record_is_a_fixed_few_bytes(tmp_path) -> None:
    # Long texts: the sketches (512 B signature + 4 B a shingle) go to files, not memory.
    rng = random.Random(7)
    texts = [" ".join(rng.choice(WORDS) for _ in range(200)) for _ in range(400)]
    index = InputIndex(tmp_path / "index")
    index.add_batches([texts[:200], texts[200:]])
    assert index.records == 400
    assert index.resident_bytes <= 40 * 400  # 16 B digest + 8 B slot per record, 8 B per distinct input
    groups = index.groups()
    assert len(groups) == 0
    on_disk = sum(p.stat().st_size for p in (tmp_path / "index").iterdir())
    assert on_disk >= 400 * (128 * 4 + 199 * 4)  # signatures and shingle hashes were spilled


def test_index_rejects_inputs_after_groups_and_reads_before(tmp_path) -> None:
    index = InputIndex(tmp_path / "index")
    with pytest.raises(RuntimeError, match="groups"):
        index.signatures(np.array([0]))
    index.add(["a b c"])
    index.groups()
    with pytest.raises(RuntimeError, match="no more inputs"):
        index.add(["d e f"])


def test_empty_index_has_no_groups(tmp_path) -> None:
    groups = InputIndex(tmp_path / "index").groups()
    assert len(groups) == 0 and len(groups.members) == 0
