"""find_duplicates: exact + near-duplicate dedup and test-set decontamination."""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from medsins.stages.dedup import Drop, find_duplicates
from medsins.stages.minhash import components, near_duplicate_pairs, signatures, sketch_texts
from medsins.stages.shingles import normalise, shingles

# A 60-word MCQA-like stem; the edits below keep bigram Jaccard well above 0.8.
STEM = (
    "A 45 year old man presents to the emergency department with crushing chest pain radiating to "
    "the left arm that started two hours ago while he was shovelling snow. He has a history of "
    "hypertension and type 2 diabetes and smokes one pack per day. His blood pressure is 160 over 95 "
    "and an electrocardiogram shows ST elevation in leads II III and aVF. Which artery is most "
    "likely occluded?"
)
OTHER = (
    "A 6 year old girl is brought to the clinic because of a rash on her cheeks that appeared after "
    "a week of fever and runny nose. Her vaccinations are up to date and she attends a day care "
    "centre where other children were recently ill. Which virus is the most likely cause of her rash?"
)


def _bigram_jaccard(a: str, b: str) -> float:
    x, y = set(shingles(a)), set(shingles(b))
    return len(x & y) / len(x | y)


def run(records: list[tuple[str, str, str, bool]], **options) -> dict[str, Drop]:
    ids, inputs, outputs, tests = zip(*records, strict=True)
    return find_duplicates(list(ids), list(inputs), list(outputs), list(tests), **options)


def test_near_duplicate_across_two_tasks_points_to_its_twin() -> None:
    edited = STEM.replace("crushing chest pain", "severe chest pain").replace("snow.", "snow!")
    assert 0.8 < _bigram_jaccard(STEM, edited) < 1.0
    drops = run(
        [
            ("task57-00000000000000a1", STEM, "B. Right coronary artery", False),
            ("task51-00000000000000b2", edited, "B. Right coronary artery", False),
            ("task57-00000000000000c3", OTHER, "C. Parvovirus B19", False),
        ]
    )
    # The smallest id is kept; the twin in the other task points to it.
    assert drops == {"task57-00000000000000a1": Drop("task51-00000000000000b2", "duplicate")}


def test_exact_duplicate_after_normalisation() -> None:
    drops = run(
        [
            ("r1", "Does aspirin reduce mortality?", "yes", False),
            ("r2", "does ASPIRIN reduce mortality", "Yes.", False),
        ]
    )
    assert drops == {"r2": Drop("r1", "duplicate")}


def test_test_item_copied_into_train_contaminates_and_test_is_kept() -> None:
    leaked = STEM.replace("45 year old", "46 year old").replace("Which artery", "What artery")
    assert 0.8 < _bigram_jaccard(STEM, leaked) < 1.0
    drops = run(
        [
            ("task57-test", STEM, "B. Right coronary artery", True),
            ("task99-train", leaked, "Inferior myocardial infarction.", False),  # another task, other output
            ("task12-train", OTHER, "C. Parvovirus B19", False),
            ("task12-test", OTHER.upper(), "C. Parvovirus B19", True),
        ]
    )
    assert drops == {
        "task99-train": Drop("task57-test", "contaminates"),
        "task12-train": Drop("task12-test", "contaminates"),
    }


def test_contamination_points_to_the_most_similar_test_record() -> None:
    # A chain: train ≈ test-b, test-b ≈ test-a, so all three share a component.
    test_a = STEM
    test_b = STEM.replace("45 year old man", "52 year old woman")
    train = test_b.replace("two hours ago", "three hours ago")
    assert _bigram_jaccard(train, test_b) > _bigram_jaccard(train, test_a)
    drops = run(
        [
            ("a", test_a, "B. Right coronary artery", True),
            ("b", test_b, "A. Left anterior descending artery", True),
            ("c", train, "B. Right coronary artery", False),
        ]
    )
    assert drops == {"c": Drop("b", "contaminates")}


def test_test_items_are_deduplicated_among_themselves() -> None:
    drops = run(
        [
            ("task57-b", STEM, "B. Right coronary artery", True),
            ("task51-a", STEM + " ", "b right coronary artery", True),
        ]
    )
    assert drops == {"task57-b": Drop("task51-a", "duplicate")}


