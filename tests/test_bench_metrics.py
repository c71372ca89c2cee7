"""Metrics against values worked out by hand, and against sacrebleu / rouge-score themselves."""

from __future__ import annotations

import numpy as np
import pytest
import sacrebleu
from rouge_score.rouge_scorer import RougeScorer

from medsins.bench.metrics import (
    Item,
    Kind,
    RougeTokenizer,
    aggregate,
    bleu_tokenizer,
    prf,
    score_items,
    task_kind,
)
from medsins.bench.report import bootstrap, interval
from medsins.registry import builtin_registry

REGISTRY = builtin_registry()


def gen(refs: list[str], hyps: list[str], language: str = "en") -> dict[str, float]:
    items = [Item(r, h) for r, h in zip(refs, hyps, strict=True)]
    return score_items(Kind.GENERATION, items, language=language).scores()


# ----------------------------------------------------------------------- kinds


def test_every_benchmark_task_has_the_issue_s_metric() -> None:
    kinds = {t.id: task_kind(t) for t in REGISTRY.select("bench")}
    assert {t for t, k in kinds.items() if k is Kind.CHOICE} == {
        "task57", "task58", "task59", "task60", "task61", "task122", "task129"}
    assert {t for t, k in kinds.items() if k is Kind.LABEL} == {
        "task12", "task16", "task41", "task117", "task118", "task119", "task123", "task130", "task131"}
    assert {t for t, k in kinds.items() if k is Kind.EXACT} == {"task1", "task2", "task3", "task29", "task74"}
    assert {t for t, k in kinds.items() if k is Kind.ENTITIES} == {"task125", "task126", "task127", "task128"}
    assert {t for t, k in kinds.items() if k is Kind.MULTILABEL} == {"task106"}
    generation = {t for t, k in kinds.items() if k is Kind.GENERATION}
    assert {"task42", "task100", "task18", "task51", "task54", "task78", "task114"} <= generation
    assert all(REGISTRY.get(t).benchmark in {"summarization", "explanation", "rationale", "fact_verification",
                                             "nli"} for t in generation)


# ------------------------------------------------------------------------ BLEU


def test_bleu_of_one_english_sentence_by_hand() -> None:
    # hyp "the cat sat on the mat", ref "the cat is on the mat" (13a: 6 tokens each, BP = 1)
    # 1-grams: the x2, cat, on, mat match -> 5/6      2-grams: the cat, on the, the mat -> 3/5
    # 3-grams: on the mat -> 1/4                     4-grams: 0/3 -> exp smoothing 1/(2*3) = 1/6
    # BLEU = (5/6 * 3/5 * 1/4 * 1/6) ** (1/4) = (1/48) ** 0.25
    scores = gen(["the cat is on the mat"], ["the cat sat on the mat"])
    assert scores["bleu"] == pytest.approx(100 * 48**-0.25)  # 37.99


def test_corpus_bleu_sums_statistics_before_the_geometric_mean() -> None:
    # sentence 2: hyp "a dog" vs ref "the dog barked": 1-gram "dog" 1/2, 2-grams 0/1.
    # corpus: correct (6, 3, 1, 0) of totals (8, 6, 4, 3); hyp length 8, ref length 9
    # precisions 6/8, 3/6, 1/4 and smoothed 1/(2*3); product 1/64 -> 64 ** -0.25 = 0.35355
    # BP = exp(1 - 9/8) = 0.88250 -> BLEU 31.20
    refs, hyps = ["the cat is on the mat", "the dog barked"], ["the cat sat on the mat", "a dog"]
    scores = gen(refs, hyps)
    assert scores["bleu"] == pytest.approx(100 * np.exp(1 - 9 / 8) * 64**-0.25)
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)


def test_chinese_bleu_counts_characters() -> None:
    # sacrebleu tokenize="zh": every Han character is a token.
    # hyp 患者有发热 / ref 患者有高热: 1-grams 患 者 有 热 -> 4/5; 2-grams 患者 者有 -> 2/4;
    # 3-grams 患者有 -> 1/3; 4-grams 0/2 -> 1/(2*2) = 1/4. BLEU = (4/5 * 1/2 * 1/3 * 1/4) ** 0.25 = 30 ** -0.25
    assert bleu_tokenizer("zh") == "zh"
    scores = gen(["患者有高热"], ["患者有发热"], language="zh")
    assert scores["bleu"] == pytest.approx(100 * 30**-0.25)  # 42.73
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(["患者有发热"], [["患者有高热"]], tokenize="zh").score)
    # with the space-based tokenizer the sentence is one token and nothing matches
    assert gen(["患者有高热"], ["患者有发热"], language="en")["bleu"] == 0.0


