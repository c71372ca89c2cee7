"""The MedS-Ins taxonomy: 19 task categories, 5 text sources, config names.

A *config* is the short name a user types (``ner``) and the name of the
dataset config on the Hub. Every category has exactly one config name and any
number of aliases (``named_entity_recognition`` → ``ner``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class TextSource(StrEnum):
    """Where the text of a task comes from (the paper's five kinds)."""

    EXAM = "exam"
    KNOWLEDGE = "medical_knowledge"
    CLINICAL = "clinical_text"
    ACADEMIC = "academic_paper"
    CONVERSATION = "daily_conversation"


class Category(StrEnum):
    """The 19 MedS-Ins task categories, valued by their display names."""

    SUMMARIZATION = "Text Summarization"
    INFORMATION_EXTRACTION = "Information Extraction"
    TEXT_CLASSIFICATION = "Text Classification"
    QUESTION_ANSWERING = "Question Answering"
    OUTCOME_PREDICTION = "Clinical Outcome Prediction"
    EXPLANATION = "Explanation"
    NER = "Named Entity Recognition"
    FACT_VERIFICATION = "Fact Verification"
    NLI = "Natural Language Inference"
    TREATMENT_PLANNING = "Treatment Planning"
    SENTENCE_COMPOSITION = "Sentence Composition Analysis"
    DIALOGUE = "Dialogue"
    INTENT = "Intent Identification"
    WRONG_CANDIDATE = "Wrong Candidate Generation"
    TRANSLATION = "Translation"
    TEXT_COMPLETION = "Text Completion"
    TEXT_RETRIEVAL = "Text Retrieval"
    WORD_RELATION = "Word Relation Classification"
    DIAGNOSIS = "Diagnosis"


@dataclass(frozen=True)
class CategoryInfo:
    """A category's config name and the other names that resolve to it."""

    category: Category
    config: str
    aliases: tuple[str, ...]


CATEGORIES: tuple[CategoryInfo, ...] = (
    CategoryInfo(Category.SUMMARIZATION, "summarization", ("text_summarization", "summ")),
    CategoryInfo(Category.INFORMATION_EXTRACTION, "ie", ("information_extraction", "extraction")),
    CategoryInfo(Category.TEXT_CLASSIFICATION, "classification", ("text_classification", "cls")),
    CategoryInfo(Category.QUESTION_ANSWERING, "qa", ("question_answering",)),
    CategoryInfo(
        Category.OUTCOME_PREDICTION, "outcome", ("clinical_outcome_prediction", "outcome_prediction")
    ),
    CategoryInfo(Category.EXPLANATION, "explanation", ("concept_explanation",)),
    CategoryInfo(Category.NER, "ner", ("named_entity_recognition",)),
    CategoryInfo(Category.FACT_VERIFICATION, "fact_verification", ("fact_checking", "fv")),
    CategoryInfo(Category.NLI, "nli", ("natural_language_inference", "entailment")),
    CategoryInfo(Category.TREATMENT_PLANNING, "treatment", ("treatment_planning",)),
    CategoryInfo(
        Category.SENTENCE_COMPOSITION,
        "sentence_composition",
        ("sentence_composition_analysis",),
    ),
    CategoryInfo(Category.DIALOGUE, "dialogue", ("conversation",)),
    CategoryInfo(Category.INTENT, "intent", ("intent_identification",)),
    CategoryInfo(
        Category.WRONG_CANDIDATE, "wrong_candidate", ("wrong_candidate_generation",)
    ),
    CategoryInfo(Category.TRANSLATION, "translation", ("machine_translation", "mt")),
    CategoryInfo(Category.TEXT_COMPLETION, "completion", ("text_completion",)),
    CategoryInfo(Category.TEXT_RETRIEVAL, "retrieval", ("text_retrieval",)),
    CategoryInfo(
        Category.WORD_RELATION, "word_relation", ("word_relation_classification",)
    ),
    CategoryInfo(Category.DIAGNOSIS, "diagnosis", ("diagnosis_prediction",)),
)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


_BY_CATEGORY = {info.category: info for info in CATEGORIES}
_BY_NAME: dict[str, CategoryInfo] = {
    _normalise(name): info
    for info in CATEGORIES
    for name in (info.config, *info.aliases, info.category.value)
}

#: The config that holds every record (the Hub default).
ALL_CONFIG = "all"

#: Upstream category strings that name one of ours differently.
_UPSTREAM_SYNONYMS = {
    "rationale": Category.EXPLANATION,
    "explanation_(rationale)": Category.EXPLANATION,
    "multiple_choice_question_answering": Category.QUESTION_ANSWERING,
    "mcqa": Category.QUESTION_ANSWERING,
    "question_generation": Category.QUESTION_ANSWERING,
    "title_generation": Category.SUMMARIZATION,
    "text_categorization": Category.TEXT_CLASSIFICATION,
    "textual_entailment": Category.NLI,
    "answer_verification": Category.FACT_VERIFICATION,
    "named_entity_recognition_+_word_relation_classification": Category.NER,
}


def category_info(category: Category) -> CategoryInfo:
    """Return the config name and aliases of ``category``."""
    return _BY_CATEGORY[category]


def config_of(category: Category) -> str:
    """The short config name of a category, e.g. ``ner``."""
    return _BY_CATEGORY[category].config


def parse_category(name: str) -> Category | None:
    """Map a display name, config name, alias or upstream label to a category.

    Returns ``None`` when nothing matches, so callers can report it their way.
    """
    key = _normalise(name)
    if key in _BY_NAME:
        return _BY_NAME[key].category
    return _UPSTREAM_SYNONYMS.get(key)


def resolve_config(name: str) -> str | None:
    """Map a config name or alias to its config name; ``None`` if it is not one."""
    key = _normalise(name)
    if key == ALL_CONFIG:
        return ALL_CONFIG
    info = _BY_NAME.get(key)
    return info.config if info else None


def config_names() -> list[str]:
    """Every category config name, in taxonomy order."""
    return [info.config for info in CATEGORIES]