def test_same_input_different_outputs_are_all_kept() -> None:
    abstract = (
        "Background: Aspirin is widely used for secondary prevention of cardiovascular events. Methods: "
        "We randomised 2000 patients with stable angina to aspirin or placebo and followed them for five "
        "years. Results: Aspirin reduced the rate of myocardial infarction by a third without a "
        "significant increase in major bleeding."
    )
    drops = run(
        [
            ("task12-1", abstract, "Does aspirin reduce myocardial infarction in stable angina?", False),
            ("task13-1", abstract, "yes", False),
            ("task106-1", abstract, "Sustaining proliferative signaling", False),
            ("task109-1", abstract, "Aspirin prevents myocardial infarction in stable angina.", False),
        ]
    )
    assert drops == {}


def test_near_equal_outputs_count_as_the_same_output() -> None:
    summary = (
        "In patients with stable angina aspirin reduced myocardial infarction by one third over five "
        "years without more major bleeding than placebo in this randomised trial of two thousand patients"
    )
    assert _bigram_jaccard(summary, summary + " overall") >= 0.8
    drops = run([("s1", STEM, summary, False), ("s2", STEM, summary + " overall", False)])
    assert drops == {"s2": Drop("s1", "duplicate")}


def test_result_does_not_depend_on_input_order() -> None:
    rng = random.Random(7)
    records = []
    for i in range(40):
        base = STEM if i % 2 else OTHER
        text = base.replace("the", rng.choice(["the", "a", "this"]), 1)
        records.append((f"task{50 + i % 3}-{i:04d}", text, rng.choice(["A. x", "B. y"]), i % 5 == 0))
    expected = run(records)
    assert expected  # the set has duplicates and contamination
    assert {drop.kind for drop in expected.values()} == {"duplicate", "contaminates"}
    for _ in range(5):
        rng.shuffle(records)
        assert run(records) == expected
    # Kept records are never dropped themselves.
    assert not set(drop.kept_id for drop in expected.values()) & set(expected)


def test_kept_record_is_test_first_then_smallest_id() -> None:
    drops = run([("b", STEM, "x", False), ("a", STEM, "x", False), ("z", STEM, "x", True)])
    assert drops == {"a": Drop("z", "contaminates"), "b": Drop("z", "contaminates")}


def test_unrelated_records_are_all_kept() -> None:
    assert run([("1", STEM, "x", False), ("2", OTHER, "x", False), ("3", "yes", "x", True)]) == {}
    assert find_duplicates([], [], [], []) == {}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="same length"):
        find_duplicates(["a"], ["x", "y"], ["o"], [False])
    with pytest.raises(ValueError, match="unique"):
        find_duplicates(["a", "a"], ["x", "y"], ["o", "p"], [False, False])


def _synthetic_texts(rng: random.Random, families: int = 60) -> tuple[list[str], list[int]]:
    """Random texts plus edited copies at a spread of edit rates (some above, some below 0.8).

    Returns the distinct normalised texts and the family each comes from.
    """
    vocabulary = [f"w{i}" for i in range(3000)]
    family_of: dict[str, int] = {}
    for family in range(families):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(12, 120))]
        family_of.setdefault(normalise(" ".join(words)), family)
        for _ in range(rng.randint(0, 3)):
            copy = list(words)
            for _ in range(max(1, round(rng.uniform(0.0, 0.15) * len(copy)))):
                copy[rng.randrange(len(copy))] = rng.choice(vocabulary)
            family_of.setdefault(normalise(" ".join(copy)), family)
    texts = sorted(family_of)
    return texts, [family_of[t] for t in texts]


def test_precision_and_recall_against_exact_jaccard() -> None:
    texts, family = _synthetic_texts(random.Random(3))
    sets = [set(shingles(t)) for t in texts]
    truth = {
        (i, j) for i, j in combinations(range(len(texts)), 2) if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= 0.8
    }
    pairs = near_duplicate_pairs(signatures(texts), 0.8)
    found = {tuple(pair) for pair in pairs.tolist()}
    assert len(truth) > 30
    hits = len(found & truth)
    precision, recall = hits / len(found), hits / len(truth)
    # This set is dense around 0.8 on purpose (edit rates 0–15 %), where the
    # 128-value estimate (sd ≈ 0.035) decides either way; far from it, no error.
    assert precision >= 0.8 and recall >= 0.9, (precision, recall)
    # Estimate errors stay within ~3 standard deviations (sd = sqrt(J(1-J)/128) ≈ 0.04 at
    # J = 0.7); which pairs land there depends on the hash, so the bound is statistical.
    for i, j in found ^ truth:
        jaccard = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
        assert abs(jaccard - 0.8) < 0.12, (i, j, jaccard)
    # Exact verification of the same candidates: no false hit, and a miss only
    # where LSH did not propose the pair (probability ≤ 0.05 at 0.8).
    sketches = sketch_texts(texts, normalised=True)
    exact = {tuple(p) for p in near_duplicate_pairs(sketches.signatures, 0.8, hashes=sketches[1:]).tolist()}
    assert exact <= truth
    assert len(exact) / len(truth) >= 0.95
    # Components never join two families.
    labels = components(len(texts), pairs)
    assert len(set(labels.tolist())) < len(texts)
    for label in set(labels.tolist()):
        assert len({family[i] for i in range(len(texts)) if labels[i] == label}) == 1