def test_japanese_bleu_counts_characters() -> None:
    # tokenize="char": 熱 が あ る vs 熱 が な い. 1-grams 熱 が -> 2/4; 2-grams 熱が -> 1/3;
    # 3-grams 0/2 -> 1/(2*2) = 1/4; 4-grams 0/1 -> 1/(4*1) = 1/4 (the smoothing doubles each time)
    # BLEU = (1/2 * 1/3 * 1/4 * 1/4) ** 0.25 = 96 ** -0.25
    assert bleu_tokenizer("ja") == "char"
    scores = gen(["熱がない"], ["熱がある"], language="ja")
    assert scores["bleu"] == pytest.approx(100 * 96**-0.25)  # 31.95
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(["熱がある"], [["熱がない"]], tokenize="char").score)


def test_bleu_from_summed_statistics_equals_sacrebleu_corpus_score() -> None:
    refs = ["患者为60岁男性，CT示肺炎。", "建议住院治疗。", "无发热。"]
    hyps = ["患者是60岁男性，CT显示肺炎。", "建议门诊治疗", ""]
    expected = sacrebleu.corpus_bleu(hyps, [refs], tokenize="zh").score
    assert gen(refs, hyps, language="zh")["bleu"] == pytest.approx(expected)
    refs_en = ["Small trials found saline rinses helped.", "No benefit was shown.", "Walking lowers blood pressure."]
    hyps_en = ["Small randomised trials found that saline rinses helped.", "Benefit was not shown.", "Walk more."]
    assert gen(refs_en, hyps_en)["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps_en, [refs_en]).score)


# ----------------------------------------------------------------------- ROUGE


def test_rouge_of_one_english_sentence_by_hand() -> None:
    # unigrams: 5 of 6 on both sides -> F1 5/6; bigrams 3 of 5 -> 3/5; LCS "the cat on the mat" = 5 -> 5/6
    scores = gen(["the cat is on the mat"], ["the cat sat on the mat"])
    assert scores["rouge1"] == pytest.approx(100 * 5 / 6)
    assert scores["rouge2"] == pytest.approx(60.0)
    assert scores["rougeL"] == pytest.approx(100 * 5 / 6)


def test_rouge_tokenizer_matches_rouge_score_default_on_english() -> None:
    ref = "The patient's BP was 150/90 mmHg; start amlodipine 5 mg daily."
    hyp = "Start amlodipine 5mg daily because BP was 150/90."
    ours = RougeScorer(["rouge1", "rougeL"], tokenizer=RougeTokenizer()).score(ref, hyp)
    default = RougeScorer(["rouge1", "rougeL"]).score(ref, hyp)
    assert ours["rougeL"].fmeasure == pytest.approx(default["rougeL"].fmeasure)
    assert ours["rouge1"].fmeasure == pytest.approx(default["rouge1"].fmeasure)
    assert gen([ref], [hyp])["rougeL"] == pytest.approx(100 * default["rougeL"].fmeasure)


def test_chinese_rouge_by_hand() -> None:
    # tokens 患 者 有 高 热 vs 患 者 有 发 热 (the 。 is dropped): 1-grams 4/5 -> F1 0.8;
    # 2-grams 患者 者有 -> 2/4 -> 0.5; LCS 患者有热 = 4 -> 0.8
    scores = gen(["患者有高热。"], ["患者有发热"], language="zh")
    assert (scores["rouge1"], scores["rouge2"], scores["rougeL"]) == pytest.approx((80.0, 50.0, 80.0))
    # rouge-score's default tokenizer keeps only [a-z0-9]: Chinese text vanishes and scores 0
    assert RougeScorer(["rougeL"]).score("患者有高热", "患者有发热")["rougeL"].fmeasure == 0.0


def test_japanese_rouge_by_hand() -> None:
    # tokens 熱 が な い vs 熱 が あ る: 1-grams 2/4 -> 0.5; 2-grams 熱が 1/3 -> 1/3; LCS 熱が = 2 -> 0.5
    scores = gen(["熱がない。"], ["熱がある"], language="ja")
    assert (scores["rouge1"], scores["rouge2"], scores["rougeL"]) == pytest.approx((50.0, 100 / 3, 50.0))


def test_rouge_is_the_mean_over_examples() -> None:
    # example 1 ROUGE-L 5/6 (above), example 2 nothing in common -> 0; mean 5/12
    scores = gen(["the cat is on the mat", "fever"], ["the cat sat on the mat", "cough"])
    assert scores["rougeL"] == pytest.approx(100 * 5 / 12)


def test_rouge_tokenizer_keeps_every_script() -> None:
    tokens = RougeTokenizer().tokenize("患者は60歳、CTで肺炎。Élève naïve; Ответ: да")
    assert tokens == ["患", "者", "は", "60", "歳", "ct", "で", "肺", "炎", "élève", "naïve", "ответ", "да"]


# ----------------------------------------------------------- accuracy kinds


def test_mcqa_accuracy_by_hand() -> None:
    options = ("A. Heparin", "B. Aspirin", "C. Warfarin")
    items = [
        Item("B. Aspirin", "The answer is B.", options),  # right
        Item("B. Aspirin", "Aspirin", options),  # right (option text)
        Item("C. Warfarin", "A", options),  # wrong
        Item("C. Warfarin", "I am not sure", options),  # unparseable -> wrong
        Item("A. Heparin", None, options),  # missing -> wrong, not unparseable
    ]
    stats = score_items(Kind.CHOICE, items)
    assert stats.scores() == {"accuracy": pytest.approx(100 * 2 / 5)}
    assert stats.unparseable == 1


def test_label_accuracy_by_hand() -> None:
    labels = ["yes", "no", "maybe"]
    items = [Item("yes", "Yes."), Item("no", "The answer is no"), Item("maybe", "yes"), Item("no", "unclear")]
    stats = score_items(Kind.LABEL, items, labels)
    assert stats.scores()["accuracy"] == pytest.approx(50.0)  # 2 of 4
    assert stats.unparseable == 1


def test_exact_match_by_hand() -> None:
    items = [
        Item("Gender: F   Age: 45 years", "gender: f age: 45 years."),  # same after normalisation
        Item("120 adults over 65", '"120 adults over 65"'),  # quotes removed
        Item("not found", "Not found"),
        Item("10 mg", "10 mg daily"),  # not equal
        Item("5 mg", ""),  # empty is wrong
    ]
    assert score_items(Kind.EXACT, items).scores()["accuracy"] == pytest.approx(60.0)


# ------------------------------------------------------------- P/R/F1 kinds


def test_ner_micro_f1_by_hand() -> None:
    items = [
        Item("Aspirin\nHeparin", "Aspirin, warfarin."),  # tp 1 (aspirin), fp 1 (warfarin), fn 1 (heparin)
        Item("None", "There is no related enetity."),  # nothing either side: 0 0 0
        Item("Ibuprofen", "None"),  # fn 1
    ]
    # totals tp 1, fp 1, fn 2: P = 1/2, R = 1/3, F1 = 2*1 / (2*1 + 1 + 2) = 2/5
    scores = score_items(Kind.ENTITIES, items).scores()
    assert scores == pytest.approx({"precision": 50.0, "recall": 100 / 3, "f1": 40.0})


def test_ner_in_chinese_and_japanese() -> None:
    # zh: gold {阿司匹林, 肝素}, predicted {阿司匹林, 华法林}: tp 1, fp 1, fn 1
    # ja: gold {アスピリン}, predicted {アスピリン, ヘパリン}: tp 1, fp 1
    # totals tp 2, fp 2, fn 1: P = 2/4, R = 2/3, F1 = 4 / (4 + 2 + 1) = 4/7
    items = [Item("阿司匹林\n肝素", "阿司匹林、华法林"), Item("アスピリン", "アスピリン，ヘパリン")]
    scores = score_items(Kind.ENTITIES, items).scores()
    assert scores == pytest.approx({"precision": 50.0, "recall": 200 / 3, "f1": 400 / 7})


def test_ner_upstream_reference_is_comma_separated() -> None:
    item = Item("aspirin, heparin.", "Heparin\nAspirin", upstream_reference=True)
    assert score_items(Kind.ENTITIES, [item]).scores()["f1"] == pytest.approx(100.0)


def test_multilabel_micro_f1_by_hand() -> None:
    items = [
        # gold {sustaining, resisting}, predicted {resisting, inducing}: tp 1, fp 1, fn 1
        Item("sustaining proliferative signaling, resisting cell death",
             "Resisting cell death; inducing angiogenesis"),
        # gold {inducing}, predicted {inducing, activating...} (unknown label kept): tp 1, fp 1
        Item("inducing angiogenesis", "1. Inducing angiogenesis\n2. Activating invasion and metastasis"),
    ]
    # totals tp 2, fp 2, fn 1: P 2/4, R 2/3, F1 4/7
    scores = score_items(Kind.MULTILABEL, items).scores()
    assert scores == pytest.approx({"precision": 50.0, "recall": 200 / 3, "f1": 400 / 7})


def test_prf_conventions() -> None:
    p, r, f = prf(np.array([0.0, 0.0, 3.0]), np.array([0.0, 2.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    assert list(p) == [100.0, 0.0, 100.0]  # nothing to find and nothing predicted: perfect
    assert list(r) == [100.0, 0.0, 75.0]
    assert f[2] == pytest.approx(100 * 6 / 7)


# ------------------------------------------------------------------ bootstrap


def test_bootstrap_replicates_are_resampled_sums() -> None:
    stats = score_items(Kind.LABEL, [Item("yes", "yes"), Item("no", "yes"), Item("no", "no"), Item("yes", "no")],
                        ["yes", "no"])
    reps = bootstrap(stats, 250, seed=3, stream=123)["accuracy"]
    assert reps.shape == (250,)
    # the first replicate by hand: same generator, first multinomial draw of 4 out of 4
    rng = np.random.default_rng([3, 123])
    weights = rng.multinomial(4, np.full(4, 0.25), size=100)[0]
    assert reps[0] == pytest.approx(100 * float(weights @ np.array([1, 0, 1, 0])) / 4)
    assert np.array_equal(reps, bootstrap(stats, 250, seed=3, stream=123)["accuracy"])  # same seed, same values
    assert not np.array_equal(reps, bootstrap(stats, 250, seed=4, stream=123)["accuracy"])


def test_bootstrapped_bleu_equals_sacrebleu_on_the_resampled_corpus() -> None:
    refs = ["the cat is on the mat", "the dog barked", "fever and cough for two days", "no acute findings"]
    hyps = ["the cat sat on the mat", "a dog", "cough and fever since two days", "no acute abnormality"]
    stats = score_items(Kind.GENERATION, [Item(r, h) for r, h in zip(refs, hyps, strict=True)])
    reps = bootstrap(stats, 5, seed=0, stream=7)
    weights = np.random.default_rng([0, 7]).multinomial(4, np.full(4, 0.25), size=5)
    for b in range(5):
        picked = [i for i in range(4) for _ in range(int(weights[b, i]))]
        expected = sacrebleu.corpus_bleu([hyps[i] for i in picked], [[refs[i] for i in picked]]).score
        assert reps["bleu"][b] == pytest.approx(expected)


def test_interval_contains_the_point_estimate() -> None:
    items = [Item("yes", "yes" if i % 3 else "no") for i in range(60)]  # 40 of 60 right
    stats = score_items(Kind.LABEL, items, ["yes", "no"])
    point = stats.scores()["accuracy"]
    low, high = interval(bootstrap(stats, 1000, seed=0, stream=12)["accuracy"])
    assert point == pytest.approx(100 * 40 / 60)
    assert low < point < high
    assert low > 50 and high < 80  # about +-12 points for n = 60, p = 2/3


def test_aggregate_vectorises_over_replicates() -> None:
    sums = np.array([[3.0, 1.0, 1.0], [1.0, 0.0, 3.0]])  # two replicates of tp, fp, fn
    values = aggregate(Kind.ENTITIES, sums, n=10)
    assert values["f1"] == pytest.approx([100 * 6 / 8, 100 * 2 / 5])
