"""Answer extraction: option letters, closed-set labels, entity and label sets."""

from __future__ import annotations

import pytest

from medsins.bench.extract import (
    extract_choices,
    extract_label,
    gold_choices,
    is_no_entity,
    normalize,
    normalize_answer,
    option_text,
    predicted_entities,
    reference_entities,
    split_labels,
)

OPTIONS = ["A. Heparin", "B. Aspirin", "C. Warfarin", "D. Clopidogrel"]


@pytest.mark.parametrize(
    ("prediction", "letters"),
    [
        ("B", "B"),
        ("(B)", "B"),
        ("B.", "B"),
        ("b", "B"),
        ("The answer is B.", "B"),
        ("B. Aspirin", "B"),
        ("B) Aspirin, because it inhibits COX-1.", "B"),
        ("Answer: b", "B"),
        ("answer: b.", "B"),
        ("The correct answer is option C", "C"),
        ("The right answer is D: Clopidogrel.", "D"),
        ("Let me think. A is wrong, heparin is an anticoagulant. Therefore, the answer is C.", "C"),
        ("Aspirin", "B"),  # option text, no letter
        ("aspirin.", "B"),
        ("I would give warfarin here.", "C"),  # exactly one option text occurs
        ("Ｂ", "B"),  # full-width letter (NFKC)
        ("答案：B", "B"),
        ("答案是C。", "C"),
        ("正解はA", "A"),
        ("Ответ: В", "B"),  # Cyrillic Ve that looks like B
        ("Réponse : D", "D"),
        ("La respuesta correcta es A", "A"),
        ("A, C", "AC"),  # a letter list
        ("The answers are A and C.", "AC"),
        ("Answer: A patient on heparin ...", "A"),
    ],
)
def test_option_letters_are_read_from_the_usual_answer_shapes(prediction: str, letters: str) -> None:
    assert extract_choices(prediction, OPTIONS) == frozenset(letters)


@pytest.mark.parametrize(
    "prediction",
    [
        "",
        "   ",
        "The answer is a bit unclear",  # lower-case "a" followed by a word is the article
        "Heparin or warfarin",  # two option texts: ambiguous
        "Option A is wrong; (C) is right",  # two marked letters and no answer statement
        "E",  # not one of the four options
        "None of the above",
    ],
)
def test_unreadable_answers_give_none(prediction: str) -> None:
    assert extract_choices(prediction, OPTIONS) is None


def test_multi_answer_references_and_predictions_are_letter_sets() -> None:
    options = ["A. Amoxicilline", "B. Ciprofloxacine", "C. Ceftriaxone", "D. Gentamicine", "E. Imipénème"]
    gold = "A. Amoxicilline\nC. Ceftriaxone\nE. Imipénème"  # the FrenchMedMCQA record format
    assert extract_choices(gold, options) == frozenset("ACE")
    assert extract_choices("ACE", options) == frozenset("ACE")
    assert extract_choices("A, C et E", options) == frozenset("ACE")
    assert extract_choices("A, C", options) == frozenset("AC")  # a subset is a different answer


def test_option_text_match_prefers_the_longer_option() -> None:
    options = ["A. Angina", "B. Unstable angina", "C. Myocarditis"]
    assert extract_choices("Unstable angina", options) == frozenset("B")
    assert extract_choices("It is unstable angina.", options) == frozenset("B")


def test_cjk_option_text_matches_without_word_boundaries() -> None:
    options = ["A. 支气管哮喘", "B. 慢性阻塞性肺疾病急性加重", "C. 肺结核"]
    assert extract_choices("最可能的诊断是慢性阻塞性肺疾病急性加重", options) == frozenset("B")
    options_ja = ["A. オセルタミビル", "B. アシクロビル"]
    assert extract_choices("オセルタミビルを使う", options_ja) == frozenset("A")