# -- parameters reach every step, and the near-equality of outputs is chained ---------------------

# STEM with four words changed: exact bigram Jaccard 0.789 (< 0.8), while the 128-value MinHash
# estimate (seed 1) is 0.883: the two verification modes disagree on this pair.
STRADDLE = (STEM.replace("95", "100").replace("history", "record").replace("hypertension", "asthma")
            .replace("smokes one", "smokes two"))


def test_the_pair_the_verification_modes_disagree_on() -> None:
    sketch = signatures([normalise(STEM), normalise(STRADDLE)])
    assert _bigram_jaccard(STEM, STRADDLE) < 0.8 <= (sketch[0] == sketch[1]).mean()


def test_verify_decides_near_duplicate_inputs() -> None:
    """Kills ``verify`` not passed to the index (it would verify exactly whatever was asked)."""
    records = [("a", STEM, "B. Right coronary artery", False), ("b", STRADDLE, "B. Right coronary artery", False)]
    assert run(records) == {}  # exact Jaccard 0.789: not a near-duplicate
    assert run(records, verify="estimate") == {"b": Drop("a", "duplicate")}


def test_verify_decides_near_equal_outputs() -> None:
    """Kills the output matcher ignoring ``verify`` (hashes dropped, forced, or the test flipped)."""
    records = [("a", OTHER, STEM, False), ("b", OTHER, STRADDLE, False)]
    assert run(records) == {}  # same input, outputs not near-equal: two tasks over one passage
    assert run(records, verify="estimate") == {"b": Drop("a", "duplicate")}


def test_threshold_reaches_the_inputs_and_the_outputs() -> None:
    """Kills ``threshold`` not passed to the index or to :func:`resolve` (their default is 0.8)."""
    edited = STEM.replace("crushing chest pain", "severe chest pain")
    assert 0.8 < _bigram_jaccard(STEM, edited) < 0.95
    near_inputs = [("a", STEM, "B. Right coronary artery", False), ("b", edited, "B. Right coronary artery", False)]
    assert run(near_inputs) == {"b": Drop("a", "duplicate")}
    assert run(near_inputs, threshold=0.95) == {}
    near_outputs = [("a", OTHER, STEM, False), ("b", OTHER, edited, False)]
    assert run(near_outputs) == {"b": Drop("a", "duplicate")}
    assert run(near_outputs, threshold=0.95) == {}


# Outputs over one input, built so that only chaining makes them one class (Jaccard 0.81 for
# each near pair, 0.65 for the far one). Sorted by normalised text they are X < Y < Z.
BASE = ("patients with stable chronic heart failure were randomised to receive either the new oral drug or "
        "matching placebo twice daily for twelve months in addition to their usual medical treatment and "
        "were followed at every visit for blood pressure renal function serum potassium weight symptoms "
        "hospital admissions and death from any cause by nurses blinded to the allocation")


def _edit(text: str, changes: dict[int, str]) -> str:
    words = text.split()
    return " ".join(changes.get(i, word) for i, word in enumerate(words))


def test_near_equal_outputs_are_chained_through_a_middle_one() -> None:
    """X ≈ Y ≈ Z but X ≉ Z: one class, so both copies point to the smallest id. Kills the chain
    stopping after one hop, and ``continue`` → ``break`` over the class starts (the unrelated
    output after them would get no class)."""
    x = _edit(BASE, {3: "acute", 25: "reduced", 45: "lowered"})
    z = _edit(BASE, {12: "oral", 32: "pressure", 52: "weekly"})
    assert sorted([x, BASE, z]) == [x, BASE, z]
    assert _bigram_jaccard(x, BASE) >= 0.8 and _bigram_jaccard(BASE, z) >= 0.8 > _bigram_jaccard(x, z)
    drops = run([("r1", OTHER, x, False), ("r2", OTHER, BASE, False), ("r3", OTHER, z, False),
                 ("r4", OTHER, "unrelated answer", False)])
    assert drops == {"r2": Drop("r1", "duplicate"), "r3": Drop("r1", "duplicate")}


