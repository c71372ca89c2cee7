"""The array-level dedup API: InputIndex (inputs → groups, bounded memory) and resolve (groups → drops)."""

from __future__ import annotations

import hashlib
import random
from typing import ClassVar

import numpy as np
import pyarrow as pa
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


def _index_and_groups(tmp_path, inputs: list[str]):
    index = InputIndex(tmp_path / "index")
    index.add(inputs)
    return index, index.groups()


def test_resolve_reads_input_signatures_only_for_groups_mixing_test_and_train(tmp_path) -> None:
    """The contamination step needs the input signatures of mixed groups alone (bounded memory),
    not those of train-only or test-only groups. Kills the ``mixed`` mask computed as "any test" /
    "any train" / "any record" (weights dropped or swapped), and signatures read when none is needed."""
    question = "Which drug is the antidote for paracetamol overdose in adults?"
    other = "Which vessel supplies the sinoatrial node in most people?"
    third = "What is the first-line treatment of anaphylaxis?"
    inputs = [question, question + " ", other, other.upper(), other + "!", third, third.lower()]
    ids = ["q-train-1", "q-train-2", "o-test", "o-train", "o-test-2", "t-test-1", "t-test-2"]
    outputs = ["N-acetylcysteine", "N-acetylcysteine", "Right coronary artery", "Right coronary artery", "RCA",
               "Adrenaline", "adrenaline"]
    tests = [False, False, True, False, True, True, True]
    index, groups = _index_and_groups(tmp_path, inputs)
    members = groups.members.tolist()
    asked: list[list[int]] = []

    def spy(distinct: np.ndarray) -> np.ndarray:
        asked.append(distinct.tolist())
        return index.signatures(distinct)

    drops = resolve(groups, [ids[i] for i in members], [outputs[i] for i in members],
                    [tests[i] for i in members], spy)
    assert drops == {"o-train": resolve_drop("o-test", "contaminates"), "q-train-2": resolve_drop("q-train-1"),
                     "t-test-2": resolve_drop("t-test-1")}
    mixed = {int(groups.inputs[k]) for k, i in enumerate(members) if ids[i].startswith("o-")}
    assert asked == [sorted(mixed)]
    # Without a test record in any group no signature is read.
    asked.clear()
    only_train = [False] * len(members)
    resolve(groups, [ids[i] for i in members], [outputs[i] for i in members], only_train, spy)
    assert asked == []


def resolve_drop(kept: str, kind: str = "duplicate"):
    from medsins.stages.dedup import Drop

    return Drop(kept, kind)


def test_resolve_checks_its_arguments(tmp_path) -> None:
    index, groups = _index_and_groups(tmp_path, ["same text here", "same text here"])
    with pytest.raises(ValueError, match=r"^ids, outputs and is_test must be given for every member of the groups$"):
        resolve(groups, ["a"], ["o"], [False], index.signatures)
    with pytest.raises(ValueError, match=r"^verify must be 'exact' or 'estimate', not 'minhash'$"):
        resolve(groups, ["a", "b"], ["o", "o"], [False, False], index.signatures, verify="minhash")  # type: ignore[arg-type]


def test_a_truncated_signature_file_is_a_short_read(tmp_path) -> None:
    """A damaged work folder is an error naming the file and byte, never zeros read as signatures."""
    index, _ = _index_and_groups(tmp_path, ["first text", "second text", "third text"])
    path = tmp_path / "index" / "signatures.u32"
    path.write_bytes(path.read_bytes()[:10])  # less than one 512-byte signature
    with pytest.raises(OSError, match=r"signatures\.u32: short read at byte (0|512|1024)$"):
        index.signatures(np.array([0, 1, 2]))


def test_signatures_before_groups_names_the_missing_call(tmp_path) -> None:
    with pytest.raises(RuntimeError, match=r"^call InputIndex\.groups\(\) first$"):
        InputIndex(tmp_path / "index").signatures(np.array([0]))


def test_worker_processes_and_arrow_batches_give_the_same_groups(tmp_path) -> None:
    """The build streams Arrow string arrays and sketches them in worker processes. Kills the
    Arrow conversion skipped, and every mutant of the pool path (no job, no batch, nothing stored)."""
    _, inputs, _, _ = corpus(8, n=160)
    expected = reference_groups(inputs, "exact")
    assert len(expected) > 5
    index = InputIndex(tmp_path / "pool", workers=2)
    index.add_batches(pa.array(inputs[i : i + 20]) for i in range(0, len(inputs), 20))  # 8 batches > 2 x workers
    assert index.records == len(inputs)
    assert index_groups(index) == expected
    single = InputIndex(tmp_path / "arrow")
    single.add_batches([pa.array(inputs[:70]), pa.array(inputs[70:])])
    assert index_groups(single) == expected


@pytest.mark.parametrize("verify", ["exact", "estimate"])
def test_verification_in_small_chunks_gives_the_same_groups(tmp_path, monkeypatch, verify) -> None:
    """Candidates are verified in bounded chunks (pairs, and shingle hashes in exact mode); the
    chunk size must never change the result. Kills the chunk bounds miscomputed and a chunk's
    ``continue`` turned into ``break`` (the later chunks' pairs lost)."""
    from medsins.stages import dedup

    _, inputs, _, _ = corpus(9)
    expected = reference_groups(inputs, verify)
    monkeypatch.setattr(dedup, "_VERIFY_PAIRS", 3)
    monkeypatch.setattr(dedup, "_VERIFY_HASHES", 60)
    index = InputIndex(tmp_path / "index", verify=verify)
    index.add(inputs)
    assert index_groups(index) == expected