@pytest.mark.parametrize(
    ("prediction", "label"),
    [
        ("Yes.", "yes"),
        ("yes", "yes"),
        ("NO", "no"),
        ("No, the trial did not show a benefit.", "no"),
        ("The answer is maybe", "maybe"),
        ("Answer: yes", "yes"),
        ("true", "yes"),  # synonym accepted for a yes/no(/maybe) set
        ("I think yes but maybe no", None),  # several labels, none leads: ambiguous
        ("There is no evidence against it, so the answer is yes.", "yes"),  # the answer statement decides
        ("Yes and no; the final answer: maybe", "maybe"),
        ("", None),
        ("It depends.", None),
    ],
)
def test_pubmedqa_labels(prediction: str, label: str | None) -> None:
    assert extract_label(prediction, ["yes", "no", "maybe"]) == label


def test_labels_of_other_tasks() -> None:
    ddx = ["stable angina", "unstable angina", "pneumonia", "hiv (initial infection)", "gerd"]
    assert extract_label("Unstable angina", ddx) == "unstable angina"  # not also "stable angina"
    assert extract_label("Diagnosis: HIV (initial infection)", ddx) == "hiv (initial infection)"
    assert extract_label("The patient most likely has pneumonia.", ddx) == "pneumonia"
    assert extract_label("pneumonia or GERD", ddx) == "pneumonia"  # the leading label
    assert extract_label("could be pneumonia or GERD", ddx) is None
    outcome = ["True", "False"]
    assert extract_label("Yes, the patient needs to be admitted.", outcome) == "True"
    assert extract_label("FALSE.", outcome) == "False"
    nli = ["entailment", "contradiction", "neutral"]
    assert extract_label("The hypothesis contradicts the premise", nli) == "contradiction"
    assert extract_label("Entailment", nli) == "entailment"
    seer = ["Radiation after surgery", "Radiation before and after surgery", "Radiation prior to surgery"]
    assert extract_label("radiation before and after surgery", seer) == "Radiation before and after surgery"
    assert extract_label("Treatment: Radiation after surgery.", seer) == "Radiation after surgery"


def test_normalisation() -> None:
    assert normalize("  The  ANSWER. ") == "the answer"
    assert normalize("«Gender: F»") == "gender: f"
    assert normalize_answer('"Gender: Female  Age: 45"') == "gender: female age: 45"
    assert normalize_answer("ﬁbrosis") == "fibrosis"  # NFKC ligature


@pytest.mark.parametrize(
    "text", ["None", "none.", "There is no related enetity.", "There is no related entity.", "No entity",
             "no entities found", "N/A", "无", "なし"],
)
def test_no_entity_answers(text: str) -> None:
    assert is_no_entity(text)
    assert predicted_entities(text) == frozenset()


def test_entity_sets() -> None:
    assert predicted_entities("Aspirin, 2,4-dinitrophenol.") == {"aspirin", "2,4-dinitrophenol"}
    assert predicted_entities("- Aspirin\n- heparin.\n") == {"aspirin", "heparin"}
    assert predicted_entities("1. Aspirin\n2) Heparin") == {"aspirin", "heparin"}
    assert predicted_entities("Aspirin; HEPARIN ;aspirin") == {"aspirin", "heparin"}
    assert predicted_entities("阿司匹林、华法林") == {"阿司匹林", "华法林"}
    assert predicted_entities("アスピリン，ヘパリン") == {"アスピリン", "ヘパリン"}
    assert predicted_entities(None) == frozenset()
    # a record's output is one entity per line (commas inside an entity stay)
    assert reference_entities("N, N-dimethylformamide\nAspirin") == {"n, n-dimethylformamide", "aspirin"}
    assert reference_entities("None") == frozenset()