def test_near_equal_outputs_are_chained_through_the_last_one() -> None:
    """X ≈ Z and Y ≈ Z but X ≉ Y, with Z sorting last: reached only through Z's edges back.
    Kills the near-pair graph keeping one direction of each edge."""
    x = _edit(BASE, {3: "acute", 25: "reduced", 45: "lowered"})
    y = _edit(BASE, {12: "injected", 32: "increased", 52: "elevated"})
    assert sorted([x, y, BASE]) == [x, y, BASE]
    assert _bigram_jaccard(x, BASE) >= 0.8 and _bigram_jaccard(y, BASE) >= 0.8 > _bigram_jaccard(x, y)
    drops = run([("r1", OTHER, x, False), ("r2", OTHER, y, False), ("r3", OTHER, BASE, False)])
    assert drops == {"r2": Drop("r1", "duplicate"), "r3": Drop("r1", "duplicate")}


def test_both_verification_modes_and_bad_arguments_name_the_problem() -> None:
    """Kills the ``"estimate"`` spelling changed and the error messages emptied."""
    with pytest.raises(ValueError, match=r"^ids, inputs, outputs and is_test must have the same length$"):
        find_duplicates(["a"], ["x", "y"], ["o"], [False])
    with pytest.raises(ValueError, match=r"^record ids must be unique$"):
        find_duplicates(["a", "a"], ["x", "y"], ["o", "p"], [False, False])
    with pytest.raises(ValueError, match=r"^verify must be 'exact' or 'estimate', not 'minhash'$"):
        find_duplicates(["a"], ["x"], ["o"], [False], verify="minhash")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^threshold must be in \(0, 1\]$"):
        find_duplicates(["a"], ["x"], ["o"], [False], threshold=0.0)
    assert find_duplicates(["a"], ["x"], ["o"], [False], threshold=1.0) == {}


# STEM with three words changed: exact Jaccard 0.838; the MinHash estimate is 0.766 with 128
# permutations and seed 1 (the defaults), 0.859 with 64 permutations, 0.859 with seed 2. In the
# "estimate" mode the sketch parameters decide, so they must reach every sketch.
SKETCH_SENSITIVE = STEM.replace("160", "170").replace("emergency", "urgent").replace("45 year", "52 year")


def test_num_perm_and_seed_reach_the_input_and_output_sketches() -> None:
    """Kills ``num_perm``/``seed`` not passed to the index, to :func:`resolve`, or to the sketches
    of the outputs (each would fall back to 128 / 1, where this pair is not a near-duplicate)."""
    assert _bigram_jaccard(STEM, SKETCH_SENSITIVE) >= 0.8
    near_inputs = [("a", STEM, "B. Right coronary artery", False),
                   ("b", SKETCH_SENSITIVE, "B. Right coronary artery", False)]
    near_outputs = [("a", OTHER, STEM, False), ("b", OTHER, SKETCH_SENSITIVE, False)]
    for records in (near_inputs, near_outputs):
        assert run(records) == {"b": Drop("a", "duplicate")}  # exact: 0.838
        assert run(records, verify="estimate") == {}  # estimate 0.766
        assert run(records, verify="estimate", num_perm=64) == {"b": Drop("a", "duplicate")}
        assert run(records, verify="estimate", seed=2) == {"b": Drop("a", "duplicate")}


@pytest.mark.parametrize("threshold", [0.0, -0.5, 1.01, 1.5])
def test_thresholds_outside_zero_one_are_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match=r"^threshold must be in \(0, 1\]$"):
        find_duplicates(["a"], ["x"], ["o"], [False], threshold=threshold)


def test_an_estimate_equal_to_the_threshold_is_a_near_duplicate() -> None:
    """Kills ``>=`` → ``>`` in the estimate mode: 96 of 128 MinHash values agree (0.75 exactly)."""
    at_threshold = STEM.replace("95", "100").replace("history", "record").replace("emergency", "urgent")
    at_threshold = at_threshold.replace("45 year", "52 year")
    sketch = signatures([normalise(STEM), normalise(at_threshold)])
    assert (sketch[0] == sketch[1]).sum() == 96
    records = [("a", STEM, "B. Right coronary artery", False), ("b", at_threshold, "B. Right coronary artery", False)]
    assert run(records, threshold=0.75, verify="estimate") == {"b": Drop("a", "duplicate")}