def test_index_folder_and_files(tmp_path) -> None:
    """The folder is created with its parents; estimate mode spills no shingle hashes; an empty
    index still answers (no groups, no signatures)."""
    folder = tmp_path / "work" / "dedup" / "index"
    index = InputIndex(folder, verify="estimate")
    index.add(["one text here", "another text there"])
    index.groups()
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("band")) == ["signatures.u32"]
    empty = InputIndex(tmp_path / "empty")
    groups = empty.groups()
    assert (groups.members.tolist(), groups.starts.tolist(), groups.inputs.tolist()) == ([], [0], [])
    assert empty.signatures(np.array([], dtype=np.int64)).shape == (0, 128)
    with pytest.raises(RuntimeError, match=r"^InputIndex\.groups\(\) was called; no more inputs can be added$"):
        empty.add(["late"])


@pytest.mark.parametrize("verify", ["exact", "estimate"])
def test_verify_chunks_are_bounded_and_as_large_as_the_bounds_allow(tmp_path, monkeypatch, verify) -> None:
    """The candidates are cut, in order, into chunks of at most ``_VERIFY_PAIRS`` pairs and (exact
    mode) ``_VERIFY_HASHES`` shingle hashes, a pair over the budget alone; each chunk is as long as
    the bounds allow (the memory bound is the point, and too small chunks are slow). Kills the
    chunk arithmetic (cost, running total, search side, bounds) miscomputed."""
    from medsins.stages import dedup

    monkeypatch.setattr(dedup, "_VERIFY_PAIRS", 4)
    monkeypatch.setattr(dedup, "_VERIFY_HASHES", 60)
    _, inputs, _, _ = corpus(10)
    index = InputIndex(tmp_path / "index", verify=verify)
    index.add(inputs)
    index.groups()
    pairs = index._candidates(len(index._slot_of_input))
    assert len(pairs) > 20
    chunks = list(index._verify_chunks(pairs))
    assert np.array_equal(np.concatenate(chunks), pairs)
    if verify == "exact":
        lengths = np.diff(index._hash_offsets)
        cost = [int(lengths[index._slot_of_input[chunk]].sum()) for chunk in chunks]
        first = [int(lengths[index._slot_of_input[chunk[0]]].sum()) for chunk in chunks]
        assert any(c > 60 for c in first)  # some pairs alone exceed the budget
    else:
        cost, first = [0] * len(chunks), [0] * len(chunks)
    for k, chunk in enumerate(chunks):
        assert len(chunk) <= 4 and (cost[k] <= 60 or len(chunk) == 1), (k, len(chunk), cost[k])
        if k + 1 < len(chunks):  # the next pair would not have fitted
            assert len(chunk) == 4 or cost[k] + first[k + 1] > 60, (k, len(chunk), cost[k], first[k + 1])


class _InlinePool:
    """Stands in for ProcessPoolExecutor: records how it was made, runs jobs in this process,
    and counts how many results were pending at most."""

    made: ClassVar[list[_InlinePool]] = []

    def __init__(self, max_workers=None, mp_context=None, initializer=None, initargs=()) -> None:
        self.options = {"max_workers": max_workers, "context": mp_context and mp_context.get_start_method(),
                        "initializer": initializer, "initargs": initargs}
        self.pending = self.most_pending = 0
        _InlinePool.made.append(self)

    def __enter__(self) -> _InlinePool:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, job, *args):
        pool, value = self, job(*args)
        self.pending += 1
        self.most_pending = max(self.most_pending, self.pending)

        class Done:
            def result(self):
                pool.pending -= 1
                return value

        return Done()


def test_workers_sketch_in_spawned_processes_bound_to_the_parent_a_few_batches_ahead(tmp_path, monkeypatch) -> None:
    """``workers > 1`` uses a pool of that many *spawned* processes (a fork of a threaded parent
    can hang) that die with the parent, and keeps at most two batches per worker pending (memory);
    one worker sketches in-process. Kills every mutant of the pool's set-up and window, and
    ``workers`` not passed on by :func:`find_duplicates`."""
    import os

    from medsins.stages import dedup
    from medsins.workfolder import bind_to_parent

    monkeypatch.setattr(dedup, "ProcessPoolExecutor", _InlinePool)
    _InlinePool.made = []
    _, inputs, _, _ = corpus(11, n=120)
    expected = reference_groups(inputs, "exact")
    index = InputIndex(tmp_path / "three", workers=3)
    index.add_batches(inputs[i : i + 10] for i in range(0, len(inputs), 10))  # 12 batches
    assert index_groups(index) == expected
    (pool,) = _InlinePool.made
    assert pool.options == {"max_workers": 3, "context": "spawn", "initializer": bind_to_parent,
                            "initargs": (os.getpid(),)}
    assert pool.most_pending == 6
    _InlinePool.made = []
    single = InputIndex(tmp_path / "one")
    single.add_batches([inputs[:60], inputs[60:]])
    assert index_groups(single) == expected and _InlinePool.made == []
    ids = [f"r{i:03d}" for i in range(len(inputs))]
    find_duplicates(ids, inputs, ["o"] * len(inputs), [False] * len(inputs), workers=2)
    assert [p.options["max_workers"] for p in _InlinePool.made] == [2]