def test_label_sets_for_multilabel_classification() -> None:
    known = {"sustaining proliferative signaling", "inducing angiogenesis", "activating invasion and metastasis"}
    assert split_labels("Inducing angiogenesis; activating invasion and metastasis", known) == {
        "inducing angiogenesis", "activating invasion and metastasis"}  # "and" inside a label is not a separator
    assert split_labels("1. Sustaining proliferative signaling\n2. Inducing angiogenesis.", known) == {
        "sustaining proliferative signaling", "inducing angiogenesis"}
    assert split_labels("The abstract is about inducing angiogenesis", known) == {"inducing angiogenesis"}
    assert split_labels("cellular energetics", known) == {"cellular energetics"}  # unknown label kept (wrong)
    assert split_labels("None", known) == frozenset()
    assert split_labels("a, b", ()) == {"a", "b"}
    # An answer that is exactly a known label is that label only, even when a shorter known label
    # is part of it (otherwise "invasion and metastasis" would be wrongly predicted as well).
    nested = known | {"invasion and metastasis"}
    assert split_labels("Activating invasion and metastasis", nested) == {"activating invasion and metastasis"}


# -- rules each pinned by an answer only that rule reads ------------------------------------------


@pytest.mark.parametrize(
    ("prediction", "options", "letters"),
    [
        ("B", (), "B"),  # no options: every letter A-J is valid
        ("The answer is H", (), "H"),
        ("B!", OPTIONS, "B"),  # rule 1 after stripping punctuation only rule 1 reads
        ("(B) Aspirin\n(D) Clopidogrel", OPTIONS, "BD"),  # rule 2, bracketed letters
        ("b. see the explanation below", OPTIONS, "B"),  # rule 2 is case-insensitive
        ("I would go with (c) here", OPTIONS, "C"),  # rule 4: one marked letter, upper-cased
        ("Probably option d", OPTIONS, "D"),
    ],
)
def test_each_extraction_rule(prediction: str, options: tuple[str, ...], letters: str) -> None:
    assert extract_choices(prediction, list(options)) == frozenset(letters)


def test_a_trailing_letter_that_is_no_option_is_not_a_letter_list() -> None:
    assert extract_choices("CX", OPTIONS) is None


def test_option_text_and_duplicated_options() -> None:
    assert option_text("B. Aspirin") == "Aspirin"
    assert option_text("(C) Warfarin") == "Warfarin"
    assert option_text("Aspirin") == "Aspirin"  # an unlabelled option is its own text
    assert extract_choices("aspirin", ["Aspirin", "Heparin"]) == frozenset("A")
    # The same text under two letters: the first letter, not both.
    assert extract_choices("I would give aspirin.", ["A. Aspirin", "B. Heparin", "C. Aspirin"]) == frozenset("A")


def test_gold_choices_reads_the_reference_format() -> None:
    assert gold_choices("B. Aspirin\nD. Clopidogrel", OPTIONS) == frozenset("BD")
    assert gold_choices("C. Warfarin", OPTIONS) == frozenset("C")
    assert gold_choices("Warfarin", OPTIONS) == frozenset("C")  # options are passed on


def test_labels_longest_phrase_first_whole_words_and_cjk() -> None:
    assert extract_label("The patient has angina pectoris.", ["angina", "angina pectoris"]) == "angina pectoris"
    assert extract_label("I really do not know", ["yes", "no", "maybe"]) is None  # "no" inside "not", "know"
    assert extract_label("最可能的诊断是肺炎", ["肺炎", "哮喘"]) == "肺炎"  # CJK: no word boundaries


def test_entity_and_label_sets_drop_empty_and_no_entity_pieces() -> None:
    assert predicted_entities(" \n ") == frozenset()
    assert predicted_entities("aspirin\nnone\n-\nheparin") == {"aspirin", "heparin"}
    known = {"inducing angiogenesis", "sustaining proliferative signaling"}
    for empty in ("none", "No label", "no labels", "N/A", "nothing", "Empty."):
        assert split_labels(empty, known) == frozenset(), empty
    assert split_labels("none; inducing angiogenesis", known) == {"inducing angiogenesis"}
