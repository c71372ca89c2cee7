"""``bench score --metrics upstream`` reproduces what MedS-Ins' own ``Metrics/`` scripts compute."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from medsins.bench.upstream import (
    BLEU1,
    ROUGEL,
    bleu1,
    contained,
    mcqa_correct,
    parse_entities,
    rouge_l,
    tokenize,
)

CSV_NAME = "eval_results_Rationale_1_context_1_oriINS_MMedS-Llama 3.csv"

#: What upstream's Metrics/Rationale.py (utils.cal_similarity: nltk sentence_bleu, the `rouge` package,
#: jieba, janome) prints for its published CSV, computed with those packages; NLTK's punkt model (a run-time
#: download) was replaced by an untrained PunktSentenceTokenizer, as medsins does offline.
UPSTREAM = {
    "task51": (51.4996, 35.3459), "task52": (48.6179, 38.2236), "task53": (47.7014, 39.2353),
    "task54": (53.3121, 36.8305), "task55": (34.9129, 23.7085), "task56": (47.1222, 36.4207),
}


def test_upstream_csv_gives_upstream_figures(upstream: Path) -> None:
    pytest.importorskip("jieba")
    pytest.importorskip("janome")
    # In a child process: jieba's and janome's dictionaries would stay in the test process for good
    # (and be counted in the RSS of every process later forked from it).
    proc = subprocess.run([sys.executable, "-m", "medsins", "bench", "score", str(upstream / CSV_NAME),
                           "--metrics", "upstream", "--format", "json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    scores = json.loads(proc.stdout)
    got = {(s["task_id"], s["metric"]): s["value"] for s in scores}
    assert len(got) == 12 and {s["n"] for s in scores} == {50}
    for task_id, (bleu, rouge) in UPSTREAM.items():
        assert got[(task_id, BLEU1)] == pytest.approx(bleu, abs=5e-5)
        assert got[(task_id, ROUGEL)] == pytest.approx(rouge, abs=5e-5)


def test_rouge_l_follows_the_rouge_package_by_hand() -> None:
    # one sentence each: LCS words {the, cat, sat}; m = 4 distinct reference words, n = 3
    assert rouge_l("the cat sat", "the cat sat down", "en") == pytest.approx(2 * 1 * 0.75 / (1.75 + 1e-8))
    # sentences split on "."; the union of LCS words is a set (a repeated word counts once)
    assert rouge_l("a b. a b", "a b", "en") == pytest.approx(2 * 1 * 1 / (2 + 1e-8))
    assert rouge_l("...", "x", "en") == 0.0


def test_bleu1_sentence_with_smoothing_by_hand() -> None:
    # 2 of 3 unigrams match, candidate shorter than the reference: BP = exp(1 - 4/3)
    import math

    assert bleu1("the cat sat", "the dog sat down", "en") == pytest.approx(2 / 3 * math.exp(1 - 4 / 3))
    assert bleu1("x", "y", "en") == 0.0
    assert tokenize("He left. She came.", "en") == ["He", "left", ".", "She", "came", "."]


def test_mcqa_ner_and_containment_rules() -> None:
    assert mcqa_correct("The right answer is B: Aspirin", "B. Aspirin", "task57")
    assert not mcqa_correct("E", "E", "task57")  # option E is never counted correct
    assert not mcqa_correct("(B)", "B", "task57")  # first character only
    assert mcqa_correct("yes", "Yes.", "task123")
    # every "." is deleted first, then the last character: a final "." never protects the last entity
    assert parse_entities("Aspirin, Ibuprofen.") == parse_entities("Aspirin, Ibuprofen") == {"aspirin", "ibuprofe"}
    assert parse_entities("There is no related enetity.") == set()
    assert contained("It is Pneumonia, likely.", "The diagnosis result is pneumonia.")
